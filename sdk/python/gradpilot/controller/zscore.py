"""ZClip's statistics and rule (Kumar et al. 2025, as its reference implementation does it), the
TS ``zscore.ts`` operation for operation, as /shared/algorithms.md spells it out."""

from __future__ import annotations

from typing import List, Mapping, Optional, Tuple

from ..protocol.wire_number import encode_number
from .js_number import finite_array, is_safe_integer, sqrt, wire_double

# What one finite step yields: (warmup, spike_threshold, trigger, mean, std, z_score). The
# spike threshold is step 2's adaptive threshold when zs > z (before bounds and maxNorm), the
# trigger the level mean + z·(std + 1e-6); all but warmup are None during warm-up.
ZScoreOutcome = Tuple[bool, Optional[float], Optional[float], Optional[float], Optional[float], Optional[float]]

_WARMUP: ZScoreOutcome = (True, None, None, None, None, None)


class ZScoreStats:
    __slots__ = ("_buffer", "_mean", "_var", "_count")

    def __init__(self) -> None:
        # Warm-up norms until the statistics start; None afterwards.
        self._buffer: Optional[List[float]] = []
        self._mean = 0.0
        self._var = 0.0
        # Finite norms the statistics have seen (warm-up included).
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    @property
    def warmed_up(self) -> bool:
        return self._buffer is None

    def trigger(self, policy: Mapping) -> Optional[float]:
        """The trigger level mean + z·(std + 1e-6) without a new norm (for non-finite steps)."""
        if self._buffer is not None:
            return None
        return self._mean + float(policy["z"]) * (sqrt(self._var) + 1e-6)

    def adopt(self, policy: Mapping) -> None:
        """A policy change zscore -> zscore: a shorter warm-up may already be complete."""
        if self._buffer is not None and len(self._buffer) >= policy["warmupSteps"]:
            self._start()

    def step(self, z: float, alpha: float, warmup_steps: int, adaptive: bool, clip_factor: float,
             update_on_spike: bool, g: float) -> ZScoreOutcome:
        """Steps 1-3 of the rule for one finite norm g; updates the statistics."""
        self._count += 1
        buffer = self._buffer
        if buffer is not None:
            buffer.append(g)
            if len(buffer) >= warmup_steps:
                self._start()
            return _WARMUP
        mean = self._mean
        std = sqrt(self._var)
        # std + 1e-6 is positive or NaN, and zs / z > 1 on a spike: no division by zero here.
        zs = (g - mean) / (std + 1e-6)
        spike_threshold = None
        if zs > z:
            spike_threshold = (mean + (z * std) / (zs / z)) * clip_factor if adaptive else mean
        trigger = mean + z * (std + 1e-6)
        if spike_threshold is None or update_on_spike:
            x = g if spike_threshold is None else spike_threshold
            self._mean = alpha * mean + (1 - alpha) * x
            dev = x - self._mean
            self._var = alpha * self._var + (1 - alpha) * (dev * dev)
        return False, spike_threshold, trigger, mean, std, zs

    def to_state(self) -> dict:
        warm = self._buffer is None
        return {
            "buffer": None if warm else list(self._buffer),
            "mean": encode_number(self._mean) if warm else None,
            "var": encode_number(self._var) if warm else None,
            "count": self._count,
        }

    @staticmethod
    def from_state(raw: object) -> "ZScoreStats":
        def fail(field: str, expected: str):
            raise TypeError(f'Invalid controller state: expected "data.zscore.{field}" to be {expected}')

        if isinstance(raw, list):
            raw = {}  # an array is an object in TS: it fails on its fields
        if not isinstance(raw, Mapping):
            fail("", "an object")
        stats = ZScoreStats()
        count = raw.get("count")
        if not is_safe_integer(count) or count < 0:
            fail("count", "a non-negative integer")
        stats._count = int(count)
        if "buffer" in raw and raw["buffer"] is None:
            mean = wire_double(raw.get("mean"))
            variance = wire_double(raw.get("var"))
            if mean is None:
                fail("mean", "a number")
            if variance is None:
                fail("var", "a number")
            stats._buffer = None
            stats._mean = mean
            stats._var = variance
        else:
            buffer = finite_array(raw.get("buffer"))
            if buffer is None:
                fail("buffer", "an array of finite numbers or null")
            stats._buffer = buffer
        return stats

    def _start(self) -> None:
        # Warm-up complete: mean = average(buffer), var = population variance(buffer), each a
        # left-to-right sum as ZClip's Python does it (not sum(): compensated since 3.12).
        buffer = self._buffer
        total = 0.0
        for v in buffer:
            total += v
        mean = total / len(buffer)
        sq = 0.0
        for v in buffer:
            sq += (v - mean) * (v - mean)
        self._mean = mean
        self._var = sq / len(buffer)
        self._buffer = None
