"""Spike, explosion and non-finite detection alone (the TS ``detector.ts``, rule for rule): the
server runs it over stored norms for clients that send only norms, and the Controller runs the
same class, so both agree.

- nonfinite: g or the loss is NaN or ±Infinity. Such a step touches no statistic.
- spike: g > mean + spikeZ·std, where mean and var are an EMA (alpha SPIKE_ALPHA) of the finite
  norms before this one; only once MIN_HISTORY finite norms have been seen. The first
  MIN_HISTORY norms seed mean and population variance exactly. A spike enters the EMA
  winsorised, as mean + spikeZ·std.
- explosion: after MIN_HISTORY finite norms, g > explosionFactor × the median of the previous
  MEDIAN_WINDOW finite norms, or this step is a spike and at least EXPLOSION_SPIKES of the last
  EXPLOSION_STEPS steps (this one included) were spikes.
"""

from __future__ import annotations

import math
from math import floor, isfinite
from bisect import bisect_left, insort_left
from collections import deque
from typing import List, Mapping, Optional

from ..protocol.wire_number import encode_number
from .js_number import finite_array, is_number, is_safe_integer, sqrt, to_double, wire_double
from .percentile import lerp_numpy

SPIKE_ALPHA = 0.98
MIN_HISTORY = 20
MEDIAN_WINDOW = 101
EXPLOSION_SPIKES = 3
EXPLOSION_STEPS = 10

_ONE_MINUS_ALPHA = 1 - SPIKE_ALPHA


class EventDetector:
    """Flags ``nonfinite``, ``spike`` and ``explosion`` steps from the norms alone.

    ``options`` holds ``spikeZ`` and ``explosionFactor`` (a policy dict will do); ``state``
    (from ``to_state()``) resumes one.

    >>> detector = EventDetector({"spikeZ": 6, "explosionFactor": 10})
    >>> [detector.observe(g) for g in [1.0, 1.1] * 10 + [50.0]][-1]
    ['spike', 'explosion']
    """

    __slots__ = (
        "_spike_z", "_explosion_factor", "_count", "_mean", "_var", "_seed",
        "_recent", "_sorted", "_spikes", "_spike_sum", "_consecutive_non_finite",
    )

    def __init__(self, options: Mapping, state: Optional[Mapping] = None) -> None:
        self.set_options(options)
        self._count = 0
        self._mean = 0.0
        self._var = 0.0
        # Seed values while count < MIN_HISTORY, then unused.
        self._seed: List[float] = []
        # The last MEDIAN_WINDOW finite norms in arrival order, and the same sorted.
        self._recent: deque = deque()
        self._sorted: List[float] = []
        # Spike flags of the last EXPLOSION_STEPS steps and their sum.
        self._spikes: deque = deque()
        self._spike_sum = 0
        self._consecutive_non_finite = 0
        if state is not None:
            self._restore(state)

    @property
    def consecutive_non_finite(self) -> int:
        """Non-finite steps in a row up to the last observed one."""
        return self._consecutive_non_finite

    @property
    def count(self) -> int:
        """Finite norms observed so far."""
        return self._count

    def set_options(self, options: Mapping) -> None:
        """New spikeZ / explosionFactor from a policy change; the statistics are kept."""
        self._spike_z = float(options["spikeZ"])
        self._explosion_factor = float(options["explosionFactor"])

    def observe(self, grad_norm: float, loss: Optional[float] = None) -> List[str]:
        """Observes one step and returns its events, in the order nonfinite, spike, explosion."""
        g = grad_norm
        if type(g) is not float:
            # Number.isFinite of a non-number is false: TS flags it as non-finite too.
            g = to_double(g) if is_number(g) else math.nan
        spikes = self._spikes
        if not isfinite(g) or (loss is not None and is_number(loss) and not isfinite(to_double(loss))):
            self._consecutive_non_finite += 1
            self._push_spike(0)
            return ["nonfinite"]
        self._consecutive_non_finite = 0
        spike = False
        explosion = False
        if self._count >= MIN_HISTORY:
            level = self._mean + self._spike_z * sqrt(self._var)
            spike = g > level
            # The median of the recent norms: np.percentile(recent, 50), inline (every step).
            s = self._sorted
            i = (len(s) - 1) * 0.5
            lo = floor(i)
            explosion = g > self._explosion_factor * lerp_numpy(s[lo], s[min(lo + 1, len(s) - 1)], i - lo)
            flag = 1 if spike else 0
            if len(spikes) == EXPLOSION_STEPS:
                self._spike_sum -= spikes.popleft()
            spikes.append(flag)
            self._spike_sum += flag
            if spike and not explosion:
                explosion = self._spike_sum >= EXPLOSION_SPIKES
            x = level if spike else g
            mean = SPIKE_ALPHA * self._mean + _ONE_MINUS_ALPHA * x
            self._mean = mean
            dev = x - mean
            self._var = SPIKE_ALPHA * self._var + _ONE_MINUS_ALPHA * (dev * dev)
        else:
            self._push_spike(0)
            self._seed.append(g)
            if len(self._seed) == MIN_HISTORY:
                self._seed_statistics()
        self._count += 1
        # The recent norms, arrival order and sorted. TS inserts at the lower bound and, when
        # full, removes the first value equal to the oldest: the same values in the same order.
        recent = self._recent
        s = self._sorted
        if len(recent) == MEDIAN_WINDOW:
            del s[bisect_left(s, recent.popleft())]
        recent.append(g)
        insort_left(s, g)
        if spike:
            return ["spike", "explosion"] if explosion else ["spike"]
        return ["explosion"] if explosion else []

    def to_state(self) -> dict:
        """The state as plain JSON-ready data."""
        seeding = self._count < MIN_HISTORY
        return {
            "count": self._count,
            "mean": None if seeding else encode_number(self._mean),
            "var": None if seeding else encode_number(self._var),
            "recent": list(self._recent),
            "spikes": list(self._spikes),
            "consecutiveNonFinite": self._consecutive_non_finite,
        }

    @staticmethod
    def from_state(options: Mapping, state: object) -> "EventDetector":
        """Restores a detector from ``to_state()`` output (validated)."""
        return EventDetector(options, state)

    def _seed_statistics(self) -> None:
        # Left-to-right sums, as TS (and ZClip's Python) do them; not sum(), which Python 3.12
        # made compensated.
        total = 0.0
        for v in self._seed:
            total += v
        mean = total / len(self._seed)
        sq = 0.0
        for v in self._seed:
            sq += (v - mean) * (v - mean)
        self._mean = mean
        self._var = sq / len(self._seed)
        self._seed = []

    def _push_spike(self, flag: int) -> None:
        spikes = self._spikes
        if len(spikes) == EXPLOSION_STEPS:
            self._spike_sum -= spikes.popleft()
        spikes.append(flag)
        self._spike_sum += flag

    def _restore(self, raw: object) -> None:
        def fail(field: str, expected: str):
            raise TypeError(f'Invalid detector state: expected "{field}" to be {expected}')

        # typeof [] === 'object' in TS: an array passes this check and fails on its fields.
        if isinstance(raw, list):
            raw = {}
        if not isinstance(raw, Mapping):
            fail("state", "an object")
        count = raw.get("count")
        if not is_safe_integer(count) or count < 0:
            fail("count", "a non-negative integer")
        count = int(count)
        recent = finite_array(raw.get("recent"))
        if recent is None:
            fail("recent", f"an array of at most {MEDIAN_WINDOW} finite numbers")
        if len(recent) > MEDIAN_WINDOW or len(recent) != min(count, MEDIAN_WINDOW):
            fail("recent", f"an array of min(count, {MEDIAN_WINDOW}) finite numbers")
        spikes = finite_array(raw.get("spikes"))
        if spikes is None or len(spikes) > EXPLOSION_STEPS or any(v != 0 and v != 1 for v in spikes):
            fail("spikes", f"an array of at most {EXPLOSION_STEPS} zeros and ones")
        cnf = raw.get("consecutiveNonFinite")
        if not is_safe_integer(cnf) or cnf < 0:
            fail("consecutiveNonFinite", "a non-negative integer")
        self._count = count
        self._recent = deque(recent)
        self._sorted = sorted(recent)
        self._spikes = deque(int(v) for v in spikes)
        self._spike_sum = sum(self._spikes)
        self._consecutive_non_finite = int(cnf)
        if self._count < MIN_HISTORY:
            # While seeding, the seed is exactly the recent norms (count < MEDIAN_WINDOW).
            self._seed = list(recent)
        else:
            mean = wire_double(raw.get("mean"))
            variance = wire_double(raw.get("var"))
            if mean is None:
                fail("mean", 'a number (or "NaN"/"Infinity" wire string)')
            if variance is None:
                fail("var", 'a number (or "NaN"/"Infinity" wire string)')
            self._mean = mean
            self._var = variance
