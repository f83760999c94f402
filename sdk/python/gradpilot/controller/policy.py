"""Policy JSON -> a validated policy dict with every default filled (the TS ``policy.ts``, with
the same messages word for word). The order follows better-sqlite3's: reject what is not a
policy, then unknown fields (with a suggestion), then each field's type and range, then the
relations between fields.
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .js_number import is_number, is_safe_integer, number_string, to_double

_UNDEFINED = object()  # a field that is absent, TS's `undefined` (None is JSON null)


class PolicyError(TypeError, ValueError):
    """A policy that failed validation; ``field`` names the offending field ('' for the whole
    policy). A TypeError as in TS, and a ValueError, as Python code expects for bad values.

    >>> try:
    ...     parse_policy({"kind": "percentile", "windw": 1000})
    ... except PolicyError as err:
    ...     print(err.field)
    windw
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


KINDS = ("percentile", "zscore", "fixed", "off")

COMMON_DEFAULTS: Dict[str, Any] = {
    "maxNorm": None,
    "minThreshold": None,
    "maxThreshold": None,
    "onNonFinite": "skip",
    "skipOnSpike": False,
    "spikeZ": 6,
    "explosionFactor": 10,
    "coefRule": "gradpilot",
}

KIND_DEFAULTS: Dict[str, Dict[str, Any]] = {
    "percentile": {"p": 10, "window": None, "warmupSteps": 0},
    "zscore": {
        "alpha": 0.97,
        "z": 2.5,
        "warmupSteps": 25,
        "clipOption": "adaptive_scaling",
        "clipFactor": 1,
        "updateStatsOnSpike": True,
    },
    "fixed": {},
    "off": {},
}


class _FrozenPolicy(dict):
    """A dict that refuses changes, as TS's Object.freeze: json.dumps and ** still work."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("DEFAULT_POLICY is read-only: copy it first, e.g. dict(DEFAULT_POLICY, p=25)")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        # copy.deepcopy and pickle give a plain (mutable) dict.
        return (dict, (dict(self),))


DEFAULT_POLICY: Dict[str, Any] = _FrozenPolicy({"kind": "percentile", **COMMON_DEFAULTS, **KIND_DEFAULTS["percentile"]})
"""AutoClip with the paper's defaults: p = 10 over the full history (read-only)."""

# Names people bring from the reference implementations (ZClip, clip_grad_norm_) and
# from snake_case configs.
ALIASES = {
    "max_norm": "maxNorm",
    "max_grad_norm": "maxNorm",
    "z_thresh": "z",
    "zThresh": "z",
    "clip_option": "clipOption",
    "clip_factor": "clipFactor",
    "warmup_steps": "warmupSteps",
    "warmup": "warmupSteps",
    "percentile": "p",
    "history_size": "window",
    "skip_update_on_spike": "updateStatsOnSpike (inverted: skip_update_on_spike=True is updateStatsOnSpike: false)",
    "skipUpdateOnSpike": "updateStatsOnSpike (inverted: skipUpdateOnSpike true is updateStatsOnSpike: false)",
    "on_nonfinite": "onNonFinite",
    "skip_on_spike": "skipOnSpike",
    "min_threshold": "minThreshold",
    "max_threshold": "maxThreshold",
    "coef_rule": "coefRule",
    "type": "kind",
    "mode": "kind",
}


def parse_policy(policy: object) -> Dict[str, Any]:
    """Validates policy JSON (a dict with the TS camelCase names) and fills every default.
    Unknown fields are rejected so that a typo never falls back silently to a default.
    Numbers come back as JSON.parse would give them back to TS: integral values as int.

    >>> parse_policy({"kind": "zscore", "z": 3})["alpha"]        # ZClip with the other defaults
    0.97
    >>> parse_policy({"kind": "percentile", "p": 10, "windw": 1000})
    Traceback (most recent call last):
    ...
    gradpilot.controller.policy.PolicyError: Unknown policy field "windw" for the kind "percentile". Did you mean "window"? Allowed fields: kind, maxNorm, minThreshold, maxThreshold, onNonFinite, skipOnSpike, spikeZ, explosionFactor, coefRule, p, window, warmupSteps
    """
    return _parse(policy)


def _parse(value: object) -> Dict[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError("", f'Expected the policy to be an object such as {{"kind": "percentile", "p": 10}}, got {_describe(value)}')
    raw = {_key(k): v for k, v in value.items()}
    kind = raw.get("kind", _UNDEFINED)
    kinds = ", ".join(f'"{k}"' for k in KINDS)
    if kind is _UNDEFINED:
        raise PolicyError("kind", f'Expected the policy field "kind" to be one of {kinds}; it is missing')
    if not isinstance(kind, str) or kind not in KINDS:
        hint = _suggest(kind, KINDS) if isinstance(kind, str) else None
        raise PolicyError("kind", f'Expected the policy field "kind" to be one of {kinds}, got {_describe(kind)}' + (f'. Did you mean "{hint}"?' if hint else ""))
    allowed = ["kind", *COMMON_DEFAULTS, *KIND_DEFAULTS[kind]]
    for name in _own_keys(raw):
        if name not in allowed:
            raise _unknown_field(name, kind, allowed)

    r = _Reader(raw)
    d = COMMON_DEFAULTS
    common = {
        "maxNorm": r.number("maxNorm", d["maxNorm"], nullable=True, positive=True),
        "minThreshold": r.number("minThreshold", d["minThreshold"], nullable=True, minimum=0),
        "maxThreshold": r.number("maxThreshold", d["maxThreshold"], nullable=True, positive=True),
        "onNonFinite": r.one_of("onNonFinite", d["onNonFinite"], ("skip", "clip", "raise")),
        "skipOnSpike": r.boolean("skipOnSpike", d["skipOnSpike"]),
        "spikeZ": r.number("spikeZ", d["spikeZ"], positive=True),
        "explosionFactor": r.number("explosionFactor", d["explosionFactor"], minimum=1),
        "coefRule": r.one_of("coefRule", d["coefRule"], ("gradpilot", "torch")),
    }
    lo, hi = common["minThreshold"], common["maxThreshold"]
    if lo is not None and hi is not None and lo > hi:
        raise PolicyError("minThreshold", f'Expected "minThreshold" ({number_string(lo)}) to be at most "maxThreshold" ({number_string(hi)})')

    if kind == "percentile":
        d = KIND_DEFAULTS["percentile"]
        return {
            "kind": kind,
            **common,
            "p": r.number("p", d["p"], minimum=0, maximum=100),
            "window": r.integer("window", d["window"], 1),
            "warmupSteps": r.integer("warmupSteps", d["warmupSteps"], 0),
        }
    if kind == "zscore":
        d = KIND_DEFAULTS["zscore"]
        alpha = r.number("alpha", d["alpha"])
        if not (0 < alpha < 1):
            raise PolicyError("alpha", f'Expected "alpha" to be a number strictly between 0 and 1, got {_describe(alpha)}')
        return {
            "kind": kind,
            **common,
            "alpha": alpha,
            "z": r.number("z", d["z"], positive=True),
            "warmupSteps": r.integer("warmupSteps", d["warmupSteps"], 1, "zscore needs at least one warm-up norm to start its statistics"),
            "clipOption": r.one_of("clipOption", d["clipOption"], ("adaptive_scaling", "mean")),
            "clipFactor": r.number("clipFactor", d["clipFactor"], positive=True),
            "updateStatsOnSpike": r.boolean("updateStatsOnSpike", d["updateStatsOnSpike"]),
        }
    if kind == "fixed" and common["maxNorm"] is None:
        raise PolicyError("maxNorm", 'Expected "maxNorm" to be a positive number: the fixed policy clips at maxNorm, e.g. {"kind": "fixed", "maxNorm": 1}')
    _reject_bounds(common, kind)
    return {"kind": kind, **common}


def _reject_bounds(common: Mapping, kind: str) -> None:
    for field in ("minThreshold", "maxThreshold"):
        if common[field] is not None:
            raise PolicyError(
                field,
                f'"{field}" bounds an adaptive threshold and applies to the kinds "percentile" and "zscore" only, not "{kind}"; use "maxNorm" for a hard cap',
            )


def _unknown_field(name: str, kind: str, allowed: List[str]) -> PolicyError:
    hint = ""
    alias = ALIASES.get(name)
    other_kind = next((k for k in KINDS if k != kind and name in KIND_DEFAULTS[k]), None)
    if alias is not None and alias.split(" ")[0] in allowed:
        rest = " " + alias[alias.index(" ") + 1:] if " " in alias else ""
        hint = f' Did you mean "{alias.split(" ")[0]}"{rest}?'
    elif other_kind is not None:
        hint = f' "{name}" applies to the kind "{other_kind}" only.'
    else:
        near = _suggest(name, allowed)
        if near is not None:
            hint = f' Did you mean "{near}"?'
    return PolicyError(name, f'Unknown policy field "{name}" for the kind "{kind}".{hint} Allowed fields: {", ".join(allowed)}')


def _suggest(name: str, candidates: Sequence[str]) -> Optional[str]:
    """The closest candidate by case-insensitive edit distance, if close enough to be a typo.
    Lengths and distances count UTF-16 code units, as TS strings do."""

    def norm(s: str) -> List[int]:
        return _utf16(s.lower().replace("_", "").replace("-", ""))

    # A truncated name ("adaptive", "warmup") is a likely mistake too.
    n = norm(name)
    prefixed = [c for c in candidates if len(_utf16(name)) >= 3 and norm(c)[: len(n)] == n]
    if len(prefixed) == 1:
        return prefixed[0]
    best = None
    best_dist = math.inf
    for c in candidates:
        d = _edit_distance(n, norm(c))
        if d < best_dist:
            best_dist = d
            best = c
    return best if best is not None and best_dist <= max(1, len(_utf16(best)) // 3) else None


def _edit_distance(a: Sequence[int], b: Sequence[int]) -> int:
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i]
        for j in range(1, len(b) + 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (0 if a[i - 1] == b[j - 1] else 1)))
        prev = cur
    return prev[len(b)]


def _utf16(s: str) -> List[int]:
    data = s.encode("utf-16-le", "surrogatepass")
    return [data[k] | (data[k + 1] << 8) for k in range(0, len(data), 2)]


def _key(k: object) -> str:
    # JSON keys are strings; a Python key 1 is what TS sees as "1".
    if isinstance(k, str):
        return k
    if is_number(k) and not isinstance(k, bool):
        return number_string(k)
    return str(k)


def _own_keys(raw: Mapping) -> List[str]:
    """The order of TS's Object.keys: array-index keys ("0", "7") ascending first, then the
    others in insertion order. It decides which of several unknown fields is reported."""
    index_keys = [k for k in raw if _is_array_index(k)]
    return sorted(index_keys, key=int) + [k for k in raw if not _is_array_index(k)]


def _is_array_index(k: str) -> bool:
    return k.isdigit() and k.isascii() and (k == "0" or not k.startswith("0")) and int(k) < 4294967295


def _describe(value: object) -> str:
    if value is _UNDEFINED:
        return "undefined"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return number_string(value)
    if isinstance(value, (list, tuple)):
        return "an array"
    if value is None:
        return "null"
    return "an object"


def _canonical(v) -> Any:
    """A validated number as TS would hand it back through JSON: an integral value below 1e21
    (what JSON.stringify writes without an exponent) as int, anything else as float."""
    d = to_double(v)
    return int(d) if d.is_integer() and abs(d) < 1e21 else d


class _Reader:
    """Reads one field at a time with its default, raising a PolicyError that names it."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping) -> None:
        self._raw = raw

    def number(self, field: str, fallback, *, nullable: bool = False, positive: bool = False,
               minimum: Optional[float] = None, maximum: Optional[float] = None):
        v = self._raw.get(field, _UNDEFINED)
        if v is _UNDEFINED:
            return fallback
        if v is None and nullable:
            return None
        expected = _expectation(nullable, positive, minimum, maximum)
        if not is_number(v) or not math.isfinite(to_double(v)):
            raise PolicyError(field, f'Expected "{field}" to be {expected}, got {_describe(v)}')
        x = to_double(v)
        if (positive and not x > 0) or (minimum is not None and x < minimum) or (maximum is not None and x > maximum):
            raise PolicyError(field, f'Expected "{field}" to be {expected}, got {number_string(x)}')
        return _canonical(x)

    def integer(self, field: str, fallback: Optional[int], minimum: int, why: Optional[str] = None) -> Optional[int]:
        v = self._raw.get(field, _UNDEFINED)
        if v is _UNDEFINED:
            return fallback
        if v is None and fallback is None:
            return None
        if not is_safe_integer(v) or to_double(v) < minimum:
            or_null = " or null" if fallback is None else ""
            raise PolicyError(field, f'Expected "{field}" to be an integer >= {minimum}{or_null}, got {_describe(v)}' + (f" ({why})" if why else ""))
        return int(to_double(v))

    def boolean(self, field: str, fallback: bool) -> bool:
        v = self._raw.get(field, _UNDEFINED)
        if v is _UNDEFINED:
            return fallback
        if not isinstance(v, bool):
            raise PolicyError(field, f'Expected "{field}" to be true or false, got {_describe(v)}')
        return v

    def one_of(self, field: str, fallback: str, options: Sequence[str]) -> str:
        v = self._raw.get(field, _UNDEFINED)
        if v is _UNDEFINED:
            return fallback
        if not isinstance(v, str) or v not in options:
            hint = _suggest(v, options) if isinstance(v, str) else None
            listed = ", ".join(f'"{o}"' for o in options)
            raise PolicyError(field, f'Expected "{field}" to be one of {listed}, got {_describe(v)}' + (f'. Did you mean "{hint}"?' if hint else ""))
        return v


def _expectation(nullable: bool, positive: bool, minimum: Optional[float], maximum: Optional[float]) -> str:
    if positive:
        part = "a positive number"
    elif minimum is not None and maximum is not None:
        part = f"a number in [{number_string(minimum)}, {number_string(maximum)}]"
    elif minimum is not None:
        part = f"a number >= {number_string(minimum)}"
    else:
        part = "a finite number"
    return part + " or null" if nullable else part
