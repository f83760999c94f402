"""Server-driven policy: a change made through the API reaches every rank of a run, they all
switch at the same step, and each acknowledges it; a push that comes late applies at once."""

from __future__ import annotations

import gradpilot
from client_fixtures import runs, server, spill_dir  # noqa: F401  (pytest fixtures)
from client_support import get_json, put_json, wait_for


def test_should_switch_rank_0_and_rank_1_of_one_run_at_the_same_step_and_both_acknowledge(server, spill_dir, runs):
    common = dict(id="py-data-parallel", name="dp", world_size=2, policy={"kind": "percentile", "p": 50, "maxNorm": 10},
                  batch_size=4, flush_interval=0.02, spill_dir=spill_dir)
    ranks = [gradpilot.init(server.url, rank=0, **common), gradpilot.init(server.url, rank=1, **common)]
    runs.extend(ranks)
    wait_for(lambda: all(r.status()["ready"] for r in ranks), 10, "both ranks joined")
    applied = [[], []]
    for i, r in enumerate(ranks):
        r.on("policy", applied[i].append)
    decisions = [[], []]

    def step_all(s):
        for i, r in enumerate(ranks):
            decisions[i].append(r.observe(s, 5.0))

    for s in range(20):
        step_all(s)
    assert ranks[0].flush(timeout=5)

    put = put_json(f"{server.url}/api/runs/py-data-parallel/policy",
                   {"policy": {"kind": "percentile", "p": 50, "maxNorm": 1}, "effectiveStep": 30})
    assert put["effectiveStep"] == 30
    wait_for(lambda: all(put["version"] in r.status()["pending_policy_versions"] for r in ranks), 10, "the push")
    for s in range(20, 40):
        step_all(s)
    for d in decisions:
        assert (d[29].threshold, d[29].action) == (5.0, "apply")
        assert (d[30].threshold, d[30].action) == (1.0, "clip")
    assert [r.policy_version for r in ranks] == [put["version"], put["version"]]
    assert [[(a.version, a.applied_at_step, a.late) for a in ap if a.version == put["version"]] for ap in applied] == \
        [[(put["version"], 30, False)], [(put["version"], 30, False)]]
    wait_for(lambda: len(get_json(f"{server.url}/api/runs/py-data-parallel/policy")["acks"]) == 2, 10, "two acks")
    acks = sorted(get_json(f"{server.url}/api/runs/py-data-parallel/policy")["acks"], key=lambda a: a["rank"])
    assert [(a["rank"], a["appliedAtStep"], a["late"]) for a in acks] == [(0, 30, False), (1, 30, False)]


def test_should_apply_a_push_that_arrives_after_its_effective_step_at_once_and_acknowledge_it_as_late(server, spill_dir, runs):
    # Batches go out only on flush(), so the server's last step stays where the test wants it.
    run = gradpilot.init(server.url, name="late-push", policy={"kind": "percentile", "p": 50, "maxNorm": 10},
                         batch_size=1000, flush_interval=60, spill_dir=spill_dir)
    runs.append(run)
    wait_for(lambda: run.status()["ready"], 10, "joined")
    for s in range(8):
        run.observe(s, 5.0)
    assert run.flush(timeout=5)
    for s in range(8, 41):  # the server's last step is 7; the SDK runs ahead to step 40 before the push lands
        run.observe(s, 5.0)
    put = put_json(f"{server.url}/api/runs/{run.id}/policy", {"policy": {"kind": "percentile", "p": 50, "maxNorm": 1}, "effectiveStep": 12})
    wait_for(lambda: run.policy_version == put["version"], 10, "the late push")
    d = run.observe(41, 5.0)
    assert (d.threshold, d.action) == (1.0, "clip")
    wait_for(lambda: len(get_json(f"{server.url}/api/runs/{run.id}/policy")["acks"]) == 1, 10, "the ack")
    ack = get_json(f"{server.url}/api/runs/{run.id}/policy")["acks"][0]
    assert (ack["rank"], ack["appliedAtStep"], ack["late"]) == (0, 41, True)
