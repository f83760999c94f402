"""Stop requests from the server (the TS ``stop-follower.ts``): each request id is reported
once (a push, or the join answer after a reconnect, may tell it again) and acknowledged with
the last step observed then. The SDK stops nothing itself: the training script reads
``run.stop_requested`` and decides."""

from __future__ import annotations

from typing import Callable

from .connection import RefusedError


class StopFollower:
    """Called with the run's lock held; ``send(ack, done)`` answers ``done(err)`` on the I/O thread."""

    def __init__(self, run_id: str, rank: int, *, send: Callable, told: Callable, error: Callable) -> None:
        self._run_id = run_id
        self._rank = rank
        self._send = send
        self._told = told
        self._error = error
        self._seen: set[int] = set()
        self._pending: list[dict] = []
        self._in_flight = 0
        #: The latest stop request this run was told of, or None.
        self.request: dict | None = None
        #: Acknowledgements go out only while the run is joined.
        self.online = False

    @property
    def idle(self) -> bool:
        return not self._pending and self._in_flight == 0

    def offer(self, push, last_step: int | None) -> bool:
        """A request from the server; True when it is new to this run (then it is reported)."""
        if not isinstance(push, dict) or push.get("runId") != self._run_id:
            return False
        rid = push.get("id")
        if not isinstance(rid, int) or isinstance(rid, bool) or rid in self._seen:
            return False
        self._seen.add(rid)
        self.request = push
        self._pending.append({"runId": self._run_id, "id": rid, "rank": self._rank, "step": last_step})
        self._told(push)
        return True

    def flush(self) -> None:
        """Sends the acknowledgements waiting (after a reconnect, or once told)."""
        if not self.online:
            return
        pending, self._pending = self._pending, []
        for ack in pending:
            self._in_flight += 1

            def done(err, ack=ack) -> None:
                self._in_flight -= 1
                if isinstance(err, RefusedError):
                    self._error(err)
                elif err is not None:
                    self._pending.append(ack)  # sent again after the next join

            self._send(ack, done)
