#!/usr/bin/python3
"""The Python controller's percentile step against np.percentile over the same history.

Run: PYTHONPATH=sdk/python /usr/bin/python3 test/bench/python-controller.py [sizes...]   (default 1e4 1e5 1e6)

For each history size n: a full-history percentile policy (AutoClip, p = 10) holding n norms,
then per step
- "percentile step": the norm into the log and the order-statistic structure, and the new
  percentile (NormLog.push + PercentileHistory.added + .percentile), fastest of 40 chunks of
  500 steps (as the TS table measures it);
- "Controller.decide": the whole decision (detector, percentile, coefficient, Decision
  objects), fastest of 40 chunks of 500 steps;
- what AutoClip's code does each step, fastest of 5: np.percentile over the history as a
  numpy array, and over the Python list AutoClip keeps (np.percentile converts it each call).
Every number moves with the machine's load, printed below the table.
"""

import math
import os
import sys
import time

import numpy as np

from gradpilot.controller import Controller
from gradpilot.controller.norm_log import NormLog
from gradpilot.controller.percentile_history import PercentileHistory

P = 10
CHUNKS = 40
CHUNK = 500


def fastest_per_step(run_chunk, chunks=CHUNKS, steps=CHUNK):
    best = math.inf
    for _ in range(chunks):
        t = time.perf_counter()
        run_chunk()
        best = min(best, (time.perf_counter() - t) / steps)
    return best


def fastest(call, repeats=5):
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t)
    return best


def state_with_history(values):
    """A controller state holding these norms, as a long run would save it."""
    return {
        "version": 1,
        "policy": {"kind": "percentile", "p": P},
        "data": {
            "log": values,
            "detector": {
                "count": len(values), "mean": 1.0, "var": 0.25, "recent": values[-101:],
                "spikes": [0] * 10, "consecutiveNonFinite": 0,
            },
            "zscore": None,
        },
    }


def fmt(seconds):
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} us"


def main(sizes):
    rng = np.random.default_rng(1)
    rows = []
    for n in sizes:
        values = rng.lognormal(0.0, 0.5, n).tolist()
        fresh = iter(rng.lognormal(0.0, 0.5, (CHUNKS + 1) * CHUNK * 2).tolist())

        log = NormLog(values)
        history = PercentileHistory(log, None)

        def percentile_chunk():
            for _ in range(CHUNK):
                g = next(fresh)
                log.push(g)
                history.added(g)
                history.percentile(P)

        step = fastest_per_step(percentile_chunk)
        as_list = log.values().tolist()
        as_array = np.asarray(as_list)
        assert history.percentile(P) == float(np.percentile(as_array, P)), "not numpy's value"
        np_array = fastest(lambda: np.percentile(as_array, P))
        np_list = fastest(lambda: np.percentile(as_list, P))

        controller = Controller.from_state(state_with_history(values))
        step_no = [n]

        def decide_chunk():
            for _ in range(CHUNK):
                controller.decide(step_no[0], next(fresh))
                step_no[0] += 1

        decide = fastest_per_step(decide_chunk)
        rows.append((n, step, decide, np_array, np_list))

    print("| history | percentile step | Controller.decide | np.percentile(array) | np.percentile(list), as AutoClip | speed-up vs array | vs list |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, step, decide, np_array, np_list in rows:
        print(f"| {n:.0e} | {fmt(step)} | {fmt(decide)} | {fmt(np_array)} | {fmt(np_list)} | {np_array / step:,.0f}x | {np_list / step:,.0f}x |")
    load = os.getloadavg()
    print(f"\nPython {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main([int(float(a)) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
