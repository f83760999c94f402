"""parse_policy against the TS parsePolicy (asked through test/conformance/ts-oracle.ts): the
same policy for good input, and for bad input the same error, word for word, naming the same
field. Then what is Python's own: the read-only DEFAULT_POLICY, the error's classes, numbers
as JSON gives them back."""

import copy
import json
import math
import random
import struct

import pytest

from conformance_support import nonfinite_for_ts, same_json, ts_oracle
from gradpilot.controller import DEFAULT_POLICY, PolicyError, parse_policy
from gradpilot.controller.js_number import number_string

NAN, INF = math.nan, math.inf

BAD = [
    None, [], "percentile", 5, True, {}, {"kind": None}, {"kind": 5}, {"kind": "Zscore"}, {"kind": "percentil"},
    {"kind": "zsc"}, {"kind": "xyz"}, {"kind": "per\"cent\nile"}, {"kind": ["percentile"]},
    {"kind": "percentile", "windw": 10}, {"kind": "percentile", "maxnorm": 1}, {"kind": "zscore", "max_grad_norm": 1},
    {"kind": "zscore", "z_thresh": 2}, {"kind": "zscore", "zThresh": 2}, {"kind": "zscore", "skip_update_on_spike": True},
    {"kind": "zscore", "skipUpdateOnSpike": True}, {"kind": "percentile", "alpha": 0.9}, {"kind": "zscore", "window": 9},
    {"kind": "percentile", "flavour": 1}, {"kind": "percentile", "warmup": 3}, {"kind": "percentile", "Window": 3},
    {"kind": "fixed", "maxNorm": 1, "coef_rule": "torch"}, {"kind": "off", "type": "off"}, {"kind": "off", "mode": 1},
    {"kind": "percentile", "percentile": 10}, {"kind": "zscore", "percentile": 10}, {"kind": "fixed", "warmup_steps": 1},
    {"kind": "percentile", "zz": 1, "10": 1, "2": 1}, {"kind": "percentile", "wíndow": 1}, {"kind": "off", "ẞpikeZ": 1},
    {"kind": "off", "spikZ\U0001d499": 1}, {"kind": "off", "spikZ\u00e9": 1},
    {"kind": "off", "clip": 1}, {"kind": "zscore", "clip": 1}, {"kind": "zscore", "warm": 1}, {"kind": "off", "x": 1, "02": 2},
    {"kind": "percentile", "p": -1}, {"kind": "percentile", "p": 101}, {"kind": "percentile", "p": NAN},
    {"kind": "percentile", "p": INF}, {"kind": "percentile", "p": -INF}, {"kind": "percentile", "p": "ten"},
    {"kind": "percentile", "p": True}, {"kind": "percentile", "p": None}, {"kind": "percentile", "p": [1]},
    {"kind": "percentile", "p": {"v": 1}}, {"kind": "percentile", "p": 100.00000000000001},
    {"kind": "percentile", "p": -1e-7}, {"kind": "percentile", "p": 1e21}, {"kind": "percentile", "p": 1.5e300},
    {"kind": "percentile", "window": 0}, {"kind": "percentile", "window": 2.5}, {"kind": "percentile", "window": -0.0},
    {"kind": "percentile", "window": 1e16}, {"kind": "percentile", "window": 9007199254740992},
    {"kind": "percentile", "window": "5"}, {"kind": "percentile", "window": True}, {"kind": "percentile", "warmupSteps": -3},
    {"kind": "percentile", "warmupSteps": None}, {"kind": "zscore", "warmupSteps": 0}, {"kind": "zscore", "warmupSteps": 1.5},
    {"kind": "zscore", "alpha": 1}, {"kind": "zscore", "alpha": 0}, {"kind": "zscore", "alpha": -0.0},
    {"kind": "zscore", "alpha": 1e-300 * 1e-300}, {"kind": "zscore", "alpha": NAN}, {"kind": "zscore", "alpha": None},
    {"kind": "zscore", "z": 0}, {"kind": "zscore", "z": -2.5}, {"kind": "zscore", "clipOption": "adaptive"},
    {"kind": "zscore", "clipOption": "Mean"}, {"kind": "zscore", "clipOption": "zzz"}, {"kind": "zscore", "clipFactor": 0},
    {"kind": "zscore", "updateStatsOnSpike": "yes"}, {"kind": "zscore", "updateStatsOnSpike": 1},
    {"kind": "fixed"}, {"kind": "fixed", "maxNorm": 0}, {"kind": "fixed", "maxNorm": None}, {"kind": "fixed", "maxNorm": -1e-7},
    {"kind": "fixed", "maxNorm": 1, "minThreshold": 0.5}, {"kind": "off", "maxThreshold": 2},
    {"kind": "percentile", "minThreshold": 2, "maxThreshold": 1}, {"kind": "percentile", "minThreshold": 2e-7, "maxThreshold": 1e-7},
    {"kind": "zscore", "minThreshold": 1.5, "maxThreshold": 0.25}, {"kind": "percentile", "minThreshold": -1},
    {"kind": "percentile", "maxThreshold": 0}, {"kind": "off", "onNonFinite": "throw"}, {"kind": "off", "onNonFinite": "Skip"},
    {"kind": "off", "onNonFinite": "rais"}, {"kind": "off", "onNonFinite": None}, {"kind": "off", "skipOnSpike": "true"},
    {"kind": "off", "spikeZ": 0}, {"kind": "off", "spikeZ": -INF}, {"kind": "off", "explosionFactor": 0.5},
    {"kind": "off", "explosionFactor": 0.999999999}, {"kind": "off", "coefRule": "Torch"}, {"kind": "off", "coefRule": "torc"},
    {"kind": "off", "coefRule": "pytorch"}, {"kind": "off", "coefRule": 5}, {"kind": "off", "coefRule": None},
]

GOOD = [
    {"kind": "percentile"}, {"kind": "percentile", "p": 100, "window": 1, "warmupSteps": 0}, {"kind": "percentile", "p": 12.5, "window": None},
    {"kind": "percentile", "p": 0.0, "window": 5.0, "warmupSteps": -0.0, "maxNorm": 1e-7, "minThreshold": 0, "maxThreshold": 1e21},
    {"kind": "percentile", "window": 9007199254740991}, {"kind": "zscore"}, {"kind": "zscore", "z": 3, "alpha": 0.5, "clipOption": "mean"},
    {"kind": "zscore", "warmupSteps": 1, "clipFactor": 2.5, "updateStatsOnSpike": False, "coefRule": "torch", "minThreshold": 1, "maxThreshold": 1},
    {"kind": "fixed", "maxNorm": 1}, {"kind": "fixed", "maxNorm": 1.5e300, "onNonFinite": "raise", "skipOnSpike": True},
    {"kind": "off"}, {"kind": "off", "maxNorm": 5, "spikeZ": 3, "explosionFactor": 1, "coefRule": "gradpilot"},
]


@pytest.fixture(scope="module")
def ts_answers():
    requests = [{"op": "parsePolicy", "input": nonfinite_for_ts(x)} for x in BAD + GOOD]
    return ts_oracle(requests)


def _python_answer(value):
    try:
        return {"policy": parse_policy(value)}
    except PolicyError as err:
        return {"error": str(err), "name": "PolicyError", "field": err.field}


@pytest.mark.parametrize("index", range(len(BAD)), ids=[json.dumps(x, ensure_ascii=False)[:60] for x in BAD])
def test_should_reject_bad_policies_with_the_ts_message_and_field(ts_answers, index):
    want = ts_answers[index]
    assert "error" in want, f"TS accepted {BAD[index]!r}: the corpus needs a bad policy here"
    assert _python_answer(BAD[index]) == want


@pytest.mark.parametrize("index", range(len(GOOD)), ids=[json.dumps(x)[:60] for x in GOOD])
def test_should_fill_the_defaults_ts_fills(ts_answers, index):
    want = ts_answers[len(BAD) + index]
    got = _python_answer(GOOD[index])
    assert "policy" in want and "policy" in got, (want, got)
    assert list(got["policy"]) == list(want["policy"]), "the same fields in the same order"
    assert same_json(got["policy"], want["policy"])
    # And the same JSON text as TS writes it, up to separators.
    assert json.dumps(got["policy"], separators=(",", ":")) == json.dumps(want["policy"], separators=(",", ":"))


def test_should_write_numbers_as_javascript_does():
    rng = random.Random(7)
    values = [0.1, 1.0, -1.0, 1e21, 1e-7, 1.5e-7, 123456789012345680000.0, 1e20, 0.000001, 5e-324, 1.7976931348623157e308, -0.0, 2 / 3]
    values += [struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0] for _ in range(600)]
    values += [rng.random() * 10.0 ** rng.randint(-25, 25) for _ in range(600)]
    values = [v for v in values if not math.isnan(v)]
    answers = ts_oracle([{"op": "string", "bits": struct.pack(">d", v).hex()} for v in values])
    for v, want in zip(values, answers):
        assert number_string(v) == want["string"], repr(v)


def test_should_keep_default_policy_read_only_and_json_ready():
    assert DEFAULT_POLICY == parse_policy({"kind": "percentile"})
    assert DEFAULT_POLICY["p"] == 10 and DEFAULT_POLICY["window"] is None and DEFAULT_POLICY["coefRule"] == "gradpilot"
    with pytest.raises(TypeError, match="read-only"):
        DEFAULT_POLICY["p"] = 25
    with pytest.raises(TypeError, match="read-only"):
        DEFAULT_POLICY.update(p=25)
    assert DEFAULT_POLICY["p"] == 10
    assert json.loads(json.dumps(DEFAULT_POLICY)) == DEFAULT_POLICY
    mine = copy.deepcopy(DEFAULT_POLICY)
    mine["p"] = 25  # a copy is an ordinary dict
    assert parse_policy(dict(DEFAULT_POLICY, p=25)) == mine


def test_should_be_a_type_and_value_error_naming_the_field():
    with pytest.raises(PolicyError) as caught:
        parse_policy({"kind": "percentile", "p": "ten"})
    err = caught.value
    assert isinstance(err, TypeError) and isinstance(err, ValueError)
    assert err.field == "p"
    assert str(err) == 'Expected "p" to be a number in [0, 100], got "ten"'


def test_should_give_numbers_back_as_json_would():
    p = parse_policy({"kind": "percentile", "p": 25.0, "window": 10.0, "maxNorm": 2.0, "minThreshold": 0.5})
    assert (type(p["p"]), type(p["window"]), type(p["maxNorm"]), type(p["minThreshold"])) == (int, int, int, float)
    numpy = pytest.importorskip("numpy")
    q = parse_policy({"kind": "zscore", "z": numpy.float64(3.0), "warmupSteps": numpy.int64(5), "alpha": numpy.float32(0.5)})
    assert (q["z"], q["warmupSteps"], q["alpha"]) == (3, 5, 0.5)
    json.dumps(q)  # plain Python numbers, whatever came in
    assert parse_policy({"kind": "off", 7: 1}.__class__({"kind": "off"})) == parse_policy({"kind": "off"})
    with pytest.raises(PolicyError, match='Unknown policy field "7"'):
        parse_policy({"kind": "off", 7: 1})
