"""Run as a child process by test_client_crash.py: trains while the server is away, then dies
by SIGKILL (no close, no atexit), as a crashed training process would."""

import math
import os
import signal
import sys
import time

import gradpilot

url, run_id, spill_dir, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
run = gradpilot.init(url, id=run_id, name="crashed", spill_dir=spill_dir, batch_size=8, flush_interval=0.02,
                     reconnect_delay_max=0.1, quiet=True)
for s in range(steps):
    run.observe(s, math.nan if s % 10 == 3 else s / 10, loss=1.0)
    time.sleep(0.001)
# Several flush intervals (margin for a loaded machine): every step is sealed into the spill file.
time.sleep(0.3)
print(f"observed {steps}", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
