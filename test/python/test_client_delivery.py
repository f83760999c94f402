"""No lost steps: a run started while the server is away trains with its local policy, keeps
its steps (spilled to disk, or bounded in memory), and delivers them when the server appears."""

from __future__ import annotations

import math
import time

import gradpilot
from client_fixtures import own_server, runs, spill_dir  # noqa: F401  (pytest fixtures)
from client_support import get_json, same, stored_steps


def norm(s: int) -> float:
    """NaN and ±inf sprinkled in, so that exactness is checked too."""
    if s % 37 == 5:
        return math.nan
    if s % 41 == 7:
        return math.inf
    return 1 + (s % 13) / 7 + s * 1e-9


def test_should_keep_steps_while_the_server_is_away_and_deliver_them_when_it_appears(own_server, spill_dir, runs):
    url = own_server.url
    own_server.stop()
    started = time.monotonic()
    spilled = gradpilot.init(url, name="late-server", project="sdk-tests", quiet=True,
                             policy={"kind": "percentile", "p": 10, "maxNorm": 0.5},
                             batch_size=8, flush_interval=0.02, reconnect_delay_max=0.1, spill_dir=spill_dir)
    bounded = gradpilot.init(url, name="bounded", quiet=True, spill_dir=None, max_memory_steps=32, batch_size=8,
                             flush_interval=0.02, reconnect_delay_max=0.1)
    runs.extend([spilled, bounded])
    assert time.monotonic() - started < 1.0  # init did not wait for the server
    observed = []  # wall-clock ms just before and after each observe
    for s in range(100):
        before = time.time() * 1000
        d = spilled.observe(s, norm(s), loss=1 / (s + 1))
        observed.append((before, time.time() * 1000))
        if math.isfinite(norm(s)):
            assert d.threshold == 0.5 and d.action == "clip"
        bounded.observe(s, norm(s))
        time.sleep(0.001)
    time.sleep(0.1)
    assert spilled.status()["spilled"] > 0 and spilled.status()["undelivered"] == 100
    assert bounded.status()["dropped"] >= 100 - 32 - 8  # at most max_memory_steps kept, plus the batch being built

    back = time.time() * 1000
    own_server.start()
    assert spilled.flush(timeout=15) and bounded.flush(timeout=15)
    stored = stored_steps(url, spilled.id)
    assert stored["step"] == list(range(100))
    # Each step keeps the time it was observed (through the spill file), not its late arrival.
    assert all(lo <= t <= hi < back for t, (lo, hi) in zip(stored["time"], observed))
    assert all(same(stored["gradNorm"][s], norm(s)) for s in range(100))
    assert all(stored["loss"][s] == 1 / (s + 1) for s in range(100))
    summary = get_json(f"{url}/api/runs/{spilled.id}")
    assert (summary["name"], summary["project"], summary["steps"]) == ("late-server", "sdk-tests", 100)
    assert summary["policy"]["policy"]["maxNorm"] == 0.5
    report = spilled.close()
    report.pop("last_error")  # set if the outage lasted the 3 s after which it is reported
    assert report == {"delivered": 100, "undelivered": 0, "spilled": 0, "dropped": 0, "first_undelivered_step": None,
                      "last_undelivered_step": None, "spill_file": None}
    assert get_json(f"{url}/api/runs/{spilled.id}")["status"] == "finished"

    kept = bounded.close()
    assert kept["delivered"] + kept["dropped"] == 100 and kept["undelivered"] == 0
    assert stored_steps(url, bounded.id)["step"] == list(range(100 - kept["delivered"], 100))  # the newest were kept
