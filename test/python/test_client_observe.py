"""run.observe: steps are checked and refused with the field named, "event" listeners run inside
observe with the decision, onNonFinite 'raise' names the step after recording it, and a script
that never calls close() still delivers its steps when it exits."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest

import gradpilot
from client_fixtures import runs, server  # noqa: F401  (pytest fixtures)
from client_support import REPO_ROOT, clean_env, get_json, stored_steps


@pytest.fixture
def run(server, runs):
    r = gradpilot.init(server.url, name="observe", spill_dir=None, flush_interval=0.02)
    runs.append(r)
    return r


def test_should_refuse_bad_steps_naming_what_was_wrong(run):
    run.observe(5, 1.0)
    cases = [
        (lambda: run.observe(5, 1.0), r"^Step 5 is not after the last observed step 5: steps must increase$"),
        (lambda: run.observe(-1, 1.0), r'^Expected "step" to be a non-negative integer, got -1$'),
        (lambda: run.observe(6.5, 1.0), r'^Expected "step" to be a non-negative integer$'),
        (lambda: run.observe(6, "NaN"), r'^Step 6: expected "grad_norm" to be a number, got \'NaN\'$'),
        (lambda: run.observe(6, 1.0, loss=[1]), r'^Step 6: expected "loss" to be a number, got list$'),
        (lambda: run.observe(6, 1.0, layers={"": 1.0}), r"^Step 6: expected layer names to be non-empty strings"),
        (lambda: run.observe(6, 1.0, layers=[1.0]), r'^Step 6: expected "layers" to be a dict'),
    ]
    for call, message in cases:
        with pytest.raises(gradpilot.GradpilotError, match=message) as e:
            call()
        assert e.value.code == "INVALID_STEP"
    d = run.observe(6, 2, loss=1, layers={"w": 3})  # ints (and numpy or 0-d tensor numbers) are numbers
    assert d.grad_norm == 2.0 and run.status()["last_step"] == 6
    run.close(timeout=5)
    with pytest.raises(gradpilot.GradpilotError, match=r'^Step 7: run ".*" is closed; call gradpilot.init\(\) for a new run$') as e:
        run.observe(7, 1.0)
    assert e.value.code == "CLOSED"


def test_should_call_event_listeners_inside_observe_with_the_decision(server, runs):
    run = gradpilot.init(server.url, name="events", spill_dir=None, flush_interval=0.02)
    runs.append(run)
    seen = []
    unsubscribe = run.on("event", lambda d: seen.append((d.step, list(d.events), d.action)))
    for s in range(30):
        run.observe(s, 1.0 + 0.01 * (s % 3))
        assert seen == []  # no events, no calls
    run.observe(30, 1e6)  # a spike: far above the run's recent level
    assert seen and seen[-1][0] == 30 and "spike" in seen[-1][1]
    run.observe(31, math.nan)
    assert seen[-1] == (31, ["nonfinite"], "skip")
    unsubscribe()
    run.observe(32, math.inf)
    assert seen[-1][0] == 31
    with pytest.raises(gradpilot.GradpilotError, match=r'^Unknown event "step"; expected one of policy, connection, error, event, stop$'):
        run.on("step", print)

    def stop_training(d):
        raise KeyboardInterrupt(f"explosion at {d.step}")

    run.on("event", stop_training)
    with pytest.raises(KeyboardInterrupt, match="explosion at 33"):  # a listener can stop the loop
        run.observe(33, math.nan)
    assert run.status()["last_step"] == 33  # the step was recorded first


def test_should_raise_naming_the_step_when_the_policy_says_raise_after_recording_it(server, runs):
    run = gradpilot.init(server.url, name="raise", policy={"kind": "percentile", "p": 10, "onNonFinite": "raise"},
                         spill_dir=None, flush_interval=0.02)
    runs.append(run)
    run.observe(0, 1.0)
    with pytest.raises(gradpilot.NonFiniteGradientError, match=r"^Step 1: the gradient norm is nan\. The run's policy says onNonFinite: 'raise'") as e:
        run.observe(1, math.nan)
    assert (e.value.step, e.value.code) == (1, "NON_FINITE")
    with pytest.raises(gradpilot.NonFiniteGradientError, match=r"^Step 2: the loss is inf\."):
        run.observe(2, 1.0, loss=math.inf)
    assert run.flush(timeout=10)
    stored = stored_steps(server.url, run.id)
    assert stored["step"] == [0, 1, 2] and math.isnan(stored["gradNorm"][1]) and stored["loss"][2] == math.inf


def test_should_deliver_the_steps_of_a_script_that_never_calls_close_and_exit_promptly(server):
    script = (
        "import gradpilot\n"
        f"run = gradpilot.init({server.url!r}, id='no-close', name='no close', flush_interval=60, spill_dir=None)\n"
        "for s in range(50):\n"
        "    run.observe(s, 1.0 + s)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=clean_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10
    assert stored_steps(server.url, "no-close")["step"] == list(range(50))
    assert get_json(f"{server.url}/api/runs/no-close")["status"] == "finished"
