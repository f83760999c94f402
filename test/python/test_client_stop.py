"""A stop request (the dashboard, or POST /api/runs/:id/stop) reaches every rank of a Python run
once, is acknowledged with the step each had reached, and a rank that joins later learns it
from the join answer. The SDK stops nothing: the script reads run.stop_requested."""

from __future__ import annotations

import gradpilot
from client_fixtures import runs, server, spill_dir  # noqa: F401  (pytest fixtures)
from client_support import get_json, request_json, wait_for


def test_should_tell_rank_0_and_rank_1_once_and_acknowledge_with_their_steps(server, spill_dir, runs):
    common = dict(url=server.url, id="py-dp-stop", name="dp", world_size=2, spill_dir=spill_dir, flush_interval=0.02, quiet=True)
    ranks = [gradpilot.init(rank=r, **common) for r in (0, 1)]
    runs.extend(ranks)
    told = {0: [], 1: []}
    for r in ranks:
        r.on("stop", lambda push, rank=r.rank: told[rank].append(push))
    wait_for(lambda: all(r.status()["ready"] for r in ranks), 15, "both ranks joined")
    assert [r.stop_requested for r in ranks] == [False, False]

    steps = [0, 0]
    for step in range(40):
        for i, r in enumerate(ranks):
            r.observe(step, 1.0 + step / 40)
            steps[i] = step
    created = request_json("POST", f"{server.url}/api/runs/py-dp-stop/stop", {"reason": "loss plateaued", "author": "ana"})
    assert (created["author"], created["reason"], created["acks"]) == ("ana", "loss plateaued", [])
    wait_for(lambda: all(r.stop_requested for r in ranks), 15, "both ranks told")
    assert [r.stop_request["id"] for r in ranks] == [created["id"], created["id"]]
    assert [len(told[0]), len(told[1])] == [1, 1]
    assert told[0][0]["reason"] == "loss plateaued"

    wait_for(lambda: len(get_json(f"{server.url}/api/runs/py-dp-stop/stop")[0]["acks"]) == 2, 15, "two acks")
    acks = sorted(get_json(f"{server.url}/api/runs/py-dp-stop/stop")[0]["acks"], key=lambda a: a["rank"])
    assert [(a["rank"], a["step"]) for a in acks] == [(0, 39), (1, 39)]

    # A rank that joins after the request learns it from the join answer, once.
    late = gradpilot.init(url=server.url, id="py-dp-stop", name="dp", rank=2, world_size=3, spill_dir=spill_dir, quiet=True)
    runs.append(late)
    wait_for(lambda: late.stop_requested, 15, "the late rank told")
    assert late.stop_request["id"] == created["id"]
