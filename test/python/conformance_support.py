"""Shared by the controller's cross-language tests: doubles as IEEE-754 bits, the conformance
fixtures (test/conformance/fixtures/case-*.json, written by write-fixtures.ts), and a replay
of one case through the Python controller in the fixtures' column format."""

import json
import math
import os
import struct
from glob import glob

from gradpilot.controller import Controller
from gradpilot.protocol.wire_number import decode_number

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "conformance", "fixtures")


def bits(x):
    """The hex of a double's bits, as test/conformance/bits.ts writes it (one NaN for all)."""
    if x is None:
        return None
    if x != x:
        return "7ff8000000000000"
    return struct.pack(">d", x).hex()


def from_bits(hex_bits):
    return None if hex_bits is None else struct.unpack(">d", bytes.fromhex(hex_bits))[0]


def load_fixtures():
    """Every conformance case, with its inputs decoded."""
    out = []
    for path in sorted(glob(os.path.join(FIXTURES, "case-*.json"))):
        with open(path) as f:
            fixture = json.load(f)
        fixture["gradNorm"] = [decode_number(v) for v in fixture["gradNorm"]]
        fixture["loss"] = {step: decode_number(v) for step, v in fixture["loss"]}
        out.append(fixture)
    assert out, f"no fixtures in {FIXTURES}: run node --import tsx test/conformance/write-fixtures.ts"
    return out


def replay(fixture, controller=None, start=0):
    """Decides steps start.. of a case (policy changes included) and returns the decisions as
    the fixture's columns plus the states saved after the fixture's state steps."""
    if controller is None:
        controller = Controller(fixture["policy"])
    changes = {c["step"]: c["policy"] for c in fixture["changes"]}
    state_steps = {s["afterStep"] for s in fixture["states"]}
    cols = {k: [] for k in fixture["decisions"]}
    states = []
    for step in range(start, len(fixture["gradNorm"])):
        if step in changes:
            controller.set_policy(changes[step])
        d = controller.decide(step, fixture["gradNorm"][step], fixture["loss"].get(step))
        cols["threshold"].append(bits(d.threshold))
        cols["coef"].append(bits(d.coef))
        cols["action"].append(d.action)
        cols["events"].append(d.events)
        cols["percentile"].append(bits(d.stats.percentile))
        cols["emaMean"].append(bits(d.stats.ema_mean))
        cols["emaStd"].append(bits(d.stats.ema_std))
        cols["zScore"].append(bits(d.stats.z_score))
        cols["historySize"].append(d.stats.history_size)
        cols["consecutiveNonFinite"].append(d.stats.consecutive_non_finite)
        if step in state_steps:
            # Through JSON text, as a state travels.
            states.append({"afterStep": step, "state": json.loads(json.dumps(controller.to_state(), allow_nan=False))})
    for k, v in cols.items():
        if all(x is None for x in v) and k in ("percentile", "emaMean", "emaStd", "zScore"):
            cols[k] = None
    return {"decisions": cols, "states": states}


def first_difference(name, want, got, start=0):
    """None when the two decision columns agree, else a message naming the first step that differs."""
    if want == got:
        return None
    if want is None or got is None:
        return f"{name}: TS {'null' if want is None else 'a column'}, Python {'null' if got is None else 'a column'}"
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            readable = ""
            if isinstance(w, str) and len(w) == 16:
                readable = f" ({from_bits(w)!r} vs {from_bits(g)!r})" if g is not None else ""
            return f"{name} at step {start + i}: TS {w}, Python {g}{readable}"
    return f"{name}: TS has {len(want)} steps, Python {len(got)}"


def same_json(a, b):
    """Deep equality of JSON values with numbers compared as doubles (1 == 1.0). -0 equals 0:
    TS's JSON.stringify writes -0 as 0, Python's json.dumps as -0.0 (states hold no NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def ts_oracle(requests):
    """Asks the TS controller (test/conformance/ts-oracle.ts) for each request's answer."""
    import subprocess

    done = subprocess.run(
        ["node", "--import", "tsx", "test/conformance/ts-oracle.ts"],
        cwd=ROOT, input=json.dumps(requests, allow_nan=False), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def nonfinite_for_ts(value):
    """The value with every NaN/±inf replaced by the {"$nonfinite": ...} marker ts-oracle.ts reads."""
    if isinstance(value, float) and (value != value or value in (math.inf, -math.inf)):
        return {"$nonfinite": "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {k: nonfinite_for_ts(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [nonfinite_for_ts(v) for v in value]
    return value
