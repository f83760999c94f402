"""The multiset of finite norms a percentile policy reads: the whole log, or its last W entries
(the TS ``percentile-history.ts``)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from math import copysign
from typing import List, Optional, Sequence

from .norm_log import NormLog
from .order_stat_tree import OrderStatTree
from .percentile import lerp_numpy, percentile_index


class PercentileHistory:
    __slots__ = ("window", "_log", "_tree")

    def __init__(self, log: NormLog, window: Optional[int]) -> None:
        """Builds the multiset from the log as it stands; call ``added(value)`` after each push."""
        self._log = log
        self.window = window
        self._tree = OrderStatTree(deletable=window is not None)
        if window is None:
            self._tree.load_sorted(float64_sorted(log.values()))
        else:
            # TS inserts the window's norms one by one; a stable sort keeps ties in that same
            # arrival order (see order_stat_tree.py).
            self._tree.load_sorted(sorted(log.values(max(0, len(log) - window))))

    @property
    def size(self) -> int:
        return self._tree.size

    def added(self, value: float) -> None:
        """Takes in the value just pushed to the log (and drops the one that left the window)."""
        tree = self._tree
        tree.insert(value)
        window = self.window
        if window is not None and tree.size > window:
            tree.delete(self._log.get(len(self._log) - 1 - window))

    def percentile(self, p: float) -> float:
        """``np.percentile(values, p)`` exactly; the multiset must not be empty."""
        tree = self._tree
        lo, hi, g = percentile_index(tree.size, p)
        if hi == lo:
            a = tree.at(lo)
            return lerp_numpy(a, a, g)
        a, b = tree.at_pair(lo)
        return lerp_numpy(a, b, g)

    def sorted(self) -> List[float]:
        """The values in ascending order (tests)."""
        return self._tree.to_list()


def float64_sorted(values: Sequence[float]) -> List[float]:
    """The order ``Float64Array.prototype.sort`` gives, which the TS full-history tree is
    bulk-loaded in: ascending, and -0 before +0 (Python's sort keeps equal values, ±0
    included, in their original order)."""
    out = sorted(values)
    lo = bisect_left(out, 0.0)
    hi = bisect_right(out, 0.0)
    if hi - lo > 1:
        negative = sum(1 for k in range(lo, hi) if copysign(1.0, out[k]) < 0)
        out[lo:hi] = [-0.0] * negative + [0.0] * (hi - lo - negative)
    return out
