"""Numbers on the wire, as the TS ``sdk/protocol/wire-number.ts`` writes them.

JSON cannot carry NaN or ±Infinity, yet a NaN step is the most important step of a run. On
the wire a non-finite number is the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``;
``None`` (JSON ``null``) means "missing". Every reader gives back exactly what was written.
"""

from __future__ import annotations

import math
from typing import Optional, Union

WireNumber = Union[float, int, str, None]

_DECODE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def encode_number(value: Optional[float]) -> WireNumber:
    """A number (or None) as JSON can carry it.

    >>> encode_number(float("nan")), encode_number(-math.inf), encode_number(1.5)
    ('NaN', '-Infinity', 1.5)
    """
    if value is None or math.isfinite(value):
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def encode_numbers(values) -> list:
    """Encodes every number of a sequence for JSON."""
    return [encode_number(v) for v in values]


def decode_number(value: object) -> Optional[float]:
    """A wire number back to a float (None stays None). Raises ValueError for anything else,
    so that the caller can name the field.

    >>> decode_number("Infinity"), decode_number(2)
    (inf, 2.0)
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return _DECODE[value]
        except KeyError:
            raise ValueError(f"not a wire number: {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a wire number: {value!r}")
    return _to_double(value)


def _to_double(value: Union[int, float]) -> float:
    # An integer too large for a double is what JSON.parse makes of it: ±Infinity.
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
