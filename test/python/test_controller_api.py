"""The Python controller's own surface, what the client and users call: decide's input checks,
Decision.to_dict in the TS camelCase shape, the policy as a copy, EventDetector alone."""

import json
import math

import pytest

from gradpilot.controller import DEFAULT_POLICY, Controller, Decision, EventDetector, PolicyError


def test_should_reject_a_grad_norm_that_is_not_a_number_with_the_ts_message():
    c = Controller(DEFAULT_POLICY)
    with pytest.raises(TypeError) as caught:
        c.decide(0, "NaN")
    assert str(caught.value) == 'Expected "gradNorm" to be a number (NaN and ±Infinity allowed), got string'
    with pytest.raises(TypeError, match="got boolean"):
        c.decide(0, True)
    assert c.decide(0, 1.0).stats.history_size == 1  # nothing was recorded by the failed calls


def test_should_take_ints_and_numpy_scalars_as_the_same_double():
    np = pytest.importorskip("numpy")
    a, b = Controller({"kind": "zscore", "warmupSteps": 2}), Controller({"kind": "zscore", "warmupSteps": 2})
    for step, (x, y) in enumerate([(1, 1.0), (np.float32(0.5), 0.5), (np.float64(3.25), 3.25), (np.int64(7), 7.0)]):
        da, db = a.decide(step, x, loss=np.float32(0.1)), b.decide(step, y, loss=0.1)
        assert type(da.grad_norm) is float
        assert (da.threshold, da.coef, da.action, da.events) == (db.threshold, db.coef, db.action, db.events)
    assert a.decide(4, 1.0, loss=np.float64(math.nan)).events == ["nonfinite"]


def test_should_give_the_ts_decision_shape_from_to_dict():
    c = Controller({"kind": "fixed", "maxNorm": 1})
    d = c.decide(3, 2.0)
    assert isinstance(d, Decision)
    assert d.to_dict() == {
        "step": 3, "gradNorm": 2.0, "threshold": 1.0, "coef": 1 / (2.0 + 1e-6), "action": "clip", "events": [],
        "stats": {"percentile": None, "emaMean": None, "emaStd": None, "zScore": None, "historySize": 1, "consecutiveNonFinite": 0},
    }
    bad = c.decide(4, math.inf).to_dict(wire=True)
    assert (bad["gradNorm"], bad["coef"], bad["action"], bad["events"]) == ("Infinity", 0.0, "skip", ["nonfinite"])
    json.dumps(bad, allow_nan=False)


def test_should_hand_out_the_policy_as_a_copy_and_validate_changes():
    c = Controller({"kind": "percentile", "p": 25})
    policy = c.policy
    policy["p"] = 99
    assert c.policy["p"] == 25
    with pytest.raises(PolicyError, match='Did you mean "window"'):
        c.set_policy({"kind": "percentile", "windw": 5})
    assert c.policy["p"] == 25  # a rejected policy changes nothing
    c.set_policy({"kind": "zscore"})
    assert c.policy == {**c.policy, "kind": "zscore", "alpha": 0.97}


def test_should_detect_events_alone_and_resume_the_detector():
    d = EventDetector({"spikeZ": 6, "explosionFactor": 10})
    events = [d.observe(g) for g in [1.0, 3.0] * 10]
    assert events == [[]] * 20
    saved = json.loads(json.dumps(d.to_state()))
    assert d.observe(20.5) == ["spike", "explosion"]
    assert EventDetector.from_state({"spikeZ": 6, "explosionFactor": 100}, saved).observe(20.5) == ["spike"]
    assert d.observe(math.nan) == ["nonfinite"] and d.consecutive_non_finite == 1 and d.count == 21
