"""Shared by the client tests: the real `gradpilot serve` in its own process (start, SIGTERM,
kill -9, start again on the same port and database file), and reading back what it stored."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(REPO_ROOT, "server", "cli", "gradpilot.js")
_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def clean_env(extra: dict | None = None) -> dict:
    """The environment without the developer's GRADPILOT_* or DEBUG settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADPILOT_") and k != "DEBUG"}
    env.update(extra or {})
    return env


class ServerProcess:
    """``node server/cli/gradpilot.js serve --port 0 --db <tmp file>``; the same port and file on restarts."""

    def __init__(self, token: str | None = None, start_timeout: float = 60.0) -> None:
        self.dir = tempfile.mkdtemp(prefix="gradpilot-py-server-")
        self.db = os.path.join(self.dir, "gradpilot.db")
        self.token = token
        self.port = 0
        self.log = ""
        self._start_timeout = start_timeout
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None

    def start(self) -> None:
        assert self._proc is None, "already running"
        env = clean_env({"GRADPILOT_TOKEN": self.token} if self.token else {})
        proc = subprocess.Popen(["node", CLI, "serve", "--port", str(self.port), "--host", "127.0.0.1", "--db", self.db],
                                cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._proc = proc
        found = threading.Event()

        def drain() -> None:
            for line in proc.stdout:
                self.log += line
                m = _LISTENING.search(line)
                if m and not found.is_set():
                    self.port = int(m.group(1))
                    found.set()

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + self._start_timeout
        while not found.wait(0.05):
            if proc.poll() is not None or time.monotonic() > deadline:
                self._proc = None
                proc.kill()
                raise RuntimeError(f"server did not start: {self.log}")

    def stop(self) -> None:
        """SIGTERM: the server's own clean shutdown."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(30)
            self._proc = None

    def kill9(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(30)
            self._proc = None

    def dispose(self) -> None:
        self.kill9()
        shutil.rmtree(self.dir, ignore_errors=True)


def request_json(method: str, url: str, body=None, token: str | None = None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"} if data is not None else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def get_json(url: str):
    return request_json("GET", url)


def put_json(url: str, body):
    return request_json("PUT", url, body)


def decode(v):
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v) if isinstance(v, str) else v


def stored_steps(url: str, run_id: str) -> dict:
    """Every stored step of a run, raw rows (at most 100000)."""
    s = get_json(f"{url}/api/runs/{run_id}/steps?points=100000")
    assert s["bucketSize"] == 1, f"expected raw rows, got buckets of {s['bucketSize']}"
    return {"step": s["step"], "time": s["time"],
            **{k: [decode(v) for v in s[k]["last"]] for k in ("gradNorm", "loss", "lr", "threshold", "coef")}}


def exported_rows(url: str, run_id: str) -> list[dict]:
    """export.csv as dicts (every step, each once)."""
    with urllib.request.urlopen(f"{url}/api/runs/{run_id}/export.csv", timeout=10) as res:
        return list(csv.DictReader(io.StringIO(res.read().decode())))


def same(a: float | None, b: float | None) -> bool:
    """Equal as doubles, NaN equal to NaN (what "stored exactly" means)."""
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or a == b


def wait_for(check, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
