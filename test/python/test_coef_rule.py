"""coefRule "torch": the coefficient torch.nn.utils.clip_grad_norm_ applies, bit for bit, on
the committed torch fixture and on fresh random norms through the real torch (float64
gradients: torch computes in the gradients' dtype, the controller in float64)."""

import json
import math
import os
import random

import pytest

from conformance_support import ROOT, from_bits
from gradpilot.controller import Controller


def _coef(g, threshold, rule="torch"):
    return Controller({"kind": "fixed", "maxNorm": threshold, "coefRule": rule}).decide(0, g)


def test_should_equal_the_torch_fixture():
    with open(os.path.join(ROOT, "test", "conformance", "fixtures", "torch-coef.json")) as f:
        fixture = json.load(f)
    assert fixture["divisionDiffers"] > 10
    for g, t, want in fixture["cases"]:
        d = _coef(from_bits(g), from_bits(t))
        assert d.coef == from_bits(want), (from_bits(g), from_bits(t))
        assert d.action == ("clip" if d.coef < 1 else "apply")


def test_should_equal_clip_grad_norm_on_fresh_float64_gradients():
    torch = pytest.importorskip("torch")
    rng = random.Random()
    seed = rng.randrange(2**31)
    rng.seed(seed)
    for _ in range(300):
        t = rng.lognormvariate(0, 3)
        g = t * rng.choice([rng.uniform(0.5, 2), 1 - rng.random() * 1e-6 / t, rng.lognormvariate(0, 3)])
        # A second entry 2^40 times smaller than g carries the coefficient out exactly.
        probe = math.ldexp(1.0, math.frexp(g)[1] - 40)
        p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
        p.grad = torch.tensor([g, probe], dtype=torch.float64)
        total = torch.nn.utils.clip_grad_norm_([p], t).item()
        want = p.grad[1].item() / probe
        assert _coef(total, t).coef == want, f"seed {seed}: g {total!r}, threshold {t!r}"


def test_should_scale_steps_at_the_threshold_only_under_torch():
    ours, theirs = _coef(1e-7, 1e-7, "gradpilot"), _coef(1e-7, 1e-7)
    assert (ours.coef, ours.action) == (1.0, "apply")
    assert theirs.coef == (1 / (1e-7 + 1e-6)) * 1e-7 and theirs.action == "clip"
    assert (_coef(0.5, 1.0).coef, _coef(0.5, 1.0).action) == (1.0, "apply")
