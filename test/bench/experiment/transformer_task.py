"""The transformer task of `npm run experiment -- --task transformer`: a small character-level
decoder-only transformer (PyTorch, CPU, AdamW) on Python standard-library source files, every
step streamed through the gradpilot Python SDK to the server the experiment names.

Run by test/bench/experiment/transformer-runner.ts, one process per worker:

    /usr/bin/python3 transformer_task.py SPEC.json

SPEC: {"url", "project", "threads", "settings": {...}, "jobs": [{"condition", "policy", "seed"}]}.
Writes one JSON line per finished run to stdout (non-finite numbers as the strings "NaN",
"Infinity", "-Infinity", as gradpilot's wire format spells them); progress goes to stderr.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from typing import Any, Dict, List

import numpy as np
import torch
from torch import nn

import gradpilot
from gradpilot.torch import clip_grad_norm_

STDLIB = "/usr/lib/python3.11/"
# Fixed lists, so every machine trains on the same text. All of them ship in Debian's
# libpython3.11-minimal or libpython3.11-stdlib, which python3.11 depends on: no download.
# The evaluation files are never trained on.
TRAIN_FILES = [
    "argparse.py", "collections/__init__.py", "dataclasses.py", "difflib.py", "enum.py",
    "fractions.py", "functools.py", "heapq.py", "inspect.py", "pathlib.py", "shutil.py",
    "statistics.py", "tempfile.py", "textwrap.py", "typing.py",
]
EVAL_FILES = ["bisect.py", "csv.py", "json/decoder.py", "json/encoder.py", "string.py"]
VOCAB = 256  # bytes: the files are ASCII (a few UTF-8 bytes in comments are their own tokens)


def read_corpus(files: List[str]) -> bytes:
    return b"".join(open(STDLIB + f, "rb").read() for f in files)


def corpus_digest() -> str:
    """sha256 of train + eval text: a Debian update that changes a file changes the digest."""
    return hashlib.sha256(read_corpus(TRAIN_FILES) + b"\0" + read_corpus(EVAL_FILES)).hexdigest()


def unigram_loss(train: np.ndarray, evaluation: np.ndarray) -> float:
    """Cross-entropy (nats) on the evaluation text of the training text's byte frequencies
    (add-one smoothed): what a model that learned nothing but letter frequencies scores."""
    counts = np.bincount(train, minlength=VOCAB).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    return float(-logp[evaluation].mean())


class Block(nn.Module):
    """Transformer block: causal self-attention, then a 4x GELU MLP, each with a residual.
    Pre-LayerNorm (GPT-2) normalises each branch's input; post-LayerNorm (the original
    transformer) normalises after each residual sum, which is the one that needs a warm-up."""

    def __init__(self, width: int, heads: int, post_norm: bool) -> None:
        super().__init__()
        self.post_norm = post_norm
        self.ln1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.post_norm:
            x = self.ln1(x + self.attn(x, x, x, attn_mask=mask, need_weights=False)[0])
            return self.ln2(x + self.mlp(x))
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class CharTransformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, context: int, post_norm: bool = False) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, width)
        self.pos = nn.Embedding(context, width)
        self.blocks = nn.ModuleList([Block(width, heads, post_norm) for _ in range(layers)])
        self.ln = nn.Identity() if post_norm else nn.LayerNorm(width)
        self.head = nn.Linear(width, VOCAB)
        self.register_buffer("mask", torch.triu(torch.full((context, context), float("-inf")), diagonal=1))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t))
        for b in self.blocks:
            x = b(x, self.mask[:t, :t])
        return self.head(self.ln(x))


def windows(data: torch.Tensor, starts: np.ndarray, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    idx = torch.as_tensor(starts)[:, None] + torch.arange(context + 1)[None, :]
    w = data[idx]
    return w[:, :-1], w[:, 1:]


def cross_entropy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    logits = model(x)
    return nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))


def finite(v: float) -> Any:
    return v if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))


def train_run(spec: Dict[str, Any], job: Dict[str, Any], train: torch.Tensor, evaluation: tuple) -> Dict[str, Any]:
    s = spec["settings"]
    seed = job["seed"]
    context, batch, lr = s["context"], s["batchSize"], s["lr"]
    # The same seed gives the same initial weights and the same batches under every condition:
    # the weights from torch's generator, the batch offsets drawn up front from numpy's.
    torch.manual_seed(seed)
    model = CharTransformer(s["width"], s["layers"], s["heads"], context, post_norm=s["norm"] == "post")
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, s["beta2"]), weight_decay=s["weightDecay"])
    starts = np.random.default_rng(seed).integers(0, len(train) - context - 1, size=(s["steps"], batch))

    run = gradpilot.init(
        spec["url"],
        name=f"{job['condition']} · seed {seed}",
        project=spec["project"],
        policy=job["policy"],
        config={**s, "seed": seed, "condition": job["condition"], "task": "char-transformer"},
        # Short runs, a local server: keep undelivered steps in memory, not in a spill file.
        spill_dir=None,
        quiet=True,
    )

    def evaluate() -> float:
        model.eval()
        with torch.no_grad():
            v = float(cross_entropy(model, *evaluation))
        model.train()
        return v

    out: Dict[str, Any] = {
        "condition": job["condition"], "seed": seed, "runId": run.id, "steps": s["steps"],
        "trainLoss": [], "gradNorm": [], "evalSteps": [0], "evalLoss": [evaluate()],
        "clipped": 0, "skipped": 0, "nonFinite": 0,
    }
    t0 = time.perf_counter()
    try:
        for step in range(s["steps"]):
            x, y = windows(train, starts[step], context)
            loss = cross_entropy(model, x, y)
            loss.backward()
            d = clip_grad_norm_(run, model.parameters(), step=step, loss=loss, lr=lr)
            if d.action != "skip":
                opt.step()
            opt.zero_grad(set_to_none=True)
            lv = float(loss.detach())
            out["trainLoss"].append(lv)
            out["gradNorm"].append(d.grad_norm)
            if d.action == "clip":
                out["clipped"] += 1
            elif d.action == "skip":
                out["skipped"] += 1
            if not (math.isfinite(lv) and math.isfinite(d.grad_norm)):
                out["nonFinite"] += 1
            if (step + 1) % s["evalEvery"] == 0 or step + 1 == s["steps"]:
                out["evalSteps"].append(step + 1)
                out["evalLoss"].append(evaluate())
    finally:
        out["seconds"] = time.perf_counter() - t0
        report = run.close(10.0)
    out["undelivered"] = report.get("undelivered", 0)
    for key in ("trainLoss", "gradNorm", "evalLoss"):
        out[key] = [finite(v) for v in out[key]]
    return out


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: transformer_task.py SPEC.json\n")
        return 2
    spec = json.load(open(argv[1]))
    s = spec["settings"]
    # One intra-op thread per worker: the runner starts one worker per core (measured faster
    # than one worker on all cores for a model this small, see README "Does it help?").
    torch.set_num_threads(int(spec.get("threads", 1)))
    train_np = np.frombuffer(read_corpus(TRAIN_FILES), dtype=np.uint8).astype(np.int64)
    eval_np = np.frombuffer(read_corpus(EVAL_FILES), dtype=np.uint8).astype(np.int64)
    train = torch.from_numpy(train_np)
    ev = torch.from_numpy(eval_np)
    # A fixed evaluation set: evenly spaced windows over the held-out files.
    eval_starts = np.linspace(0, len(ev) - s["context"] - 2, s["evalSize"]).astype(np.int64)
    evaluation = windows(ev, eval_starts, s["context"])
    sys.stdout.write(json.dumps({"corpus": {
        "trainBytes": int(len(train_np)), "evalBytes": int(len(eval_np)), "sha256": corpus_digest(),
        "unigramLoss": unigram_loss(train_np, eval_np)}}) + "\n")
    sys.stdout.flush()
    for job in spec["jobs"]:
        result = train_run(spec, job, train, evaluation)
        sys.stdout.write(json.dumps({"run": result}, allow_nan=False) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
