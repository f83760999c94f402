"""Follows the server's policy versions (the TS ``policy-follower.ts``): validates each push,
switches the controller at the push's effectiveStep (or at once when late), and acknowledges
with the step it applied at. Called under the run's lock, from the training thread
(``before_step``) and the I/O thread (``offer``, ``flush``)."""

from __future__ import annotations

import json
import logging
from typing import Callable

from .errors import GradpilotError
from .policy_schedule import AppliedPolicy, PolicySchedule

log = logging.getLogger("gradpilot.client.policy")


def same_policy(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class PolicyFollower:
    """``send(ack, on_done)`` sends one acknowledgement and later calls ``on_done(error_or_None,
    refused)``; ``applied(applied)``, ``error(err)`` and ``wake()`` (flush soon, outside the step)
    are the run's hooks."""

    def __init__(self, run_id: str, rank: int, send: Callable, applied: Callable, error: Callable, wake: Callable) -> None:
        self._run_id = run_id
        self._rank = rank
        self._send = send
        self._applied = applied
        self._error = error
        self._wake = wake
        self._schedule = PolicySchedule()
        self._pending: list[AppliedPolicy] = []
        self._in_flight = 0
        #: Acknowledgements go out only while the run is joined.
        self.online = False
        #: Cached schedule.next_effective_step: the per-step check is one comparison.
        self._next = self._schedule.next_effective_step

    @property
    def version(self) -> int:
        return self._schedule.version

    @property
    def pending_versions(self) -> list[int]:
        return self._schedule.pending_versions

    @property
    def idle(self) -> bool:
        """No acknowledgement waiting or in flight."""
        return not self._pending and self._in_flight == 0

    def before_step(self, step: int, controller) -> None:
        """Just before deciding ``step``: switches the controller when a version comes into force there."""
        if step < self._next:
            return
        applied = self._schedule.due(step)
        self._next = self._schedule.next_effective_step
        if applied is not None:
            self._apply(applied, controller)

    def offer(self, raw: dict, controller, last_step: int | None) -> None:
        """A version from the server (a push, or the current one on join)."""
        from ..controller import PolicyError, parse_policy

        if raw.get("runId") != self._run_id or raw["version"] <= self._schedule.version:
            return
        try:
            push = {**raw, "policy": parse_policy(raw["policy"])}
        except (PolicyError, TypeError, ValueError) as err:
            # Keep training with the policy in force rather than crash the training loop.
            self._error(GradpilotError(f"Ignored policy version {raw['version']} from the server: {err}", "INVALID_OPTION", err))
            return
        if same_policy(push["policy"], controller.policy) and (last_step is None or push["effectiveStep"] <= last_step + 1):
            # Already in force (the run's own initial policy, or a resumed state that includes it).
            self._schedule.adopt(push["version"])
            self._next = self._schedule.next_effective_step
            self._queue(AppliedPolicy(push["version"], push["effectiveStep"], push["policy"], push["effectiveStep"], False))
            return
        late = self._schedule.offer(push, last_step)
        self._next = self._schedule.next_effective_step
        if late is not None:
            self._apply(late, controller)

    def flush(self) -> None:
        """Sends the acknowledgements waiting (after a reconnect, or once a step returned)."""
        if not self.online:
            return
        pending, self._pending = self._pending, []
        for a in pending:
            self._in_flight += 1
            ack = {"runId": self._run_id, "version": a.version, "rank": self._rank,
                   "appliedAtStep": a.applied_at_step, "late": a.late}
            self._send(ack, lambda err, refused, a=a: self._settled(a, err, refused))

    def _settled(self, applied: AppliedPolicy, err, refused: bool) -> None:
        self._in_flight -= 1
        if err is not None:
            if refused:
                self._error(err)
            else:
                self._pending.append(applied)

    def _apply(self, applied: AppliedPolicy, controller) -> None:
        controller.set_policy(applied.policy)
        log.debug("policy v%d in force from step %d%s", applied.version, applied.applied_at_step, " (late)" if applied.late else "")
        self._queue(applied)

    def _queue(self, applied: AppliedPolicy) -> None:
        self._pending.append(applied)
        self._applied(applied)
        # Never from inside observe(): the acknowledgement goes out on the I/O thread.
        if self.online:
            self._wake()
