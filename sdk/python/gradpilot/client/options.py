"""init() options: unknown names first, then defaults, validation, interpretation, in that order
(the TS ``sdk/client/options.ts``). Every message names the option and what it expects."""

from __future__ import annotations

import difflib
import json
import math
import getpass
import os
import re
import secrets
import tempfile
import time
import urllib.parse
from dataclasses import dataclass

from .errors import GradpilotError

#: socket.io and the server refuse batches over this many steps (MAX_BATCH_STEPS).
MAX_BATCH_STEPS = 20_000

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

KNOWN = (
    "url", "name", "project", "policy", "config", "token", "id", "resume", "from_step", "state", "rank",
    "world_size", "batch_size", "flush_interval", "spill_dir", "max_memory_steps", "ack_timeout",
    "reconnect_delay_max", "resume_timeout", "quiet",
)

# Names people bring from the TS SDK (camelCase, milliseconds) or from other tools.
LIKELY_TYPOS = {
    "runId": "id", "run_id": "id", "run": "id", "resumeFrom": "from_step", "resume_from": "from_step",
    "fromStep": "from_step", "worldSize": "world_size", "batchSize": "batch_size", "spillDir": "spill_dir",
    "maxMemorySteps": "max_memory_steps", "flushIntervalMs": "flush_interval", "flush_interval_ms": "flush_interval",
    "flushInterval": "flush_interval", "ackTimeoutMs": "ack_timeout", "ack_timeout_ms": "ack_timeout",
    "reconnectDelayMaxMs": "reconnect_delay_max", "reconnect_delay_max_ms": "reconnect_delay_max",
    "resumeTimeoutMs": "resume_timeout", "resume_timeout_ms": "resume_timeout", "host": "url", "server": "url",
    "serverUrl": "url", "server_url": "url", "base_url": "url", "silent": "quiet",
}
_SECONDS = ("flush_interval", "ack_timeout", "reconnect_delay_max", "resume_timeout")


class _Default:
    """The default spill folder, resolved when init() runs (TMPDIR may change before that)."""

    def __repr__(self) -> str:
        return "<tmpdir>/gradpilot-spill-<uid>"


DEFAULT_SPILL_DIR = _Default()


def default_spill_dir() -> str:
    """``<tmpdir>/gradpilot-spill-<uid>``: one folder per user, the one the TS SDK uses too
    (``defaultSpillDir()``), so either SDK, or ``gradpilot spill send``, delivers the other's files."""
    user = str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()
    return os.path.join(tempfile.gettempdir(), f"gradpilot-spill-{user}")


@dataclass(frozen=True)
class ResolvedOptions:
    url: str
    # Every server, in the order they are tried (several servers on one PostgreSQL database).
    urls: tuple
    id: str
    name: str
    project: str | None
    policy: dict | None
    config: dict | None
    token: str | None
    resume: bool
    from_step: int | None
    state: dict | None
    rank: int
    world_size: int
    batch_size: int
    flush_interval: float
    spill_dir: str | None
    max_memory_steps: int
    ack_timeout: float
    reconnect_delay_max: float
    resume_timeout: float
    quiet: bool


def _invalid(message: str) -> GradpilotError:
    return GradpilotError(message, "INVALID_OPTION")


def _unknown_option(key: str) -> GradpilotError:
    hint = LIKELY_TYPOS.get(key)
    if hint is None:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
        close = difflib.get_close_matches(snake, KNOWN, n=1, cutoff=0.75)
        hint = snake if snake in KNOWN else (close[0] if close else None)
    if hint is None:
        return _invalid(f'Unknown option "{key}"; the options are {", ".join(KNOWN)}')
    unit = " (in seconds)" if hint in _SECONDS and key.lower().endswith("ms") else ""
    return _invalid(f'Misspelled option "{key}": did you mean "{hint}"{unit}?')


def _integer(value, field: str, minimum: int, maximum: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    if not ok or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise _invalid(f'Expected the "{field}" option to be an integer {bound}, got {value!r}')
    return value


def _seconds(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise _invalid(f'Expected the "{field}" option to be a positive number of seconds, got {value!r}')
    return float(value)


def _optional_string(value, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value == "":
        raise _invalid(f'Expected the "{field}" option to be a non-empty string, got {value!r}')
    return value


def _run_id(value, field: str) -> str:
    if not isinstance(value, str) or not _RUN_ID.fullmatch(value):
        raise _invalid(f'Expected the "{field}" option to be a run id (1-64 letters, digits, ".", "_" or "-"), got {value!r}')
    return value


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def new_run_id() -> str:
    """A random run id as the TS SDK makes them: a time-ordered prefix, a random suffix."""
    return f"{_base36(int(time.time() * 1000))}-{secrets.token_hex(6)}"


def _server_url(value) -> str:
    if not isinstance(value, str):
        raise _invalid('Expected the "url" option to be the server URL, e.g. "http://127.0.0.1:7070", or a list of them')
    parts = urllib.parse.urlsplit(value.strip())
    if parts.scheme not in ("http", "https"):
        raise _invalid(f'Expected the "url" option to start with http:// or https://, got {value!r}')
    if not parts.hostname:
        raise _invalid(f'Expected the "url" option to name a host, e.g. "http://127.0.0.1:7070", got {value!r}')
    try:
        parts.port
    except ValueError:
        raise _invalid(f'Expected the "url" option to have a numeric port, got {value!r}') from None
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _server_urls(value) -> tuple:
    """The servers to try, in order: one URL, a comma-separated list, or a list (as the TS ``serverUrls``)."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str) and "," in value:
        items = value.split(",")
    else:
        items = [value]
    if not items:
        raise _invalid('Expected the "url" option to name at least one server, got an empty list')
    return tuple(dict.fromkeys(_server_url(v) for v in items))


def resolve_options(url, options: dict, unknown: dict) -> ResolvedOptions:
    """Validates init() options and fills in the defaults. Raises GradpilotError('INVALID_OPTION')."""
    for key in unknown:
        raise _unknown_option(key)
    o = options

    # Validate.
    servers = _server_urls(url)
    resume = None if o["resume"] is None else _run_id(o["resume"], "resume")
    run_id = None if o["id"] is None else _run_id(o["id"], "id")
    if resume is not None and run_id is not None and resume != run_id:
        raise _invalid(f'The "id" and "resume" options name different runs ("{run_id}" and "{resume}"): pass only "resume"')
    if o["from_step"] is not None and resume is None:
        raise _invalid('The "from_step" option needs "resume": pass resume=run_id, from_step=step')
    from_step = None if o["from_step"] is None else _integer(o["from_step"], "from_step", 0)
    if o["state"] is not None:
        if resume is None:
            raise _invalid('The "state" option needs "resume": pass resume=run_id, state=saved_state')
        if not isinstance(o["state"], dict):
            raise _invalid('Expected the "state" option to be a dict saved from run.controller_state()')
    rank = _integer(o["rank"], "rank", 0)
    world_size = _integer(o["world_size"], "world_size", 1)
    if rank >= world_size:
        raise _invalid(f'Expected the "rank" option to be below "world_size" ({world_size}), got {rank}')
    batch_size = _integer(o["batch_size"], "batch_size", 1, MAX_BATCH_STEPS)
    max_memory_steps = _integer(o["max_memory_steps"], "max_memory_steps", 1)
    seconds = {field: _seconds(o[field], field) for field in _SECONDS}
    spill_dir = o["spill_dir"]
    if spill_dir is DEFAULT_SPILL_DIR:
        spill_dir = default_spill_dir()
    elif spill_dir is not None:
        if not isinstance(spill_dir, (str, os.PathLike)) or os.fspath(spill_dir) == "":
            raise _invalid(f'Expected the "spill_dir" option to be a directory path or None, got {spill_dir!r}')
        spill_dir = os.path.abspath(os.fspath(spill_dir))
    config = o["config"]
    if config is not None:
        if not isinstance(config, dict):
            raise _invalid('Expected the "config" option to be a dict of hyperparameters')
        try:
            json.dumps(config)
        except (TypeError, ValueError) as err:
            raise _invalid(f'Expected the "config" option to hold only JSON values (str, int, float, bool, None, list, dict): {err}') from None
    if not isinstance(o["quiet"], bool):
        raise _invalid(f'Expected the "quiet" option to be True or False, got {o["quiet"]!r}')

    # Interpret.
    policy = None
    if o["policy"] is not None:
        from ..controller import PolicyError, parse_policy

        try:
            policy = parse_policy(o["policy"])
        except PolicyError as err:
            raise GradpilotError(f'Invalid "policy" option: {err}', "INVALID_OPTION", err) from err
    the_id = resume or run_id or new_run_id()
    return ResolvedOptions(
        url=servers[0],
        urls=servers,
        id=the_id,
        name=_optional_string(o["name"], "name") or the_id,
        project=_optional_string(o["project"], "project"),
        policy=policy,
        config=config,
        token=_optional_string(o["token"], "token"),
        resume=resume is not None,
        from_step=from_step,
        state=o["state"],
        rank=rank,
        world_size=world_size,
        batch_size=batch_size,
        flush_interval=seconds["flush_interval"],
        spill_dir=spill_dir,
        max_memory_steps=max_memory_steps,
        ack_timeout=seconds["ack_timeout"],
        reconnect_delay_max=seconds["reconnect_delay_max"],
        resume_timeout=seconds["resume_timeout"],
        quiet=o["quiet"],
    )
