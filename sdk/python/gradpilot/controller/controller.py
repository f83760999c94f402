"""The clipping controller: one pure, deterministic function of (policy, state, step) ->
decision, as /shared/algorithms.md specifies it. A port of the TS ``controller.ts`` that gives
the same doubles: the same floating-point operations in the same order, so that a run, a
resume and a replay agree across the two languages to the last bit.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from .detector import EventDetector
from .js_number import div, is_number, to_double
from .norm_log import NormLog
from .percentile_history import PercentileHistory
from .policy import parse_policy
from .state import restore_state, state_policy
from .types import Decision, DecisionStats
from .zscore import ZScoreStats


class Controller:
    """Turns each step's gradient norm into a threshold, a clip coefficient, an action and events.

    ``policy`` is policy JSON (validated with ``parse_policy``); ``state`` (from ``to_state()``)
    resumes a run, and a ``policy`` other than the state's applies from the next step.

    Example::

        controller = Controller({"kind": "percentile", "p": 10})
        d = controller.decide(0, 2.5)
        # d.threshold, d.coef (multiply the gradients by it), d.action, d.events, d.stats
        saved = json.dumps(controller.to_state())
        resumed = Controller.from_state(json.loads(saved))   # continues bit-identically
    """

    def __init__(self, policy: Mapping, state: Optional[Mapping] = None) -> None:
        policy = parse_policy(policy)
        self._percentile: Optional[PercentileHistory] = None
        self._zscore: Optional[ZScoreStats] = None
        if state is not None:
            restored = restore_state(state)
            self._policy = restored.policy
            self._log = NormLog(restored.log)
            self._detector = EventDetector(restored.policy, restored.detector)
            self._zscore = None if restored.zscore is None else ZScoreStats.from_state(restored.zscore)
        else:
            self._policy = policy
            self._log = NormLog()
            self._detector = EventDetector(policy)
        self._adopt(policy)

    @staticmethod
    def from_state(state: Mapping) -> "Controller":
        """Restores a controller from ``to_state()`` output, e.g. after a JSON round trip, in
        either language. Validates it."""
        return Controller(state_policy(state), state)

    @property
    def policy(self) -> Dict[str, Any]:
        """The policy in force: a copy, in the camelCase JSON shape of the TS policy."""
        return dict(self._policy)

    def set_policy(self, policy: Mapping) -> None:
        """Switches the policy from the next step on. The history of finite norms and the spike
        detector are kept; zscore statistics are kept zscore -> zscore and start a new warm-up
        when switching into zscore from another kind."""
        self._adopt(parse_policy(policy))

    def decide(self, step: int, grad_norm: float, loss: Optional[float] = None) -> Decision:
        """Decides one step: ``grad_norm`` is the global L2 norm before clipping (NaN and ±inf
        allowed); a non-finite ``loss`` makes the step non-finite too."""
        g = grad_norm
        if type(g) is not float:
            if not is_number(g):
                # A string such as "NaN" from JSON must be decoded first, not guessed at.
                raise TypeError(f'Expected "gradNorm" to be a number (NaN and ±Infinity allowed), got {_typeof(g)}')
            g = to_double(g)
        events = self._detector.observe(g, loss)
        consecutive = self._detector.consecutive_non_finite
        finite = not events or events[0] != "nonfinite"
        log = self._log
        if finite:
            log.push(g)
            if self._percentile is not None:
                self._percentile.added(g)
        percentile = ema_mean = ema_std = z_score = None
        history_size = 0
        max_norm = self._max_norm
        threshold = max_norm
        # The level g is clipped at; differs from the decision's threshold only under zscore
        # without a spike, where the threshold shown is the trigger level (see zscore.py).
        clip_at = max_norm
        kind = self._kind
        if kind == "percentile":
            history = self._percentile
            history_size = history.size
            if history_size > 0:
                percentile = history.percentile(self._p)
            # Warm-up counts the run's finite norms, not the window's.
            if percentile is not None and len(log) > self._warmup_steps:
                threshold = clip_at = self._bounded(percentile)
        elif kind == "zscore":
            z = self._zscore
            if finite:
                _, spike_threshold, trigger, ema_mean, ema_std, z_score = z.step(*self._zscore_args, g)
                if spike_threshold is not None:
                    threshold = clip_at = self._bounded(spike_threshold)
                elif trigger is not None:
                    threshold = _capped(trigger, max_norm)
            else:
                trigger = z.trigger(self._policy)
                if trigger is not None:
                    threshold = _capped(trigger, max_norm)
            history_size = z.count
        else:
            history_size = len(log)

        coef = 1.0
        action = "apply"
        if not finite:
            # onNonFinite "raise" returns a skip too: the SDK raises on it, after recording it.
            coef = 0.0
            action = "clip" if self._on_non_finite == "clip" else "skip"
        elif self._skip_on_spike and "spike" in events:
            coef = 0.0
            action = "skip"
        elif clip_at is not None:
            if self._torch_coef:
                # torch.nn.utils.clip_grad_norm_: clamp(max_norm / (total_norm + 1e-6), max=1),
                # where a float divided by a tensor is Tensor.__rdiv__: reciprocal() * max_norm.
                c = div(1.0, g + 1e-6) * clip_at
                if c < 1:
                    coef = c
                    action = "clip"
            elif g > clip_at:
                coef = div(clip_at, g + 1e-6)
                if coef < 1:
                    action = "clip"
        stats = DecisionStats(percentile, ema_mean, ema_std, z_score, history_size, consecutive)
        return Decision(step, g, threshold, coef, action, events, stats)

    def to_state(self) -> Dict[str, Any]:
        """The whole state as plain JSON-ready data (the TS ``toState()`` shape, non-finite
        statistics as "NaN"/"Infinity" strings): ``json.dumps`` it as it is."""
        return {
            "version": 1,
            "policy": dict(self._policy),
            "data": {
                "log": self._log.to_list(),
                "detector": self._detector.to_state(),
                "zscore": None if self._zscore is None else self._zscore.to_state(),
            },
        }

    def _bounded(self, value: float) -> float:
        """Adaptive threshold -> [minThreshold, maxThreshold] -> capped by maxNorm."""
        t = value
        if self._min_threshold is not None and t < self._min_threshold:
            t = self._min_threshold
        if self._max_threshold is not None and t > self._max_threshold:
            t = self._max_threshold
        return _capped(t, self._max_norm)

    def _adopt(self, policy: Dict[str, Any]) -> None:
        previous = self._policy
        self._policy = policy
        self._detector.set_options(policy)
        kind = policy["kind"]
        if kind == "percentile":
            current = self._percentile
            if current is None or current.window != policy["window"]:
                self._percentile = PercentileHistory(self._log, policy["window"])
        else:
            self._percentile = None
        if kind == "zscore":
            if self._zscore is None or previous["kind"] != "zscore":
                self._zscore = ZScoreStats()
            self._zscore.adopt(policy)
        else:
            self._zscore = None
        # The policy's numbers as doubles, read once here rather than on every step.
        self._kind = kind
        self._max_norm = _double_or_none(policy["maxNorm"])
        self._min_threshold = _double_or_none(policy["minThreshold"])
        self._max_threshold = _double_or_none(policy["maxThreshold"])
        self._on_non_finite = policy["onNonFinite"]
        self._skip_on_spike = policy["skipOnSpike"]
        self._torch_coef = policy["coefRule"] == "torch"
        self._p = float(policy["p"]) if kind == "percentile" else None
        self._warmup_steps = policy.get("warmupSteps", 0)
        self._zscore_args = (
            float(policy["z"]), float(policy["alpha"]), policy["warmupSteps"],
            policy["clipOption"] == "adaptive_scaling", float(policy["clipFactor"]), policy["updateStatsOnSpike"],
        ) if kind == "zscore" else None


def _capped(value: float, max_norm: Optional[float]) -> float:
    return max_norm if max_norm is not None and value > max_norm else value


def _double_or_none(value) -> Optional[float]:
    return None if value is None else float(value)


def _typeof(value: object) -> str:
    # TS's typeof for the JSON types; a Python type name for the rest (a tensor, say).
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None or isinstance(value, (list, dict)):
        return "object"
    return type(value).__name__
