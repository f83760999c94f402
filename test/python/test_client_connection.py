"""A server that cannot be reached is reported after ~3 s, with the URL and a cause the user can
act on (nothing listening, a wrong path, not a gradpilot server, a refused token), as "connection"
and "error" events and ONE line on stderr saying where the steps are kept; the training loop
never waits for it."""

from __future__ import annotations

import http.server
import os
import threading
import time

import pytest

import gradpilot
from client_fixtures import runs, server, spill_dir  # noqa: F401  (pytest fixtures)
from client_support import ServerProcess, free_port, wait_for


@pytest.fixture
def not_gradpilot():
    """An HTTP server that is something else: 404 for everything."""
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(b"<h1>Not Found</h1>")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def token_server():
    s = ServerProcess(token="s3cret")
    s.start()
    yield s
    s.dispose()


class Watcher:
    """Records a run's connection and error events with the time they came."""

    def __init__(self, run) -> None:
        self.start = time.monotonic()
        self.connection: list[tuple[float, dict]] = []
        self.errors: list[tuple[float, Exception]] = []
        run.on("connection", lambda c: self.connection.append((time.monotonic() - self.start, c)))
        run.on("error", lambda e: self.errors.append((time.monotonic() - self.start, e)))


def test_should_report_why_the_server_cannot_be_reached_after_about_3_s(server, not_gradpilot, token_server, spill_dir, runs, capsys):
    refused = f"http://127.0.0.1:{free_port()}"
    nowhere = "connection refused: nothing listens on"
    in_spill = "steps are kept in {spill_dir}/{id}."
    cases = {
        "refused": (dict(url=refused), nowhere, in_spill),
        "wrong path": (dict(url=server.url + "/api"), f'wrong path: the gradpilot server answers at {server.url}, not under "/api"; pass the server root: url="{server.url}"', in_spill),
        "not gradpilot": (dict(url=not_gradpilot), f"not a gradpilot server: GET {not_gradpilot}/api/health answered HTTP 404", in_spill),
        "no token": (dict(url=token_server.url), 'the server refused the connection: Missing token: this server requires "Authorization: Bearer <token>" (GRADPILOT_TOKEN) for writes (pass token=...)', in_spill),
        "wrong token": (dict(url=token_server.url, token="guess"), 'the server refused the connection: Wrong token in "Authorization: Bearer <token>"', in_spill),
        "memory only": (dict(url=refused, spill_dir=None, max_memory_steps=5000), nowhere,
                        "steps are kept in memory (at most 5000, the oldest dropped beyond that; spill_dir=None)"),
        "rank 1": (dict(url=refused, id="dp", rank=1, world_size=2), nowhere,
                   "rank 1 sends no steps (rank 0 does); it follows policy changes once the server is back"),
    }
    watched = {}
    for name, (options, _, _) in cases.items():
        started = time.monotonic()
        options = {"spill_dir": spill_dir, **options}
        run = gradpilot.init(name=name, batch_size=4, flush_interval=0.05, reconnect_delay_max=0.5, **options)
        assert time.monotonic() - started < 0.5  # init does not wait for the server
        runs.append(run)
        watched[name] = (run, Watcher(run), options["url"])
    quiet = gradpilot.init(refused, name="quiet", quiet=True, spill_dir=spill_dir, reconnect_delay_max=0.5)
    runs.append(quiet)
    for step in range(10):  # the training loop goes on meanwhile
        for run, _, _ in watched.values():
            run.observe(step, 1.0 + step)

    wait_for(lambda: all(len(w.errors) >= 2 for _, w, _ in watched.values()), 10, "two reports of each run")
    for name, (run, w, url) in watched.items():
        cause = cases[name][1]
        first_at, first = w.errors[0]
        assert 2.9 <= first_at < 4.5, (name, first_at)
        assert first.code == "UNREACHABLE" and first.url == url and cause in first.reason, (name, first.reason)
        assert str(first) == f"Cannot reach the gradpilot server at {url}: {first.reason}"
        down = [c for _, c in w.connection if c["cause"] != "disconnected"]
        assert down and all(c["connected"] is False and c["url"] == url and cause in c["cause"] for c in down), name
        assert run.status()["last_error"] == str(w.errors[-1][1])
        assert run.status()["undelivered"] == (10 if run.rank == 0 else 0)

    lines = capsys.readouterr().err.splitlines()
    warnings = [line for line in lines if line.startswith("gradpilot: ")]
    assert len(warnings) == len(cases), warnings  # one per run, however many failures followed
    for name, (run, w, url) in watched.items():
        where = cases[name][2].format(spill_dir=spill_dir, id=run.id)
        (line,) = [line for line in warnings if f"({cases[name][1]}" in line and where in line]
        assert line.startswith(f"gradpilot: cannot reach the server at {url} for 3 s (")
        if cases[name][2] is in_spill:
            assert f'(or by the next gradpilot.init(id="{run.id}") if this process ends first).' in line
    assert not any(quiet.id in line for line in lines)

    # close() says where the undelivered steps are: the file the next init of the run delivers.
    run = watched["refused"][0]
    report = run.close(timeout=0)
    assert (report["undelivered"], report["spilled"], report["first_undelivered_step"], report["last_undelivered_step"]) == (10, 10, 0, 9)
    assert report["spill_file"].startswith(f"{spill_dir}/{run.id}.") and os.path.exists(report["spill_file"])
    assert report["last_error"].startswith(f"Cannot reach the gradpilot server at {refused}: connection refused")


def test_should_deliver_with_the_right_token_sent_as_a_header(token_server, spill_dir, runs):
    run = gradpilot.init(url=token_server.url, name="with-token", token="s3cret", spill_dir=spill_dir, flush_interval=0.05, quiet=True)
    runs.append(run)
    for step in range(5):
        run.observe(step, 1.0 + step)
    report = run.close(timeout=15)
    assert (report["delivered"], report["undelivered"], report["last_error"]) == (5, 0, None)
    # Token mode guards reads too: the stored run is read back with the token.
    import json
    import urllib.request

    req = urllib.request.Request(f"{token_server.url}/api/runs/{run.id}", headers={"authorization": "Bearer s3cret"})
    with urllib.request.urlopen(req, timeout=10) as res:
        summary = json.loads(res.read())
    assert (summary["steps"], summary["status"]) == (5, "finished")
