"""A real PyTorch training loop streaming to a real server: the server stopped and restarted
mid-run loses no step and stores none twice; a resumed run continues its thresholds bit for bit."""

from __future__ import annotations

import time

import torch

import gradpilot
from client_fixtures import runs, server, spill_dir  # noqa: F401  (pytest fixtures)
from client_support import exported_rows, get_json, same, stored_steps
from client_torch_models import lm_batches, lm_loss, transformer
from gradpilot.torch import clip_grad_norm_

STEPS = 200


def train(run, model, opt, batches, steps, per_layer=False, between=None):
    """The loop of the README; returns the decisions."""
    decisions = []
    for step, (x, y) in zip(steps, batches):
        loss = lm_loss(model, x, y)
        loss.backward()
        d = clip_grad_norm_(run, model.named_parameters(), step=step, loss=loss.item(), lr=3e-3, per_layer=per_layer)
        if d.action != "skip":
            opt.step()
        opt.zero_grad(set_to_none=True)
        decisions.append(d)
        if between:
            between(step)
    return decisions


def test_should_store_every_step_once_when_the_server_restarts_mid_run(server, spill_dir, runs):
    run = gradpilot.init(server.url, name="tiny-gpt", project="lm", config={"lr": 3e-3}, quiet=True,
                         policy={"kind": "percentile", "p": 10}, batch_size=16, flush_interval=0.03,
                         reconnect_delay_max=0.2, spill_dir=spill_dir)
    runs.append(run)
    model = transformer()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    away = {}

    def outage(step):  # the server stopped and restarted on the same port and file
        if step == 60:
            server.stop()
        elif 60 < step < 140 and step % 20 == 0:
            time.sleep(0.1)  # training goes on without the server for a while
        elif step == 139:
            away["spilled"] = run.status()["spilled"]
            server.start()

    decisions = train(run, model, opt, lm_batches(1, STEPS), range(STEPS), per_layer=True, between=outage)
    assert away["spilled"] > 0
    assert any(d.action == "clip" for d in decisions)
    assert run.flush(timeout=15)
    stored = stored_steps(server.url, run.id)
    assert stored["step"] == list(range(STEPS))  # each step once
    for d in decisions:
        s = d.step
        assert same(stored["gradNorm"][s], d.grad_norm) and same(stored["threshold"][s], d.threshold)
        assert stored["coef"][s] == d.coef and stored["lr"][s] == 3e-3
    rows = exported_rows(server.url, run.id)
    assert [int(r["step"]) for r in rows] == list(range(STEPS))
    assert [r["action"] for r in rows] == [d.action for d in decisions]
    layers = get_json(f"{server.url}/api/runs/{run.id}/layers?points=1000")
    assert sorted(layers["names"]) == sorted(n for n, _ in model.named_parameters())
    report = run.close()
    assert (report["delivered"], report["undelivered"], report["dropped"], report["spill_file"]) == (STEPS, 0, 0, None)


def test_should_continue_the_thresholds_of_an_uninterrupted_run_after_resume(server, spill_dir, runs):
    policy = {"kind": "percentile", "p": 50}
    common = dict(spill_dir=spill_dir, batch_size=32, flush_interval=0.02)
    steps = 160

    straight = gradpilot.init(server.url, name="straight", policy=policy, **common)
    runs.append(straight)
    model = transformer(seed=3)
    expected = train(straight, model, torch.optim.SGD(model.parameters(), lr=0.5), lm_batches(3, steps), range(steps))

    model = transformer(seed=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    batches = lm_batches(3, steps)
    first = gradpilot.init(server.url, name="interrupted", policy=policy, **common)
    part1 = train(first, model, opt, batches, range(80))
    assert first.close()["undelivered"] == 0
    second = gradpilot.init(server.url, resume=first.id, **common)  # the state the server replays
    runs.append(second)
    part2 = train(second, model, opt, batches, range(80, steps))
    got = part1 + part2
    assert [d.grad_norm for d in got] == [d.grad_norm for d in expected]  # the same training...
    assert all(same(a.threshold, b.threshold) for a, b in zip(got, expected))  # ...and the same thresholds
    assert [(d.coef, d.action) for d in got] == [(d.coef, d.action) for d in expected]
    assert any(d.action == "clip" for d in expected[80:])
