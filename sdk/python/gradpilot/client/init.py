"""``gradpilot.init()``: starts (or resumes) a run and connects in the background (the TS ``init.ts``)."""

from __future__ import annotations

from .options import DEFAULT_SPILL_DIR, resolve_options
from .run import Run


def init(url: str | list[str] | None = None, *, name: str | None = None, project: str | None = None, config: dict | None = None,
         policy: dict | None = None, token: str | None = None, id: str | None = None, rank: int = 0,
         world_size: int = 1, resume: str | None = None, from_step: int | None = None, state: dict | None = None,
         batch_size: int = 256, flush_interval: float = 1.0, spill_dir=DEFAULT_SPILL_DIR,
         max_memory_steps: int = 100_000, ack_timeout: float = 10.0, reconnect_delay_max: float = 2.0,
         resume_timeout: float = 30.0, quiet: bool = False, **unknown) -> Run:
    """Starts (or resumes) a run and connects to the server in the background.

    A new run does not wait for the server: the id is chosen here, steps are decided locally
    with ``policy`` (default AutoClip, percentile p=10 over the full history) and wait in the
    outbox, then in a spill file, until the server is there. ``resume`` waits (at most
    ``resume_timeout`` s) for the server's controller state, or takes ``state`` from your
    checkpoint, so that thresholds continue exactly where they were.

    Options (times in seconds): ``name`` (default: the id), ``project``, ``config`` (JSON
    hyperparameters), ``policy`` (e.g. ``{"kind": "zscore", "z": 2.5}``), ``token`` (for a
    server run with GRADPILOT_TOKEN), ``id`` (every rank of a data-parallel run passes the
    same one), ``rank``/``world_size`` (rank 0 streams steps, every rank follows policy
    pushes), ``resume``/``from_step``/``state``, ``batch_size`` (256 steps), ``flush_interval``
    (1.0), ``spill_dir`` (``<tmpdir>/gradpilot-spill-<uid>``; None: memory only),
    ``max_memory_steps`` (100000), ``ack_timeout`` (10.0), ``reconnect_delay_max`` (2.0),
    ``resume_timeout`` (30.0), ``quiet`` (no warning line on stderr when the server cannot be
    reached). An unknown or misspelled option raises GradpilotError naming it.

    Steps travel over socket.io's WebSocket transport, which needs python-socketio with
    websocket-client (``pip install "python-socketio[client]"``; Debian: python3-socketio
    python3-websocket). Without them init() raises a GradpilotError that names the missing
    package; there is no HTTP fallback, so that a run never silently loses policy pushes,
    resume or acknowledged delivery.

    Example::

        import gradpilot
        run = gradpilot.init(url="http://127.0.0.1:7070", name="tiny-gpt", project="lm",
                             config={"lr": 3e-3}, policy={"kind": "percentile", "p": 10})
        print("live at", run.dashboard_url)

    Example (after a crash, continue from the checkpoint of step 5000)::

        run = gradpilot.init(url="http://127.0.0.1:7070", resume="lz3k1-9f2c41d0aa7e", from_step=5000)
    """
    options = {
        "name": name, "project": project, "config": config, "policy": policy, "token": token, "id": id,
        "rank": rank, "world_size": world_size, "resume": resume, "from_step": from_step, "state": state,
        "batch_size": batch_size, "flush_interval": flush_interval, "spill_dir": spill_dir,
        "max_memory_steps": max_memory_steps, "ack_timeout": ack_timeout, "reconnect_delay_max": reconnect_delay_max,
        "resume_timeout": resume_timeout, "quiet": quiet,
    }
    run = Run(resolve_options(url, options, unknown))
    try:
        run._wait_resumed()
    except BaseException:
        run.close(timeout=0)
        raise
    return run
