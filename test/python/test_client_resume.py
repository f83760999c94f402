"""Resume: thresholds continue as if the run had never stopped, from the server's state (the TS
controller replaying the stored norms), from a checkpoint step, or from a state saved with the
checkpoint, including one saved by the other language's SDK."""

from __future__ import annotations

import json
import math
import os
import subprocess

import pytest

import gradpilot
from client_fixtures import runs, server, spill_dir  # noqa: F401  (pytest fixtures)
from client_support import REPO_ROOT, clean_env, same, stored_steps
from gradpilot.controller import Controller, parse_policy
from gradpilot.protocol.wire_number import encode_number

N = 300
TS_STATE = os.path.join(os.path.dirname(__file__), "client_ts_state.ts")


def norms(n: int) -> list[float]:
    """A spiky series with a NaN, deterministic (the TS resume test's series)."""
    out, x = [], 7
    for i in range(n):
        x = (x * 1103515245 + 12345) % 2147483648
        u = x / 2147483648
        out.append(math.nan if i == 77 else 40 * (1 + u) if i % 53 == 11 else math.exp(u - 0.5))
    return out


G = norms(N)


def reference(policy: dict) -> list:
    c = Controller(parse_policy(policy))
    return [c.decide(step, g).threshold for step, g in enumerate(G)]


def observe_range(run, start: int, stop: int) -> list:
    return [run.observe(s, G[s]).threshold for s in range(start, stop)]


def same_all(a: list, b: list) -> bool:
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))


@pytest.fixture
def base(server, spill_dir):
    return dict(spill_dir=spill_dir, batch_size=32, flush_interval=0.02)


@pytest.mark.parametrize("policy", [
    {"kind": "percentile", "p": 10},
    {"kind": "percentile", "p": 90, "window": 50},
    {"kind": "zscore", "warmupSteps": 10},
])
def test_should_continue_after_the_last_stored_step_with_the_same_thresholds(server, base, runs, policy):
    expected = reference(policy)
    first = gradpilot.init(server.url, name="resume-last", policy=policy, **base)
    assert same_all(observe_range(first, 0, 150), expected[:150])
    assert first.close()["undelivered"] == 0

    second = gradpilot.init(server.url, resume=first.id, **base)
    runs.append(second)
    assert second.policy["kind"] == policy["kind"]
    assert same_all(observe_range(second, 150, N), expected[150:])


def test_should_continue_from_a_checkpoint_step_replacing_the_stored_steps_after_it(server, base, runs):
    policy = {"kind": "percentile", "p": 25}
    expected = reference(policy)
    first = gradpilot.init(server.url, name="resume-from", policy=policy, **base)
    for s in range(200):  # trains past the checkpoint (step 149) with other norms, then stops
        first.observe(s, G[s] if s < 150 else 1000.0 + s)
    first.close()

    second = gradpilot.init(server.url, resume=first.id, from_step=149, **base)
    runs.append(second)
    assert same_all(observe_range(second, 150, N), expected[150:])
    assert second.flush(timeout=10)
    stored = stored_steps(server.url, first.id)
    assert stored["step"] == list(range(N))
    assert same_all(stored["gradNorm"][150:200], G[150:200])


def test_should_resume_from_a_state_saved_by_either_sdk_without_asking_the_server(server, base, runs, tmp_path):
    policy = {"kind": "percentile", "p": 10, "window": 40}
    expected = reference(policy)
    first = gradpilot.init(server.url, name="resume-state", policy=policy, **base)
    observe_range(first, 0, 150)
    py_state = json.loads(json.dumps(first.controller_state()))  # as a checkpoint file would hold it
    first.close()

    task = tmp_path / "state.json"
    task.write_text(json.dumps({"policy": policy, "norms": [encode_number(g) for g in G], "split": 150, "pythonState": py_state}))
    out = subprocess.run(["node", "--import", "tsx", TS_STATE, str(task)], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60, env=clean_env())
    assert out.returncode == 0, out.stderr
    ts = json.loads(out.stdout)
    # The Python state in the TS controller continues with the uninterrupted thresholds...
    assert same_all(ts["thresholds"], expected[150:])

    # ...and the TS state in the Python SDK too, offline (the server is not asked).
    second = gradpilot.init("http://127.0.0.1:9", resume=first.id, from_step=149, state=ts["tsState"], quiet=True, **base)
    runs.append(second)
    assert same_all(observe_range(second, 150, N), expected[150:])
    third = gradpilot.init(server.url, resume=first.id, from_step=149, state=py_state, **base)
    runs.append(third)
    assert same_all(observe_range(third, 150, N), expected[150:])


def test_should_fail_clearly_when_the_run_to_resume_does_not_exist(server, base):
    with pytest.raises(gradpilot.GradpilotError, match=r'^Could not resume run "no-such-run": .*Unknown run') as e:
        gradpilot.init(server.url, resume="no-such-run", resume_timeout=5, **base)
    assert e.value.code == "RESUME_FAILED"


def test_should_refuse_a_state_that_is_not_a_controller_state(base):
    with pytest.raises(gradpilot.GradpilotError, match=r'^Invalid "state" option: .*version') as e:
        gradpilot.init("http://127.0.0.1:9", resume="r", state={"version": 7}, **base)
    assert e.value.code == "INVALID_OPTION"
