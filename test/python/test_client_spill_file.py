"""The spill file: the TS SDK's format, exact for NaN and ±inf; a private folder; never written
through a planted symlink; orphans adopted once, and only the run's own."""

from __future__ import annotations

import json
import math
import os
import stat

import pytest

from client_fixtures import spill_dir  # noqa: F401  (pytest fixture)
from gradpilot.client.orphan_spills import OrphanSpills
from gradpilot.client.outbox import Outbox
from gradpilot.client.spill_file import SpillFile, batch_to_json, find_orphan_spills, read_spill
from gradpilot.client.step_columns import StepColumns, float64_values

PID = 4_000_000  # no such process: its files are orphans
T0 = 1_764_590_400_000.0  # a wall-clock time (ms) to give the steps


def header(run_id: str, pid: int = PID) -> dict:
    return {"gradpilot": 1, "pid": pid, "run": {"id": run_id, "name": "n", "project": None, "config": None, "policy": None}}


def batch(run_id: str = "r", first: int = 0) -> dict:
    columns = StepColumns(4)
    for s, g in zip(range(first, first + 4), [1.5, math.nan, math.inf, -math.inf]):
        columns.push(s, g, None if s % 2 else 0.25, None, 1.0, 0.5, "clip", {"w": g, "b": 2.0} if s else {"b": 3.0}, T0 + s)
    return columns.take(run_id, first // 4)


def test_should_write_the_ts_sdk_format_and_read_it_back_exactly(spill_dir):
    f = SpillFile(spill_dir, header("r"))
    ref = f.append(batch())
    assert f.read(ref)["gradNorm"] == [1.5, "NaN", "Infinity", "-Infinity"]
    path = f.close(keep=True)
    assert path.startswith(os.path.join(spill_dir, f"r.{PID}-closed-")) and path.endswith(".spill.jsonl")
    lines = open(path).read().splitlines()
    assert json.loads(lines[0]) == header("r")
    line = json.loads(lines[1])
    assert list(line) == ["runId", "seq", "step", "gradNorm", "loss", "threshold", "coef", "action", "time", "layers"]
    assert line["time"] == [T0, T0 + 1, T0 + 2, T0 + 3]  # the steps' own times, not the delivery's
    assert line["step"] == [0, 1, 2, 3] and line["loss"] == [0.25, None, 0.25, None] and line["coef"] == [0.5] * 4
    assert line["layers"] == {"b": [3.0, 2.0, 2.0, 2.0], "w": [None, "NaN", "Infinity", "-Infinity"]}
    _, batches = read_spill(path)
    assert batches == [line]


def test_should_keep_the_folder_private_and_never_write_through_a_symlink(spill_dir, tmp_path):
    folder = os.path.join(spill_dir, "shared")
    os.mkdir(folder, 0o755)
    os.chmod(folder, 0o755)
    target = tmp_path / "victim"
    target.write_text("precious")
    planted = os.path.join(folder, f"r.{os.getpid()}.spill.jsonl")
    os.symlink(target, planted)
    f = SpillFile(folder, header("r", os.getpid()))
    f.append(batch())
    assert target.read_text() == "precious"  # the link was moved aside, not followed
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    mine = os.path.join(folder, f"r.{os.getpid()}.spill.jsonl")
    assert not os.path.islink(mine) and stat.S_IMODE(os.stat(mine).st_mode) == 0o600
    f.close(keep=False)
    assert OrphanSpills.load(folder, "r").empty  # the moved link is not read either

    linked = os.path.join(spill_dir, "linked")
    os.symlink(tmp_path, linked)
    outbox = Outbox("r", 4, 100, SpillFile(linked, header("r")))
    outbox.away = True
    for s in range(8):
        outbox.record(s, 1.0, None, None, None, 1.0, "apply", None, T0 + s)
    assert isinstance(outbox.spill_error, OSError)  # a symlinked folder is refused...
    assert outbox.counts()["undelivered"] == 8 and outbox.counts()["spilled"] == 0  # ...and the steps stay in memory
    assert os.listdir(tmp_path) == ["victim"]


def test_should_adopt_only_the_runs_own_orphans_and_each_once(spill_dir):
    for run_id in ("a", "a.b"):  # what a process that died left behind
        with open(os.path.join(spill_dir, f"{run_id}.{PID}.spill.jsonl"), "w") as f:
            f.write(json.dumps(header(run_id)) + "\n" + batch_to_json(batch(run_id)) + "\n")
    live = SpillFile(spill_dir, header("a", os.getppid()))  # a live process's file
    live.append(batch("a"))
    assert [os.path.basename(p) for p in find_orphan_spills(spill_dir, "a")] == [f"a.{PID}.spill.jsonl"]
    first, second = OrphanSpills.load(spill_dir, "a"), OrphanSpills.load(spill_dir, "a")
    assert not first.empty and second.empty  # claimed by the first
    sent = []
    first.deliver("a", sent.append, lambda err, path: pytest.fail(str(err)))
    assert [b["runId"] for b in sent] == ["a"] and float64_values(batch()["gradNorm"])[0] == sent[0]["gradNorm"][0]
    assert sorted(os.listdir(spill_dir)) == sorted([f"a.b.{PID}.spill.jsonl", f"a.{os.getppid()}.spill.jsonl"])
    live.close(keep=False)


def test_should_adopt_a_file_left_by_an_earlier_process_with_the_same_pid(spill_dir):
    # Containers start every training process with the same pid: the dead one's file has our name.
    mine = os.path.join(spill_dir, f"r.{os.getpid()}.spill.jsonl")
    with open(mine, "w") as f:
        f.write(json.dumps(header("r", os.getpid())) + "\n" + batch_to_json(batch("r")) + "\n")
    orphans = OrphanSpills.load(spill_dir, "r")
    assert not orphans.empty
    own = SpillFile(spill_dir, header("r", os.getpid()))
    own.append(batch("r", 4))  # its own file, beside the adopted one
    assert own.path == mine and len(read_spill(mine)[1]) == 1 and read_spill(mine)[1][0]["step"] == [4, 5, 6, 7]
    sent = []
    orphans.deliver("r", sent.append, lambda err, path: pytest.fail(str(err)))
    assert [b["step"] for b in sent] == [[0, 1, 2, 3]]
    assert os.listdir(spill_dir) == [os.path.basename(mine)]
    own.close(keep=False)
