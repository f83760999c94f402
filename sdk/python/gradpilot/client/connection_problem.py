"""Why the server cannot be reached, in words a user can act on, and the one warning line a
run writes about it. (No TS twin yet.) The socket's own error rarely says enough, so a failed
connect is followed by a GET /api/health that tells apart: nothing listening, a wrong path,
something that is not a gradpilot server, and a refused token."""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse

from .connection import http_json

PROBE_TIMEOUT = 2.0


def _is_gradpilot_health(status: int, body) -> bool:
    return status == 200 and isinstance(body, dict) and body.get("ok") is True and "runs" in body


def _network_cause(err: OSError, where: str) -> str:
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(reason, ConnectionRefusedError):
        return f"connection refused: nothing listens on {where} (start the server with `npx gradpilot serve`)"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer from {where} within {PROBE_TIMEOUT:g} s"
    if isinstance(reason, socket.gaierror):
        return f"unknown host in {where}: {reason.strerror or reason}"
    return f"{where}: {getattr(reason, 'strerror', None) or reason}"


def diagnose(url: str, token: str | None, refusal: str | None, socket_error: str) -> str:
    """The cause of a failed connect, as one clause (no trailing period)."""
    parts = urllib.parse.urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    where = parts.netloc
    if refusal:
        return f"the server refused the connection: {refusal}" + ("" if token else " (pass token=...)")
    try:
        status, body = http_json("GET", origin + "/api/health", None, None, PROBE_TIMEOUT)
    except OSError as err:
        return _network_cause(err, where)
    if _is_gradpilot_health(status, body):
        if parts.path not in ("", "/"):
            return (f'wrong path: the gradpilot server answers at {origin}, not under "{parts.path}"; '
                    f'pass the server root: url="{origin}"')
        return f"the gradpilot server at {origin} answers HTTP but its socket failed: {socket_error}"
    if parts.path not in ("", "/"):
        try:
            status_at_path, body_at_path = http_json("GET", url + "/api/health", None, None, PROBE_TIMEOUT)
            if _is_gradpilot_health(status_at_path, body_at_path):
                return f"the gradpilot server at {url} answers HTTP but its socket failed: {socket_error}"
        except OSError:
            pass
    snippet = body if isinstance(body, str) else str(body)
    snippet = " ".join(snippet.split())[:80]
    return f"not a gradpilot server: GET {origin}/api/health answered HTTP {status} {snippet!r}".rstrip()


def where_steps_go(run_id: str, rank: int, spill_path: str | None, max_memory_steps: int) -> str:
    """What happens to the steps meanwhile, for the warning line."""
    if rank != 0:
        return f"rank {rank} sends no steps (rank 0 does); it follows policy changes once the server is back"
    if spill_path is not None:
        return (f"steps are kept in {spill_path} and sent when the server is back "
                f'(or by the next gradpilot.init(id="{run_id}") if this process ends first)')
    return (f"steps are kept in memory (at most {max_memory_steps}, the oldest dropped beyond that; "
            "spill_dir=None) and sent when the server is back")


def warning_line(url: str, seconds: float, cause: str, run_id: str, rank: int, spill_path: str | None, max_memory_steps: int) -> str:
    return (f"gradpilot: cannot reach the server at {url} for {seconds:.0f} s ({cause}); "
            f"{where_steps_go(run_id, rank, spill_path, max_memory_steps)}.\n")
