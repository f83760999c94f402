"""Steps waiting for the server (the TS ``outbox.ts``): the batch being filled, then sealed
batches in order until the server acknowledges them. Memory is bounded: batches that cannot
be sent now go to the spill file (or, without one, the oldest are dropped and counted).
Not thread-safe by itself: the run calls it under its lock."""

from __future__ import annotations

import json
import logging

from .spill_file import SpillFile, batch_length, batch_to_json
from .step_columns import StepColumns

log = logging.getLogger("gradpilot.client.outbox")


class _Entry:
    __slots__ = ("seq", "steps", "first_step", "last_step", "batch", "spill", "in_flight", "drops")

    def __init__(self, seq: int, batch: dict, first_step: int, last_step: int) -> None:
        self.seq = seq
        self.steps = batch_length(batch)
        self.first_step = first_step
        self.last_step = last_step
        self.batch: dict | None = batch  # None once spilled
        self.spill: tuple[int, int] | None = None
        self.in_flight = False
        self.drops = 0  # connections that dropped while this batch was in flight


def empty_counts() -> dict:
    return {"delivered": 0, "undelivered": 0, "spilled": 0, "dropped": 0,
            "first_undelivered_step": None, "last_undelivered_step": None}


class Outbox:
    def __init__(self, run_id: str, batch_size: int, max_memory_steps: int, spill: SpillFile | None) -> None:
        self._run_id = run_id
        self._builder = StepColumns(batch_size)
        self._max_memory_steps = max(max_memory_steps, batch_size)
        self._spill = spill
        self._queue: list[_Entry] = []
        self._seq = 0
        self._memory_steps = 0
        self._spilled_steps = 0
        self._delivered = 0
        self._dropped = 0
        self._first_built: int | None = None
        self._last_built: int | None = None
        #: The server is unreachable: sealed batches go straight to the spill file.
        self.away = False
        #: The last error writing the spill file (the run reports it).
        self.spill_error: OSError | None = None

    def record(self, step, grad_norm, loss, lr, threshold, coef, action, layers, time) -> bool:
        """Records one step (``time``: wall-clock ms); returns True when that filled a batch (sealed, ready to send)."""
        builder = self._builder
        builder.push(step, grad_norm, loss, lr, threshold, coef, action, layers, time)
        if self._first_built is None:
            self._first_built = step
        self._last_built = step
        if not builder.full:
            return False
        self.seal()
        return True

    def seal(self) -> None:
        """Closes the batch being filled (straight to disk while ``away``)."""
        if len(self._builder) == 0:
            return
        batch = self._builder.take(self._run_id, self._seq)
        entry = _Entry(self._seq, batch, self._first_built, self._last_built)
        self._seq += 1
        self._first_built = self._last_built = None
        self._queue.append(entry)
        self._memory_steps += entry.steps
        if self.away:
            self._to_disk(entry)
        self._bound()

    def take_sendable(self, limit: int) -> list[tuple[int, dict]]:
        """Sealed batches not yet sent, oldest first, up to ``limit`` in flight; marks them in flight."""
        out = []
        in_flight = 0
        for entry in self._queue:
            if entry.in_flight:
                in_flight += 1
                continue
            if in_flight >= limit:
                break
            batch = entry.batch if entry.batch is not None else self._spill.read(entry.spill)
            # A batch that keeps dropping the connection goes as plain JSON (exact too), in case
            # its binary form is what the server cannot take.
            if entry.drops >= 2 and entry.batch is not None:
                batch = json.loads(batch_to_json(batch))
            entry.in_flight = True
            in_flight += 1
            out.append((entry.seq, batch))
        return out

    def ack(self, seq: int) -> None:
        """The server committed batch ``seq``."""
        entry = self._remove(seq)
        if entry is not None:
            self._delivered += entry.steps

    def reject(self, seq: int) -> None:
        """The server refused batch ``seq`` (invalid): resending cannot help, so it is dropped and counted."""
        entry = self._remove(seq)
        if entry is not None:
            self._dropped += entry.steps

    def retry(self, seq: int) -> None:
        """Batch ``seq`` got no answer: send it again."""
        for entry in self._queue:
            if entry.seq == seq:
                entry.in_flight = False
                return

    def disconnected(self) -> None:
        """The connection dropped: nothing is in flight any more, and everything goes to disk."""
        self.away = True
        for entry in self._queue:
            if entry.in_flight:
                entry.drops += 1
            entry.in_flight = False
            self._to_disk(entry)

    @property
    def idle(self) -> bool:
        return not self._queue and len(self._builder) == 0

    @property
    def pending_steps(self) -> int:
        return len(self._builder)

    @property
    def spill_path(self) -> str | None:
        return self._spill.path if self._spill is not None else None

    def counts(self) -> dict:
        undelivered = len(self._builder)
        first, last = self._first_built, self._last_built
        for e in self._queue:
            undelivered += e.steps
            if first is None or e.first_step < first:
                first = e.first_step
            if last is None or e.last_step > last:
                last = e.last_step
        return {"delivered": self._delivered, "undelivered": undelivered, "spilled": self._spilled_steps,
                "dropped": self._dropped, "first_undelivered_step": first, "last_undelivered_step": last}

    def _remove(self, seq: int) -> _Entry | None:
        for i, entry in enumerate(self._queue):
            if entry.seq == seq:
                break
        else:
            return None
        del self._queue[i]
        if entry.batch is not None:
            self._memory_steps -= entry.steps
        else:
            self._spilled_steps -= entry.steps
        if self._spilled_steps == 0 and self._spill is not None:
            try:
                self._spill.reset()
            except OSError as err:
                log.debug("cannot truncate the spill file: %s", err)
        return entry

    def _to_disk(self, entry: _Entry) -> bool:
        if entry.batch is None or self._spill is None:
            return False
        try:
            entry.spill = self._spill.append(entry.batch)
        except OSError as err:
            log.debug("cannot write the spill file, keeping batches in memory: %s", err)
            self.spill_error = err
            self._spill = None
            return False
        entry.batch = None
        self._memory_steps -= entry.steps
        self._spilled_steps += entry.steps
        return True

    def _bound(self) -> None:
        """Keeps memory under the bound: newest batches to disk, or without a disk the oldest dropped."""
        i = len(self._queue) - 1
        while i >= 0 and self._memory_steps > self._max_memory_steps:
            entry = self._queue[i]
            if not entry.in_flight and not self._to_disk(entry):
                break
            i -= 1
        while self._memory_steps > self._max_memory_steps:
            for i, entry in enumerate(self._queue):
                if entry.batch is not None and not entry.in_flight:
                    break
            else:
                break
            del self._queue[i]
            self._memory_steps -= entry.steps
            self._dropped += entry.steps
            log.debug("memory full and no spill file: dropped steps %d..%d", entry.first_step, entry.last_step)

    def close_spill(self) -> str | None:
        """Closes the spill file; keeps it (and returns its path) when it still holds undelivered steps."""
        if self._spill is None:
            return None
        keep = bool(self._queue) or len(self._builder) > 0
        if keep:
            self.away = True
            self.seal()
            for entry in self._queue:
                self._to_disk(entry)
        spill = self._spill
        if spill is None:
            return None  # a write failed just now (_to_disk turned spilling off): memory only
        try:
            return spill.close(keep)
        except OSError as err:
            log.debug("cannot close the spill file: %s", err)
            return None
