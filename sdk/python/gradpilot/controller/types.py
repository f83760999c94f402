"""The controller's public types (the TS ``types.ts``). The controller is one pure function of
(policy, state, step input) -> (decision, new state); see /shared/algorithms.md.

Policies are plain dicts with the TS camelCase field names (``warmupSteps``, ``maxNorm``, ...):
they cross the wire as JSON, and ``parse_policy`` fills every default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Literal, Optional

from ..protocol.wire_number import encode_number

NonFiniteAction = Literal["skip", "clip", "raise"]
Action = Literal["apply", "clip", "skip"]
EventKind = Literal["nonfinite", "spike", "explosion"]
PolicyKind = Literal["percentile", "zscore", "fixed", "off"]
CoefRule = Literal["gradpilot", "torch"]
Policy = Dict[str, Any]
"""A validated policy with every default filled in: the dict ``parse_policy`` returns."""


@dataclass
class DecisionStats:
    """The statistics a dashboard shows beside each decision (TS ``DecisionStats``)."""

    __slots__ = ("percentile", "ema_mean", "ema_std", "z_score", "history_size", "consecutive_non_finite")
    #: percentile policy: the raw percentile of the history before bounds.
    percentile: Optional[float]
    #: zscore policy: EMA mean and std used for this step (before the update), and the z-score.
    ema_mean: Optional[float]
    ema_std: Optional[float]
    z_score: Optional[float]
    #: Finite norms the policy's statistic is computed over.
    history_size: int
    #: Non-finite steps in a row, this one included.
    consecutive_non_finite: int

    def to_dict(self, wire: bool = False) -> Dict[str, Any]:
        """The TS camelCase shape; ``wire=True`` writes non-finite numbers as "NaN"/"Infinity"
        strings, so that ``json.dumps`` gives strict JSON."""
        enc = encode_number if wire else _same
        return {
            "percentile": enc(self.percentile),
            "emaMean": enc(self.ema_mean),
            "emaStd": enc(self.ema_std),
            "zScore": enc(self.z_score),
            "historySize": self.history_size,
            "consecutiveNonFinite": self.consecutive_non_finite,
        }


@dataclass
class Decision:
    """One step's decision (TS ``Decision``): multiply the gradients by ``coef``.

    ``threshold`` is the clip threshold in force (None where the policy sets none); ``coef`` is
    threshold / (g + 1e-6) when g > threshold, else exactly 1 (with ``coefRule: "torch"``:
    min(1, threshold / (g + 1e-6)) as torch computes it), 0 for a skipped step; ``action`` is
    "apply", "clip" or "skip"; ``events`` a list of "nonfinite", "spike", "explosion".
    """

    __slots__ = ("step", "grad_norm", "threshold", "coef", "action", "events", "stats")
    step: int
    grad_norm: float
    threshold: Optional[float]
    coef: float
    action: str
    events: List[str]
    stats: DecisionStats

    def to_dict(self, wire: bool = False) -> Dict[str, Any]:
        """The TS camelCase shape (``gradNorm``, ``stats.historySize``, ...); ``wire=True``
        writes non-finite numbers as "NaN"/"Infinity" strings for strict JSON."""
        enc = encode_number if wire else _same
        return {
            "step": self.step,
            "gradNorm": enc(self.grad_norm),
            "threshold": enc(self.threshold),
            "coef": enc(self.coef),
            "action": self.action,
            "events": list(self.events),
            "stats": self.stats.to_dict(wire),
        }


def _same(value):
    return value
