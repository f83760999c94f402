#!/usr/bin/python3
"""The Python SDK's cost in a PyTorch training loop, against a real server.

Run: PYTHONPATH=sdk/python /usr/bin/python3 test/bench/python-sdk.py   (from the repo root)

1. The SDK's own work per step: ``run.observe`` (controller decision + recording into the
   outbox, with the batch seal and the hand-off to the I/O thread every 256 steps) at a history
   of 1e6 norms (AutoClip, p=10, full history: the most expensive policy), while the run
   streams to a real ``gradpilot serve`` on this machine. Timed in blocks of one batch (256
   steps), median, fastest and worst block over 80 blocks; beside it, the CPU the SDK's background
   threads (I/O loop, socket) used per step in the same blocks. Compared with a small torch
   training step (forward, backward, clip, Adam) of a tiny transformer (~20k parameters) and of
   a ~1M-parameter transformer.
2. ``gradpilot.torch.clip_grad_norm_`` against ``torch.nn.utils.clip_grad_norm_`` followed by
   the ``.item()`` a user calls to log the norm, on the same gradients (restored before each
   call, untimed), both clipping at half the gradients' norm (ours: policy fixed, maxNorm), calls alternating,
   median and fastest of 300 each. Ours includes observe and the streaming to the server (per_layer=True
   in a run of its own).
Every number moves with the machine's load, printed at the end.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
import torch
from torch import nn

import gradpilot
from gradpilot.controller import Controller
from gradpilot.torch import clip_grad_norm_

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HISTORY = 1_000_000
BLOCK = 256
BLOCKS = 80
CLIP_REPEATS = 300


class Transformer(nn.Module):
    def __init__(self, vocab: int, d: int, layers: int) -> None:
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, nhead=4 if d >= 64 else 2, dim_feedforward=4 * d, dropout=0.0, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, vocab)

    def forward(self, x):
        return self.head(self.blocks(self.embed(x)))


MODELS = {  # name: (vocab, d, layers, batch, length)
    "tiny transformer": (32, 32, 1, 8, 12),
    "~1M-param transformer": (256, 128, 5, 8, 32),
}


def build(name: str):
    vocab, d, layers, batch, length = MODELS[name]
    torch.manual_seed(0)
    model = Transformer(vocab, d, layers)
    x = torch.randint(0, vocab, (batch, length))
    y = torch.randint(0, vocab, (batch, length))
    return model, x, y


def loss_of(model, x, y):
    return nn.functional.cross_entropy(model(x).reshape(-1, model.vocab), y.reshape(-1))


def start_server(db: str):
    proc = subprocess.Popen(["node", os.path.join(ROOT, "server/cli/gradpilot.js"), "serve", "--port", "0", "--db", db],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return proc, m.group(1)


def state_with_history(values):
    """A controller state holding these norms, as a long run would save it (as test/bench/python-controller.py)."""
    return {
        "version": 1,
        "policy": {"kind": "percentile", "p": 10},
        "data": {
            "log": values,
            "detector": {"count": len(values), "mean": 1.0, "var": 0.25, "recent": values[-101:],
                         "spikes": [0] * 10, "consecutiveNonFinite": 0},
            "zscore": None,
        },
    }


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.3f} ms"


def observe_cost(url: str, spill: str) -> dict:
    rng = np.random.default_rng(1)
    run_id = f"bench-{os.getpid()}"
    body = json.dumps({"id": run_id, "name": "python-sdk bench", "policy": {"kind": "percentile", "p": 10}}).encode()
    urllib.request.urlopen(urllib.request.Request(url + "/api/runs", data=body, headers={"content-type": "application/json"}))
    history = rng.lognormal(0.0, 0.5, HISTORY).tolist()
    run = gradpilot.init(url, resume=run_id, from_step=HISTORY - 1, state=state_with_history(history), spill_dir=spill)
    alone = Controller.from_state(state_with_history(history))  # the same decisions without the SDK around them
    deadline = time.monotonic() + 30
    while not run.status()["ready"] and time.monotonic() < deadline:
        time.sleep(0.05)
    norms = rng.lognormal(0.0, 0.5, (BLOCKS + 4) * BLOCK).tolist()
    decide_blocks = []
    step = HISTORY
    for b in range(BLOCKS + 4):
        wall = time.perf_counter()
        for i in range(BLOCK):
            alone.decide(step, norms[step - HISTORY], 0.5)
            step += 1
        if b >= 4:
            decide_blocks.append((time.perf_counter() - wall) / BLOCK)
    step = HISTORY
    per_block, background = [], []
    for b in range(BLOCKS + 4):
        wall, cpu_all, cpu_main = time.perf_counter(), time.process_time(), time.thread_time()
        for i in range(BLOCK):
            run.observe(step, norms[step - HISTORY], loss=0.5)
            step += 1
        elapsed = time.perf_counter() - wall
        # Let the I/O thread send the batch, as torch ops (which release the GIL) would.
        time.sleep(0.004)
        other = (time.process_time() - cpu_all) - (time.thread_time() - cpu_main)
        if b >= 4:  # the first blocks warm the caches
            per_block.append(elapsed / BLOCK)
            background.append(other / BLOCK)
    assert run.flush(timeout=30), run.status()
    status = run.status()
    run.close()
    return {"median": statistics.median(per_block), "worst": max(per_block), "background": statistics.median(background),
            "decide": statistics.median(decide_blocks), "fastest": min(per_block), "decide_fastest": min(decide_blocks),
            "history": HISTORY + BLOCKS * BLOCK, "delivered": status["delivered"]}


def train_step_time(name: str) -> float:
    steps, warm = (150, 20) if name == "tiny transformer" else (14, 4)  # this torch build's BLAS is the generic one
    model, x, y = build(name)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        loss = loss_of(model, x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times[warm:])


def clip_cost(name: str, url: str, spill: str) -> dict:
    model, x, y = build(name)
    loss_of(model, x, y).backward()
    params = list(model.parameters())
    saved = [p.grad.detach().clone() for p in params]
    # Both clip at half the norm, so that both scale the gradients every call.
    max_norm = float(torch.nn.utils.clip_grad_norm_(params, math.inf)) / 2
    policy = {"kind": "fixed", "maxNorm": max_norm}
    run = gradpilot.init(url, name=f"clip bench {name}", policy=policy, spill_dir=spill)
    layered = gradpilot.init(url, name=f"clip bench {name}, per layer", policy=policy, spill_dir=spill)

    def restore():
        for p, g in zip(params, saved):
            p.grad.copy_(g)

    ours, theirs, ours_layers = [], [], []
    for i in range(CLIP_REPEATS + 20):
        restore()
        t = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, max_norm).item()
        theirs.append(time.perf_counter() - t)
        restore()
        t = time.perf_counter()
        d = clip_grad_norm_(run, params, step=i)
        ours.append(time.perf_counter() - t)
        restore()
        t = time.perf_counter()
        clip_grad_norm_(layered, model.named_parameters(), step=i, per_layer=True)
        ours_layers.append(time.perf_counter() - t)
    assert d.action == "clip", d
    run.close()
    layered.close()
    n = sum(p.numel() for p in params)
    return {"params": n, "tensors": len(params),
            **{k: (statistics.median(v[20:]), min(v[20:])) for k, v in (("torch", theirs), ("ours", ours), ("ours_layers", ours_layers))}}


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="gradpilot-bench-")
    proc, url = start_server(os.path.join(tmp, "bench.db"))
    try:
        obs = observe_cost(url, tmp)
        steps = {name: train_step_time(name) for name in MODELS}
        clips = {name: clip_cost(name, url, tmp) for name in MODELS}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)

    if "--json" in sys.argv:
        # For `npm run bench` (test/bench/perf-table.ts), which puts these in its table.
        print(json.dumps({"observe": obs, "steps": steps, "clips": clips}))
        return

    print(f"1. SDK work per step: run.observe at a history of {HISTORY:.0e} (AutoClip p=10, full history), streaming to a real server\n")
    print("| what | per step | share of the training step |")
    print("|---|---:|---:|")
    print(f"| run.observe, median block of {BLOCK} steps | {us(obs['median'])} | "
          + " / ".join(f"{obs['median'] / t * 100:.3f} % of the {n}" for n, t in steps.items()) + " |")
    print(f"| run.observe, fastest block of {BLOCK} steps | {us(obs['fastest'])} | "
          + " / ".join(f"{obs['fastest'] / t * 100:.3f} %" for t in steps.values()) + " |")
    print(f"| run.observe, worst block of {BLOCK} steps | {us(obs['worst'])} | "
          + " / ".join(f"{obs['worst'] / t * 100:.3f} %" for t in steps.values()) + " |")
    print(f"| of which Controller.decide alone (same norms, no SDK), median (fastest) block | {us(obs['decide'])} "
          f"({us(obs['decide_fastest'])}) | " + " / ".join(f"{obs['decide'] / t * 100:.3f} %" for t in steps.values()) + " |")
    print(f"| background threads (I/O loop, socket), CPU | {us(obs['background'])} | "
          + " / ".join(f"{obs['background'] / t * 100:.3f} %" for t in steps.values()) + " |")
    for n, t in steps.items():
        print(f"| torch training step, {n} (forward, backward, clip, Adam) | {us(t)} | 100 % |")
    print(f"\nTargets: <= 1 % of the step and <= 20 µs. {obs['delivered']} steps delivered, history at the end {obs['history']:.3e}.\n")

    print("2. gradpilot.torch.clip_grad_norm_ vs torch.nn.utils.clip_grad_norm_ + .item(), same gradients, both clipping\n")
    print("Each cell: median (fastest) of the calls; the fastest is what a call costs when no other process")
    print("takes the CPU in the middle of it.\n")
    print("| model | parameters (tensors) | torch + .item() | gradpilot | ratio | gradpilot per_layer=True | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def cell(t):
        return f"{us(t[0])} ({us(t[1])})"

    def ratio(a, b):
        return f"{a[0] / b[0]:.2f}x ({a[1] / b[1]:.2f}x)"

    for name, c in clips.items():
        print(f"| {name} | {c['params']:,} ({c['tensors']}) | {cell(c['torch'])} | {cell(c['ours'])} | {ratio(c['ours'], c['torch'])} "
              f"| {cell(c['ours_layers'])} | {ratio(c['ours_layers'], c['torch'])} |")
    print("\nTarget: <= 1.2x on the ~1M-parameter model.")
    load = os.getloadavg()
    print(f"\nPython {sys.version.split()[0]}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
