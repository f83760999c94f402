"""Fixtures of the client tests, imported by each test module. The one shared server is a
process-wide singleton (started on first use, killed at exit) rather than a session fixture,
because fixtures imported into several modules would start one server per module."""

from __future__ import annotations

import atexit
import shutil
import tempfile

import pytest

from client_support import ServerProcess

_shared: ServerProcess | None = None


def shared_server() -> ServerProcess:
    """One server for the tests that only need one (each uses its own run ids). A test may stop
    and restart it (same port and file); a test that failed while it was stopped leaves it
    stopped, and the next one gets it started again."""
    global _shared
    if _shared is None:
        _shared = ServerProcess()
        atexit.register(_shared.dispose)
    if not _shared.running:
        _shared.start()
    return _shared


@pytest.fixture
def server() -> ServerProcess:
    return shared_server()


@pytest.fixture
def own_server():
    """A server of the test's own, to stop and restart."""
    s = ServerProcess()
    s.start()
    yield s
    s.dispose()


@pytest.fixture
def spill_dir():
    d = tempfile.mkdtemp(prefix="gradpilot-py-spill-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def runs():
    """Runs a test opens; closed (quickly) after it, whatever happened."""
    opened = []
    yield opened
    for run in reversed(opened):
        run.close(timeout=0)
