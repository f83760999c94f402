"""Validation of a controller state that came back through JSON (from the server, a file, a
resuming SDK), the TS ``state.ts``. Errors name the field; the pieces are validated by their
owners (detector.py, zscore.py)."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, NamedTuple

from .js_number import is_number, to_double
from .policy import _UNDEFINED, PolicyError, _parse


class RestoredState(NamedTuple):
    policy: Dict[str, Any]
    log: List[float]
    detector: Any
    zscore: Any


def _fail(field: str, expected: str):
    raise TypeError(f'Invalid controller state: expected "{field}" to be {expected}')


def state_policy(state: object) -> Dict[str, Any]:
    """The state's policy, validated (the error names the field as "policy.<field>")."""
    if not isinstance(state, Mapping):
        _fail("state", "an object from Controller.toState()")
    version = state.get("version")
    if not (is_number(version) and version == 1):
        _fail("version", "1")
    try:
        return _parse(state.get("policy", _UNDEFINED))
    except PolicyError as err:
        raise PolicyError(f"policy.{err.field}", f"Invalid controller state: {err.message}") from None


def restore_state(state: object) -> RestoredState:
    """Checks a whole state and returns its parts; the detector and zscore parts are checked
    when their owners restore them."""
    policy = state_policy(state)
    data = state.get("data")
    if not isinstance(data, Mapping):
        _fail("data", "an object")
    log = data.get("log")
    if not isinstance(log, list):
        _fail("data.log", "an array of finite numbers")
    values = []
    for i, v in enumerate(log):
        d = to_double(v) if is_number(v) else None
        if d is None or not math.isfinite(d):
            _fail(f"data.log[{i}]", "a finite number")
        values.append(d)
    detector = data.get("detector")
    # typeof [] === 'object' in TS: an array gets as far as its count.
    if not isinstance(detector, (Mapping, list)):
        _fail("data.detector", "an object")
    count = detector.get("count") if isinstance(detector, Mapping) else None
    if not (is_number(count) and count == len(values)):
        _fail("data.detector.count", f"the number of finite norms in data.log ({len(values)})")
    zscore = data.get("zscore", _UNDEFINED)
    if (zscore is None or zscore is _UNDEFINED) if policy["kind"] == "zscore" else zscore is not None:
        _fail("data.zscore", "an object for a zscore policy" if policy["kind"] == "zscore" else "null unless the policy is zscore")
    return RestoredState(policy, values, detector, zscore)
