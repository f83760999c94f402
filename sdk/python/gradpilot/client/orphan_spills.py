"""Steps a dead process (or a run closed with steps undelivered) left in spill files (the TS
``orphan-spills.ts``): this run delivers them first, before its own, and before a resume
replaces later steps."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from .connection import RefusedError
from .spill_file import Adopted, adopt, batch_length, find_orphan_spills

log = logging.getLogger("gradpilot.client.orphans")


def _steps(batch: dict) -> list:
    step = batch.get("step")
    return step if isinstance(step, list) else []


class OrphanSpills:
    def __init__(self) -> None:
        self._files: list[Adopted] = []
        self._delivered = 0
        self._dropped = 0
        self._lock = threading.Lock()  # deliver() runs on the I/O thread, add_to() anywhere

    @classmethod
    def load(cls, folder: str | None, run_id: str) -> "OrphanSpills":
        """The spill files of ``run_id`` in ``folder`` that no live process owns, adopted."""
        orphans = cls()
        if folder is None:
            return orphans
        for path in find_orphan_spills(folder, run_id):
            try:
                adopted = adopt(path)
            except OSError as err:
                log.debug("cannot adopt %s: %s", path, err)
                continue
            if adopted is None:
                log.debug("%s is being delivered by another process", path)
                continue
            orphans._files.append(adopted)
            log.debug("will deliver %s first", adopted.path)
        return orphans

    @property
    def empty(self) -> bool:
        return not self._files

    def deliver(self, run_id: str, send: Callable[[dict], object], refused: Callable[[RefusedError, str], None]) -> None:
        """Sends every batch in order, removing each file once all of it is acknowledged. A batch
        the server refuses is counted as dropped (sending it again cannot help); any other
        failure (a disconnect) propagates, and the next call continues where this one stopped."""
        while self._files:
            adopted = self._files[0]
            batches = adopted.batches
            while batches:
                batch = batches[0]
                try:
                    send({**batch, "runId": run_id})
                    outcome = "delivered"
                except RefusedError as err:
                    outcome = "dropped"
                    refused(err, adopted.path)
                with self._lock:
                    if outcome == "delivered":
                        self._delivered += batch_length(batch)
                    else:
                        self._dropped += batch_length(batch)
                    batches.pop(0)
            adopted.remove()
            with self._lock:
                self._files.pop(0)

    def release(self) -> None:
        """The run closes: files not delivered stay for the next init (their locks go)."""
        for adopted in self._files:
            adopted.release()

    def add_to(self, c: dict) -> dict:
        """Adds what these files hold to a run's counts."""
        with self._lock:
            c["delivered"] += self._delivered
            c["dropped"] += self._dropped
            for adopted in self._files:
                for b in adopted.batches:
                    steps = _steps(b)
                    if not steps:
                        continue
                    c["undelivered"] += len(steps)
                    first, last = steps[0], steps[-1]
                    if c["first_undelivered_step"] is None or first < c["first_undelivered_step"]:
                        c["first_undelivered_step"] = first
                    if c["last_undelivered_step"] is None or last > c["last_undelivered_step"]:
                        c["last_undelivered_step"] = last
        return c
