"""numpy's percentile, method "linear" (the default, numpy >= 1.22), operation for operation
(numpy/lib/function_base.py: _quantile, _get_indexes, _lerp), as the TS ``percentile.ts``.

The textbook ``a + g·(b − a)`` alone differs from numpy in the last bit on some inputs: numpy
switches to ``b − d·(1 − g)`` when ``g >= 0.5``, and so do we.
"""

from __future__ import annotations

import math
from typing import Sequence, Tuple

from .js_number import number_string


def percentile_index(n: int, p: float) -> Tuple[int, int, float]:
    """Ranks ``lo`` and ``hi`` and the weight ``g`` of the p-th percentile of n (>= 1) sorted values."""
    q = p / 100
    i = (n - 1) * q
    lo = math.floor(i)
    return lo, min(lo + 1, n - 1), i - lo


def lerp_numpy(a: float, b: float, g: float) -> float:
    """numpy's _lerp: interpolates between the values a and b at weight g."""
    d = b - a
    return b - d * (1 - g) if g >= 0.5 else a + d * g


def percentile_of_sorted(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100) of an ascending sequence, equal to
    ``np.percentile(values, p)`` to the last bit.

    >>> percentile_of_sorted([1.0, 2.0, 3.0, 4.0], 10)
    1.3
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("percentileOfSorted: expected at least one value, got an empty array")
    if not (0 <= p <= 100):
        raise ValueError(f"percentileOfSorted: expected p in [0, 100], got {number_string(p)}")
    lo, hi, g = percentile_index(n, p)
    return lerp_numpy(float(sorted_values[lo]), float(sorted_values[hi]), g)
