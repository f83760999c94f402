"""Sends step batches, and keeps a newer SDK working with a server from before the per-step
``time`` column. Such a server validates batches strictly and refuses the whole batch for the
unknown field; the SDK drops refused batches (resending an invalid batch cannot help), so
without this every step of the run would be lost until the server is upgraded."""

from __future__ import annotations

import re
from typing import Callable

from .connection import Connection, RefusedError
from ..protocol.socket_events import STEPS

#: How a server from before the time column words its refusal (sdk/protocol/validate.ts, rejectUnknownKeys).
_TIME_REFUSAL = re.compile(r'^Unknown field "time" in the batch\b')


def refuses_time_column(message: str) -> bool:
    """True when ``message`` is an older server refusing the batch's ``time`` column, and nothing else."""
    return _TIME_REFUSAL.match(message) is not None


def without_time(batch: dict) -> dict:
    """The batch without its ``time`` column (the server stores arrival times instead)."""
    return {k: v for k, v in batch.items() if k != "time"}


class StepsSender:
    """``on_older_server(message)`` is told once, when the server turns out not to take the time column."""

    def __init__(self, conn: Connection, timeout: float, on_older_server: Callable[[str], None]) -> None:
        self._conn = conn
        self._timeout = timeout
        self._on_older_server = on_older_server
        self._send_time = True

    @property
    def sends_time(self) -> bool:
        """Whether batches still carry their time column (False once an older server refused it)."""
        return self._send_time

    def _wire(self, batch: dict) -> dict:
        return batch if self._send_time else without_time(batch)

    def _older_server(self, batch: dict, err) -> bool:
        if "time" not in batch or not isinstance(err, RefusedError) or not refuses_time_column(str(err)):
            return False
        # Batches already in flight may be refused the same way: only the first one tells.
        if self._send_time:
            self._send_time = False
            self._on_older_server(str(err))
        return True

    def send(self, batch: dict, reply: Callable, call_later: Callable) -> None:
        """As ``Connection.send`` of a ``steps`` request: ``reply(result, error)`` runs once."""
        def answered(result, err) -> None:
            if self._older_server(batch, err):
                self._conn.send(STEPS, without_time(batch), self._timeout, reply, call_later)
            else:
                reply(result, err)

        self._conn.send(STEPS, self._wire(batch), self._timeout, answered, call_later)

    def call(self, batch: dict):
        """As ``Connection.call`` of a ``steps`` request (blocking; raises)."""
        try:
            return self._conn.call(STEPS, self._wire(batch), self._timeout)
        except RefusedError as err:
            if not self._older_server(batch, err):
                raise
            return self._conn.call(STEPS, without_time(batch), self._timeout)
