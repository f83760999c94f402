"""Tiny models for the gradpilot.torch tests: fast on a 2-core CPU, deterministic for a seed."""

from __future__ import annotations

import torch
from torch import nn

VOCAB = 32


class TinyTransformer(nn.Module):
    """A one-layer transformer language model (~20k parameters)."""

    def __init__(self, d: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d)
        self.block = nn.TransformerEncoderLayer(d, nhead=2, dim_feedforward=2 * d, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d, VOCAB)

    def forward(self, x):
        return self.head(self.block(self.embed(x)))


class TinyLstm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def lm_batches(seed: int, n: int, batch: int = 8, length: int = 12):
    """Next-token batches of a noisy counting sequence, the same for the same seed."""
    g = torch.Generator().manual_seed(seed)
    for _ in range(n):
        start = torch.randint(0, VOCAB, (batch, 1), generator=g)
        seq = (start + torch.arange(length + 1)) % VOCAB
        noise = torch.randint(0, VOCAB, seq.shape, generator=g)
        seq = torch.where(torch.rand(seq.shape, generator=g) < 0.1, noise, seq)
        yield seq[:, :-1], seq[:, 1:]


def lm_loss(model, x, y):
    return nn.functional.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))


def transformer(seed: int = 0) -> TinyTransformer:
    torch.manual_seed(seed)
    return TinyTransformer()


def lstm_with_grads(seed: int = 0) -> TinyLstm:
    torch.manual_seed(seed)
    model = TinyLstm()
    x = torch.randn(4, 5, 8)
    nn.functional.mse_loss(model(x), torch.randn(4, 1)).backward()
    return model


def transformer_with_grads(seed: int = 0) -> TinyTransformer:
    model = transformer(seed)
    x, y = next(lm_batches(seed, 1))
    lm_loss(model, x, y).backward()
    return model
