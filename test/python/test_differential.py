"""Differential test: fresh random streams and policies from a new seed each run (spikes,
NaN/±Inf bursts, level shifts, ties, tiny and huge norms, every policy kind and option,
policy changes mid-run), decided by the TS controller (test/conformance/differential.ts) and
replayed by the Python one: the same bits on every step, the same state at a random step, and
the TS state restored in Python continues as TS restoring it does.

Rerun a failure with its seed: GRADPILOT_DIFF_SEED=<seed> /usr/bin/python3 -m pytest test/python/test_differential.py
"""

import base64
import json
import os
import secrets
import subprocess
import tempfile
from array import array

import pytest

from conformance_support import ROOT, bits, same_json
from gradpilot.controller import Controller

SEED = int(os.environ.get("GRADPILOT_DIFF_SEED") or secrets.randbits(31))
STEPS = int(os.environ.get("GRADPILOT_DIFF_STEPS") or 120_000)
STATS = (("percentile", "percentile"), ("emaMean", "ema_mean"), ("emaStd", "ema_std"), ("zScore", "z_score"))


def _column(b64, typecode):
    a = array(typecode)
    a.frombytes(base64.b64decode(b64))
    return a


@pytest.fixture(scope="module")
def ts_run():
    print(f"differential seed {SEED}")  # pytest shows it with a failure
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "differential.json")
        subprocess.run(
            ["node", "--import", "tsx", "test/conformance/differential.ts", "--seed", str(SEED), "--steps", str(STEPS), "--out", out],
            cwd=ROOT, check=True, timeout=120,
        )
        with open(out) as f:
            return json.load(f)


class _Expected:
    """TS decisions as columns, read step by step; the first column entry is step `first`."""

    def __init__(self, d, actions, first=0):
        self.first = first
        self.threshold = _column(d["threshold"], "d")
        self.threshold_null = _column(d["thresholdNull"], "B")
        self.coef = _column(d["coef"], "d")
        self.action = [actions[a] for a in _column(d["action"], "B")]
        self.events = {first + i: events.split(",") for i, events in d["events"]}
        self.stats = {k: (_column(d["stats"][k]["values"], "d"), _column(d["stats"][k]["isNull"], "B")) for k, _ in STATS}
        self.history_size = _column(d["historySize"], "i")
        self.consecutive = _column(d["consecutiveNonFinite"], "i")

    def difference(self, step, got):
        """None when the Python decision of `step` is the TS one, else what differs."""
        events = self.events.get(step, [])
        step -= self.first
        want_threshold = None if self.threshold_null[step] else self.threshold[step]
        checks = [
            ("threshold", want_threshold, got.threshold),
            ("coef", self.coef[step], got.coef),
            *((k, None if self.stats[k][1][step] else self.stats[k][0][step], getattr(got.stats, attr)) for k, attr in STATS),
        ]
        for name, want, have in checks:
            if bits(want) != bits(have):
                return f"{name}: TS {want!r} ({bits(want)}), Python {have!r} ({bits(have)})"
        for name, want, have in [
            ("action", self.action[step], got.action),
            ("events", events, got.events),
            ("historySize", self.history_size[step], got.stats.history_size),
            ("consecutiveNonFinite", self.consecutive[step], got.stats.consecutive_non_finite),
        ]:
            if want != have:
                return f"{name}: TS {want!r}, Python {have!r}"
        return None


def _replay(case, expected, controller, start, label):
    grad_norm = _column(case["gradNorm"], "d")
    loss = None if case["loss"] is None else _column(case["loss"], "d")
    changes = {}
    for c in case["changes"]:
        changes.setdefault(c["step"], []).append(c["policy"])
    state = None
    for step in range(start, len(grad_norm)):
        for policy in changes.get(step, ()):
            controller.set_policy(policy)
        d = controller.decide(step, grad_norm[step], None if loss is None else loss[step])
        problem = expected.difference(step, d)
        if problem is not None:
            pytest.fail(
                f"seed {SEED}, {label}, step {step} (g = {grad_norm[step]!r}): {problem}\n"
                f"policy {json.dumps(case['policy'])}, changes {json.dumps(case['changes'])}\n"
                f"rerun: GRADPILOT_DIFF_SEED={SEED} /usr/bin/python3 -m pytest test/python/test_differential.py"
            )
        if step == case["stateAfter"]:
            state = json.loads(json.dumps(controller.to_state(), allow_nan=False))
    return state


def test_should_decide_fresh_random_streams_bit_for_bit_as_ts(ts_run):
    assert ts_run["steps"] >= min(STEPS, 100_000)
    kinds = set()
    for i, case in enumerate(ts_run["cases"]):
        kinds |= {case["policy"]["kind"], *(c["policy"]["kind"] for c in case["changes"])}
        expected = _Expected(case["decisions"], ts_run["actions"])
        state = _replay(case, expected, Controller(case["policy"]), 0, f"case {i}")
        assert same_json(state, case["state"]), f"seed {SEED}, case {i}: the state after step {case['stateAfter']} differs from the TS one"
    assert kinds == {"percentile", "zscore", "fixed", "off"} or STEPS < 100_000, f"seed {SEED}: only {kinds}"


def test_should_continue_bit_for_bit_from_ts_states_of_random_runs(ts_run):
    for i, case in enumerate(ts_run["cases"]):
        # Against TS resumed from the same JSON state (-0 norms come back as 0 in both).
        expected = _Expected(case["resumed"], ts_run["actions"], first=case["stateAfter"] + 1)
        resumed = Controller.from_state(case["state"])
        _replay(case, expected, resumed, case["stateAfter"] + 1, f"case {i} restored after step {case['stateAfter']}")
