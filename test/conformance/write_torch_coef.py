#!/usr/bin/python3
"""Writes fixtures/torch-coef.json: the clip coefficient torch.nn.utils.clip_grad_norm_ applies
to float64 gradients, for norms and thresholds chosen to catch a wrong formula (g at, just
below and just above the threshold, tiny and huge norms, random pairs). The controller's
``coefRule: "torch"`` must give these doubles exactly, in TS and in Python.

Run: /usr/bin/python3 test/conformance/write_torch_coef.py   (torch 1.13, python3-torch)
"""

import json
import math
import os
import random
import struct

import torch

# The coefficient is read off a second gradient entry, a power of two 2^40 times smaller than
# g: its square adds nothing to the norm's sum of squares (2^-80 relative, below half an ulp),
# and its value after clipping is the coefficient times a power of two, read back exactly
# as long as that product is a normal double (checked).


def bits(x):
    return "7ff8000000000000" if x != x else struct.pack(">d", x).hex()


def torch_coef(g, threshold):
    probe = math.ldexp(1.0, math.frexp(g)[1] - 40) if g > 0 else 2.0 ** -600
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = torch.tensor([g, probe], dtype=torch.float64)
    total = torch.nn.utils.clip_grad_norm_([p], threshold).item()
    scaled = p.grad[1].item()
    assert total == g and abs(scaled) >= 2.0 ** -1022, (g, threshold, total, scaled)
    return total, scaled / probe


def pairs():
    rng = random.Random(20260101)
    for t in [1e-7, 1e-6, 3e-6, 0.01, 1.0, 2.5, 1e3]:
        for g in [0.0, t / 2, t - 9e-7, t - 5e-7, t - 1e-7, t - 1e-12, t, t + 1e-12, t * 1.5, t * 1e6]:
            if g >= 0:
                yield g, t
    for _ in range(300):
        yield rng.lognormvariate(0, 4), rng.lognormvariate(0, 4)
    yield 1e150, 1.0  # (1e300 would overflow the sum of squares: total_norm inf)
    yield 1e-100, 1e-100


cases = []
division_differs = 0
for g, t in pairs():
    total, coef = torch_coef(g, t)
    cases.append([bits(total), bits(t), bits(coef)])
    division_differs += min(1.0, t / (total + 1e-6)) != coef
head = {
    "torch": torch.__version__,
    "note": "[gradNorm, threshold, coef] as IEEE-754 bits; gradNorm is the total norm clip_grad_norm_ returned",
    "divisionDiffers": division_differs,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "torch-coef.json")
with open(path, "w") as f:
    f.write(json.dumps(head)[:-1] + ',\n"cases": [\n' + ",\n".join(json.dumps(c) for c in cases) + "\n]}\n")
print(f"{len(cases)} cases, plain division differs from torch on {division_differs}: {path}")
