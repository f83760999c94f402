"""Controller.from_state against the TS Controller.fromState (asked through
test/conformance/ts-oracle.ts): a malformed state fails with the same error, word for word,
in both languages; a good one restores the same policy. And the Python specifics: to_state()
is JSON as it is, and a restored controller continues bit for bit."""

import copy
import json
import math

import pytest

from conformance_support import bits, nonfinite_for_ts, same_json, ts_oracle
from gradpilot.controller import Controller, PolicyError


def _state(policy, norms):
    c = Controller(policy)
    for step, g in enumerate(norms):
        c.decide(step, g)
    return json.loads(json.dumps(c.to_state()))


ZSCORE = _state({"kind": "zscore", "warmupSteps": 2}, [1 + s / 10 for s in range(30)])
SEEDING = _state({"kind": "percentile", "window": 5}, [1.0, 2.0, math.nan, 3.0])
WARMING = _state({"kind": "zscore"}, [1.0, 2.0, 3.0])


def patched(state, patch):
    s = copy.deepcopy(state)
    patch(s)
    return s


def _set(path, value):
    def patch(s):
        *parents, last = path
        for key in parents:
            s = s[key]
        s[last] = value
    return patch


def _delete(path):
    def patch(s):
        *parents, last = path
        for key in parents:
            s = s[key]
        del s[last]
    return patch


STATES = [
    None, [], "state", 1,
    patched(ZSCORE, _set(["version"], 2)), patched(ZSCORE, _set(["version"], True)), patched(ZSCORE, _set(["version"], "1")),
    patched(ZSCORE, _set(["version"], 1.0)), patched(ZSCORE, _delete(["version"])),
    patched(ZSCORE, _delete(["policy"])), patched(ZSCORE, _set(["policy"], None)), patched(ZSCORE, _set(["policy", "z"], -1)),
    patched(ZSCORE, _set(["policy", "windw"], 1)), patched(ZSCORE, _set(["policy", "kind"], "zscor")),
    patched(ZSCORE, _delete(["data"])), patched(ZSCORE, _set(["data"], [])), patched(ZSCORE, _set(["data", "log"], None)),
    patched(ZSCORE, _set(["data", "log", 3], "x")), patched(ZSCORE, _set(["data", "log", 4], math.nan)),
    patched(ZSCORE, _set(["data", "log", 5], math.inf)), patched(ZSCORE, _set(["data", "log", 6], True)),
    patched(ZSCORE, lambda s: s["data"]["log"].pop()), patched(ZSCORE, _set(["data", "detector"], None)),
    patched(ZSCORE, _set(["data", "detector"], [])), patched(ZSCORE, _set(["data", "detector", "count"], "30")),
    patched(ZSCORE, _set(["data", "detector", "count"], 30.0)), patched(ZSCORE, _set(["data", "detector", "recent"], [1, 2])),
    patched(ZSCORE, _set(["data", "detector", "recent", 0], math.nan)), patched(ZSCORE, _set(["data", "detector", "spikes"], [2])),
    patched(ZSCORE, _set(["data", "detector", "spikes"], [0] * 11)), patched(ZSCORE, _set(["data", "detector", "spikes"], [-0.0, 1.0])),
    patched(ZSCORE, _set(["data", "detector", "consecutiveNonFinite"], -1)),
    patched(ZSCORE, _set(["data", "detector", "consecutiveNonFinite"], 0.5)),
    patched(ZSCORE, _delete(["data", "detector", "mean"])), patched(ZSCORE, _set(["data", "detector", "var"], "Infinity")),
    patched(ZSCORE, _set(["data", "detector", "var"], "inf")), patched(ZSCORE, _set(["data", "detector", "mean"], None)),
    patched(ZSCORE, _set(["data", "zscore"], None)), patched(ZSCORE, _delete(["data", "zscore"])),
    patched(ZSCORE, _set(["data", "zscore"], [])), patched(ZSCORE, _set(["data", "zscore"], 5)),
    patched(ZSCORE, _set(["data", "zscore", "mean"], "x")), patched(ZSCORE, _set(["data", "zscore", "var"], "-Infinity")),
    patched(ZSCORE, _set(["data", "zscore", "count"], -2)), patched(ZSCORE, _delete(["data", "zscore", "buffer"])),
    patched(ZSCORE, _set(["data", "zscore", "buffer"], [1, "2"])), patched(ZSCORE, _set(["data", "zscore", "buffer"], [1.5, 2.5])),
    patched(SEEDING, _set(["data", "zscore"], {"count": 0})), patched(SEEDING, _delete(["data", "zscore"])),
    patched(SEEDING, _set(["data", "detector", "mean"], "nonsense")), patched(SEEDING, _set(["data", "detector", "recent"], [1.0, 2.0])),
    patched(WARMING, _set(["data", "zscore", "buffer"], None)), patched(WARMING, _set(["data", "zscore", "buffer"], [1, math.nan])),
    ZSCORE, SEEDING, WARMING,
]


@pytest.fixture(scope="module")
def ts_answers():
    return ts_oracle([{"op": "fromState", "input": nonfinite_for_ts(s)} for s in STATES])


@pytest.mark.parametrize("index", range(len(STATES)))
def test_should_accept_or_reject_a_state_exactly_as_ts(ts_answers, index):
    want = ts_answers[index]
    try:
        got = {"policy": Controller.from_state(STATES[index]).policy}
    except PolicyError as err:
        got = {"error": str(err), "name": "PolicyError", "field": err.field}
    except TypeError as err:
        got = {"error": str(err), "name": "TypeError"}
    if "policy" in want:
        assert "policy" in got and same_json(got["policy"], want["policy"]), got
    else:
        assert got == want


def test_should_cover_good_and_bad_states(ts_answers):
    assert sum("policy" in a for a in ts_answers) >= 5
    assert sum("error" in a for a in ts_answers) >= 40


def test_should_write_strict_json_with_wire_strings_for_non_finite_statistics():
    c = Controller({"kind": "zscore", "warmupSteps": 2})
    c.decide(0, 1e300)
    c.decide(1, -1e300)
    c.decide(2, 1.0)  # the variance overflows to Infinity
    text = json.dumps(c.to_state(), allow_nan=False)
    assert '"Infinity"' in text
    restored = Controller.from_state(json.loads(text))
    a, b = restored.decide(3, 2.0), c.decide(3, 2.0)
    assert [bits(a.threshold), bits(a.coef), a.action, a.events] == [bits(b.threshold), bits(b.coef), b.action, b.events]


def test_should_switch_policy_on_restore_when_given_one():
    state = _state({"kind": "zscore", "warmupSteps": 3}, [1.0, 1.2, 0.9, 1.1, 5.0])
    c = Controller({"kind": "percentile", "p": 50}, state)
    assert c.policy["kind"] == "percentile"
    d = c.decide(5, 1.0)
    assert d.stats.history_size == 6 and d.stats.percentile == 1.05
