"""When a policy pushed by the server comes into force (the TS ``policy-schedule.ts``). Pure
bookkeeping: the run asks it before deciding each step, so every rank switches exactly at the
push's effectiveStep."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class AppliedPolicy:
    """A policy that came into force: what the SDK acknowledges to the server."""

    version: int
    effective_step: int
    policy: dict
    applied_at_step: int
    #: The push arrived after its effectiveStep had been decided, so it applied at once.
    late: bool


class PolicySchedule:
    def __init__(self) -> None:
        self.version = 0  # 0: the policy given to init, before the server answered
        self._pending: list[dict] = []  # pushes {version, effectiveStep, policy}, by version

    @property
    def pending_versions(self) -> list[int]:
        return [p["version"] for p in self._pending]

    @property
    def next_effective_step(self) -> float:
        """Steps before this one need no check (inf when nothing is pending)."""
        return min((p["effectiveStep"] for p in self._pending), default=math.inf)

    def offer(self, push: dict, last_step: int | None) -> AppliedPolicy | None:
        """A push arrived. Returns the policy to apply at once when it is late, else None (it waits)."""
        version = push["version"]
        if version <= self.version or any(p["version"] == version for p in self._pending):
            return None
        if last_step is not None and push["effectiveStep"] <= last_step:
            self.version = version
            self._pending = [p for p in self._pending if p["version"] > version]
            return AppliedPolicy(version, push["effectiveStep"], push["policy"], last_step + 1, True)
        self._pending.append(push)
        self._pending.sort(key=lambda p: p["version"])
        return None

    def due(self, step: int) -> AppliedPolicy | None:
        """The policy to switch to just before deciding ``step``, if one comes into force there."""
        chosen = None
        for p in self._pending:
            if p["effectiveStep"] <= step:
                chosen = p
        if chosen is None:
            return None
        v = chosen["version"]
        self.version = v
        self._pending = [p for p in self._pending if p["version"] > v]
        return AppliedPolicy(v, chosen["effectiveStep"], chosen["policy"], step, False)

    def adopt(self, version: int) -> None:
        """Marks ``version`` as in force without a switch (the controller already runs that policy)."""
        if version > self.version:
            self.version = version
        self._pending = [p for p in self._pending if p["version"] > version]
