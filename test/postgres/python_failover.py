"""The Python SDK's side of python-failover.test.ts: streams steps to the first of two servers,
says "half" after half of them and waits for "go" on stdin (the test kills that server with -9
meanwhile), streams the rest, closes and prints the close() report as JSON."""

import json
import sys
import time

import gradpilot

urls, run_id, spill_dir, n = sys.argv[1].split(","), sys.argv[2], sys.argv[3], int(sys.argv[4])
run = gradpilot.init(urls, id=run_id, batch_size=25, flush_interval=0.01, spill_dir=spill_dir, quiet=True, reconnect_delay_max=0.5)
for step in range(n):
    run.observe(step, 1 + (step % 17) / 10)
    if step % 20 == 0:
        time.sleep(0.002)  # a training step's worth of time: batches go out while it trains
    if step == n // 2:
        # Mid-ingest: some batches acknowledged by the first server (a loaded machine may take
        # a while to connect), the rest still to come.
        deadline = time.monotonic() + 30
        while run.status()["delivered"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        print("half", json.dumps(run.status()), flush=True)
        sys.stdin.readline()
report = run.close(timeout=30.0)
print(json.dumps(report), flush=True)
