"""One batch in the making, column by column (the TS ``step-columns.ts``). Recording a step is a
few list appends; a batch goes out with its numeric columns as little-endian float64 bytes,
which socket.io sends as binary attachments, so NaN and ±inf arrive exactly."""

from __future__ import annotations

import math
import sys
from array import array

from ..protocol.wire_number import encode_number

_SWAP = sys.byteorder == "big"


def float64_bytes(values) -> bytes:
    """Little-endian float64 bytes, what the server's validateColumnarBatch reads as a Float64Array."""
    a = array("d", values)
    if _SWAP:
        a.byteswap()
    return a.tobytes()


def float64_values(data: bytes) -> list[float]:
    a = array("d")
    a.frombytes(data)
    if _SWAP:
        a.byteswap()
    return a.tolist()


def _wire(values: list) -> list:
    """Wire numbers; the list itself in the usual case of finite values only (checked in C)."""
    try:
        if all(map(math.isfinite, values)):
            return values
    except TypeError:  # a missing value (None)
        pass
    return [encode_number(v) for v in values]


def _optional_column(values: list, count: int, binary: bool = True):
    """Binary when every row has a value, wire numbers (None = missing) with gaps, None when empty."""
    if count == 0:
        return None
    if binary and count == len(values):
        return float64_bytes(values)
    return _wire(values)


class StepColumns:
    """Steps accumulated column by column; ``take()`` returns them as a ColumnarBatch dict."""

    __slots__ = ("capacity", "_step", "_grad_norm", "_coef", "_loss", "_lr", "_threshold", "_action",
                 "_loss_n", "_lr_n", "_threshold_n", "_layers", "_time")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._clear()

    def _clear(self) -> None:
        self._step: list = []
        self._grad_norm: list = []
        self._coef: list = []
        self._loss: list = []
        self._lr: list = []
        self._threshold: list = []
        self._action: list = []
        self._time: list = []
        self._loss_n = self._lr_n = self._threshold_n = 0
        self._layers: dict[str, list] = {}

    def __len__(self) -> int:
        return len(self._step)

    @property
    def full(self) -> bool:
        return len(self._step) >= self.capacity

    def push(self, step, grad_norm, loss, lr, threshold, coef, action, layers, time) -> None:
        """``time``: the step's wall-clock time, ms since the epoch (time.time() * 1000)."""
        i = len(self._step)
        self._step.append(step)
        self._time.append(time)
        self._grad_norm.append(grad_norm)
        self._coef.append(coef)
        self._action.append(action)
        self._loss.append(loss)
        if loss is not None:
            self._loss_n += 1
        self._lr.append(lr)
        if lr is not None:
            self._lr_n += 1
        self._threshold.append(threshold)
        if threshold is not None:
            self._threshold_n += 1
        if layers:
            columns = self._layers
            for name, value in layers.items():
                column = columns.get(name)
                if column is None:
                    column = columns[name] = [None] * i
                elif len(column) < i:
                    column.extend([None] * (i - len(column)))
                column.append(value)

    def take(self, run_id: str, seq: int) -> dict:
        """The batch so far; the builder is empty afterwards."""
        n = len(self._step)
        batch = {
            "runId": run_id,
            "seq": seq,
            "step": float64_bytes(self._step),
            "gradNorm": float64_bytes(self._grad_norm),
            "coef": float64_bytes(self._coef),
            "action": self._action,
            # Binary like the other full columns: 7 attachments with loss, lr and threshold (of 10).
            "time": float64_bytes(self._time),
        }
        for key, values, count in (("loss", self._loss, self._loss_n), ("lr", self._lr, self._lr_n),
                                   ("threshold", self._threshold, self._threshold_n)):
            column = _optional_column(values, count)
            if column is not None:
                batch[key] = column
        if self._layers:
            # The server's socket.io parser refuses a packet with more than 10 binary attachments
            # and drops the connection; layer columns can be many, so they go as wire numbers
            # (exact too: JSON round-trips doubles, non-finite values as strings).
            layers = {}
            for name, column in self._layers.items():
                if len(column) < n:
                    column.extend([None] * (n - len(column)))
                layers[name] = _wire(column)
            batch["layers"] = layers
        self._clear()
        return batch
