"""A training process killed while the server was away loses at most its last flush interval:
the next init of the same run delivers what the dead process spilled, whichever SDK wrote it."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

import pytest

import gradpilot
from client_fixtures import runs  # noqa: F401  (pytest fixture)
from client_support import REPO_ROOT, ServerProcess, clean_env, stored_steps

HERE = os.path.dirname(__file__)
PY_CHILD = os.path.join(HERE, "client_crash_child.py")
TS_CHILD = os.path.join(REPO_ROOT, "test", "sdk", "fixtures", "crash-child.ts")
TS_DELIVER = os.path.join(HERE, "client_ts_deliver.ts")


def _norm(s: int) -> float:
    return math.nan if s % 10 == 3 else s / 10  # what both crash children observe


def _crash(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())


def _check_crashed(child: subprocess.Popen) -> None:
    out, err = child.communicate(timeout=60)
    assert child.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), err
    assert "observed 100" in out


@pytest.fixture(scope="module")
def crashed():
    """Three training processes killed while the server was down: (server, private spill folder, shared folder)."""
    server = ServerProcess()
    server.start()
    server.stop()  # the port is known, nobody listens
    shared = tempfile.mkdtemp(prefix="gradpilot-py-spill-")
    private = os.path.join(shared, "private")
    children = [
        _crash([sys.executable, PY_CHILD, server.url, "crash-py", private, "100"]),
        _crash(["node", "--import", "tsx", TS_CHILD, server.url, "crash-ts", shared, "100"]),
        _crash([sys.executable, PY_CHILD, server.url, "crash-py-ts", shared, "100"]),
    ]
    for child in children:
        _check_crashed(child)
    server.start()
    yield server, private, shared
    server.dispose()
    shutil.rmtree(shared, ignore_errors=True)


def _assert_delivered(url: str, run_id: str) -> None:
    stored = stored_steps(url, run_id)
    assert stored["step"] == list(range(100))
    for s in range(100):
        got, expected = stored["gradNorm"][s], _norm(s)
        assert (math.isnan(got) and math.isnan(expected)) or got == expected, s


def _spill_files(folder: str, run_id: str) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith(run_id + "."))


def test_should_deliver_the_steps_of_a_sigkilled_python_process_on_the_next_init(crashed, runs):
    server, folder, _ = crashed
    left = _spill_files(folder, "crash-py")
    assert len(left) == 1 and left[0].endswith(".spill.jsonl")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700  # created private
    assert stat.S_IMODE(os.stat(os.path.join(folder, left[0])).st_mode) == 0o600

    run = gradpilot.init(server.url, id="crash-py", name="crashed", spill_dir=folder, flush_interval=0.02)
    runs.append(run)
    assert run.flush(timeout=15)
    _assert_delivered(server.url, "crash-py")
    assert run.status()["delivered"] == 100
    assert _spill_files(folder, "crash-py") == []


def test_should_deliver_a_spill_file_of_the_ts_sdk(crashed, runs):
    server, _, folder = crashed
    assert len(_spill_files(folder, "crash-ts")) == 1
    run = gradpilot.init(server.url, id="crash-ts", name="crashed", spill_dir=folder, flush_interval=0.02)
    runs.append(run)
    assert run.flush(timeout=15)
    _assert_delivered(server.url, "crash-ts")
    assert _spill_files(folder, "crash-ts") == []


def test_should_leave_a_python_spill_file_that_the_ts_sdk_delivers(crashed):
    server, _, folder = crashed
    out = subprocess.run(["node", "--import", "tsx", TS_DELIVER, server.url, "crash-py-ts", folder], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60, env=clean_env())
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["flushed"] is True and report["delivered"] == 100 and report["undelivered"] == 0, out.stderr
    _assert_delivered(server.url, "crash-py-ts")
    assert _spill_files(folder, "crash-py-ts") == []
