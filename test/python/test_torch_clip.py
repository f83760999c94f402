"""gradpilot.torch.clip_grad_norm_: the norm torch.nn.utils.clip_grad_norm_ returns, bit for bit,
read from the device once per step; gradients scaled in place by exactly coef, zeroed on skip."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import gradpilot
from client_fixtures import runs, server  # noqa: F401  (pytest fixtures)
from client_support import get_json
from client_torch_models import lstm_with_grads, transformer_with_grads
from gradpilot.torch import clip_grad_norm_

MODELS = {"lstm": lstm_with_grads, "transformer": transformer_with_grads}


@pytest.fixture
def run(server, runs):
    """A run with a policy that never clips (the norm tests must not depend on it)."""
    r = gradpilot.init(server.url, name="torch-clip", policy={"kind": "off"}, spill_dir=None)
    runs.append(r)
    return r


def torch_norm(model) -> float:
    """What torch.nn.utils.clip_grad_norm_ returns, on copies of the gradients."""
    copies = []
    for p in model.parameters():
        q = torch.nn.Parameter(p.detach().clone())
        q.grad = p.grad.detach().clone()
        copies.append(q)
    return float(torch.nn.utils.clip_grad_norm_(copies, max_norm=math.inf))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("scale", [1.0, 1e-20, 1e15])
def test_should_return_the_norm_of_torch_clip_grad_norm_bit_for_bit(run, name, scale):
    model = MODELS[name]()
    for p in model.parameters():
        p.grad.mul_(scale)
    expected = torch_norm(model)
    d = clip_grad_norm_(run, model.parameters(), step=0)
    assert d.grad_norm == expected and math.isfinite(expected) and expected > 0
    assert (d.coef, d.action) == (1.0, "apply")


def test_should_name_per_layer_norms_after_named_parameters_and_by_index_otherwise(server, runs):
    run = gradpilot.init(server.url, name="torch-layers", policy={"kind": "off"}, spill_dir=None, flush_interval=0.02)
    runs.append(run)
    model = transformer_with_grads()
    clip_grad_norm_(run, model.named_parameters(), step=0, per_layer=True)
    clip_grad_norm_(run, model.parameters(), step=1, per_layer=True)
    assert run.flush(timeout=10)
    stored = get_json(f"{server.url}/api/runs/{run.id}/layers?points=1000")
    names = [n for n, _ in model.named_parameters()]
    assert sorted(stored["names"]) == sorted(names + [str(i) for i in range(len(names))])
    assert stored["step"] == [0, 1]
    column = {name: values for name, values in zip(stored["names"], stored["max"])}
    for i, (name, p) in enumerate(model.named_parameters()):
        norm = float(torch.norm(p.grad, 2.0))
        assert column[name] == [norm, None] and column[str(i)] == [None, norm]


def test_should_multiply_the_gradients_by_coef_bit_for_bit(server, runs):
    run = gradpilot.init(server.url, name="torch-coef", policy={"kind": "fixed", "maxNorm": 0.01}, spill_dir=None)
    runs.append(run)
    model = transformer_with_grads()
    before = [p.grad.detach().clone().numpy() for p in model.parameters()]
    d = clip_grad_norm_(run, model.parameters(), step=0)
    assert d.action == "clip" and 0 < d.coef < 1
    coef = np.float32(d.coef)
    for b, p in zip(before, model.parameters()):
        assert np.array_equal(p.grad.numpy(), b * coef)  # float32 * float32, as torch's mul_ does

    apply = gradpilot.init(server.url, name="torch-apply", policy={"kind": "fixed", "maxNorm": 1e9}, spill_dir=None)
    runs.append(apply)
    grads = [p.grad for p in model.parameters()]
    snapshot = [g.clone() for g in grads]
    assert clip_grad_norm_(apply, model.parameters(), step=0).coef == 1.0
    assert all(g is p.grad and torch.equal(g, s) for g, s, p in zip(grads, snapshot, model.parameters()))


@pytest.mark.parametrize("on_non_finite", ["skip", "clip"])
def test_should_zero_the_gradients_even_where_nan_and_leave_the_weights_unchanged_on_skip(server, runs, on_non_finite):
    run = gradpilot.init(server.url, name="torch-skip", policy={"kind": "percentile", "p": 10, "onNonFinite": on_non_finite},
                         spill_dir=None)
    runs.append(run)
    model = lstm_with_grads()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    next(model.parameters()).grad[0, 0] = math.nan
    weights = [p.detach().clone() for p in model.parameters()]
    d = clip_grad_norm_(run, model.parameters(), step=0)
    assert math.isnan(d.grad_norm) and "nonfinite" in d.events and d.coef == 0.0
    assert d.action == ("skip" if on_non_finite == "skip" else "clip")
    assert all(torch.count_nonzero(p.grad) == 0 for p in model.parameters())  # zeros, no NaN left
    if d.action != "skip":
        opt.step()
    assert all(torch.equal(w, p) for w, p in zip(weights, model.parameters()))


def test_should_read_the_device_once_per_step(run, monkeypatch):
    model = transformer_with_grads()
    loss = torch.tensor(2.5)
    reads = []
    for method in ("item", "tolist", "__float__", "numpy", "cpu"):
        real = getattr(torch.Tensor, method)
        monkeypatch.setattr(torch.Tensor, method, lambda self, *a, _m=method, _real=real, **k: reads.append(_m) or _real(self, *a, **k))
    d = clip_grad_norm_(run, model.named_parameters(), step=0, loss=loss, per_layer=True)
    assert reads == ["tolist"]
    reads.clear()
    clip_grad_norm_(run, model.parameters(), step=1)
    assert reads == ["item"]
    monkeypatch.undo()
    assert d.grad_norm == torch_norm(model)


def test_should_read_half_precision_norms_and_a_float32_loss_exactly_in_one_transfer(run):
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(50, 20).half()), torch.nn.Parameter(torch.randn(20).half())]
    for p in params:
        p.grad = torch.randn_like(p)
    # torch 1.13's clip_grad_norm_ itself cannot run on CPU half tensors (clamp); its norm expression:
    expected = float(torch.norm(torch.stack([torch.norm(p.grad.detach(), 2.0) for p in params]), 2.0))
    loss = torch.tensor(0.1234567, dtype=torch.float32)
    d = clip_grad_norm_(run, params, step=0, loss=loss, per_layer=True)
    assert d.grad_norm == expected
    assert run.status()["last_step"] == 0
    from gradpilot.torch import gradient_norms

    norm, layers, loss_value, _ = gradient_norms(params, per_layer=True, loss=loss)
    assert norm == expected and loss_value == float(loss)
    assert layers == {"0": float(torch.norm(params[0].grad, 2.0)), "1": float(torch.norm(params[1].grad, 2.0))}
