"""Every finite norm of the run in arrival order (the TS ``norm-log.ts``). The controller keeps
it whatever the policy so that a policy change mid-run (say zscore -> percentile, or a new
window) sees the run's whole history; it is also what the state serialises. An ``array('d')``:
8 bytes per finite step, as in TS.
"""

from __future__ import annotations

from array import array
from typing import Iterable, List, Optional


class NormLog:
    __slots__ = ("_values",)

    def __init__(self, initial: Iterable[float] = ()) -> None:
        self._values = array("d", initial)

    def __len__(self) -> int:
        return len(self._values)

    def push(self, value: float) -> None:
        self._values.append(value)

    def get(self, index: int) -> float:
        return self._values[index]

    def values(self, start: int = 0, end: Optional[int] = None) -> array:
        """A copy of the values [start, end)."""
        return self._values[start:end]

    def to_list(self) -> List[float]:
        return self._values.tolist()
