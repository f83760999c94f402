"""JavaScript number semantics that Python floats lack, for the few places the controller meets
them. Python floats are IEEE doubles and + - * / sqrt round exactly as in JavaScript; what
differs is what happens at the edges: Python raises on a division by zero and on the square
root of a negative number (JavaScript gives ±Infinity or NaN), converts an over-large int with
an OverflowError (JSON.parse gives ±Infinity), treats bool as an int, and prints numbers its own
way. Each helper here gives the JavaScript answer.
"""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Real
from typing import List, Optional

from ..protocol.wire_number import decode_number


def is_number(value: object) -> bool:
    """``typeof value === 'number'`` for a value from JSON or Python: int or float, not bool."""
    return isinstance(value, Real) and not isinstance(value, bool)


def to_double(value) -> float:
    """The double JSON.parse would make of a number: over-large ints become ±Infinity."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def div(a: float, b: float) -> float:
    """``a / b`` with IEEE results for a zero divisor instead of ZeroDivisionError."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.inf if (a > 0) == (math.copysign(1.0, b) > 0) else -math.inf


def sqrt(x: float) -> float:
    """``Math.sqrt``: NaN for a negative number instead of ValueError (sqrt(-0) is -0 in both)."""
    return math.sqrt(x) if x >= 0.0 else math.nan


def number_string(x: float) -> str:
    """``String(x)`` for a JavaScript number (ECMAScript Number::toString), for messages that
    must read exactly as the TS ones: ``1`` not ``1.0``, ``1e-7`` not ``1e-07``, ``1e+21``.

    >>> number_string(2.0), number_string(1e-7), number_string(0.5), number_string(1e21)
    ('2', '1e-7', '0.5', '1e+21')
    """
    x = to_double(x)
    if x != x:
        return "NaN"
    if x == 0:
        return "0"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that round-trip, the digits ECMAScript asks for too.
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = k + exponent  # the value is 0.digits × 10^n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def is_safe_integer(value: object) -> bool:
    """``Number.isSafeInteger``."""
    if not is_number(value):
        return False
    v = to_double(value)
    return math.isfinite(v) and v == math.floor(v) and abs(v) <= 9007199254740991


def finite_array(value: object) -> Optional[List[float]]:
    """The array as floats if it is an array of finite numbers, else None."""
    if not isinstance(value, list):
        return None
    out = []
    for v in value:
        if not is_number(v):
            return None
        d = to_double(v)
        if not math.isfinite(d):
            return None
        out.append(d)
    return out


def wire_double(value: object) -> Optional[float]:
    """A wire number as a float; None for null or anything that is not a wire number."""
    try:
        return decode_number(value)
    except ValueError:
        return None
