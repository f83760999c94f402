"""A run as the training loop sees it (the TS ``run.ts``): ``observe()`` decides with the local
controller and records the step, synchronously and without I/O; everything that talks to the
server happens on the run's background thread (``io_loop.py``). The two share the controller,
the outbox and the policy follower under one lock, held for microseconds at a time."""

from __future__ import annotations

import atexit
import logging
import math
import operator
import os
import sys
import threading
import time
import urllib.parse
from typing import Callable

from .connection import ConnectFailed, Connection, RefusedError, RequestFailed, ServerFault, require_socketio
from .connection_problem import diagnose, warning_line
from .errors import GradpilotError, NonFiniteGradientError
from .io_loop import IoLoop
from .options import ResolvedOptions
from .orphan_spills import OrphanSpills
from .outbox import Outbox
from .policy_follower import PolicyFollower
from ..protocol.socket_events import JOIN, POLICY_ACK, RESUME, STOP_ACK
from .spill_file import SpillFile
from .steps_sender import StepsSender
from .stop_follower import StopFollower

log = logging.getLogger("gradpilot.client.run")

#: Batches sent and not yet acknowledged, at most (as the TS SDK).
MAX_IN_FLIGHT = 4
#: A server unreachable for this long is reported (events, and one line on stderr).
REPORT_UNREACHABLE_AFTER = 3.0
#: One socket connect attempt, at most.
CONNECT_TIMEOUT = 5.0
#: close() of runs the script never closed, at interpreter exit.
AT_EXIT_TIMEOUT = 2.0
#: The server's limits on per-layer norms (MAX_LAYERS, MAX_NAME_LENGTH).
MAX_LAYERS = 1024
MAX_NAME_LENGTH = 200
MAX_STEP = 2**53 - 1

EVENTS = ("policy", "connection", "error", "event", "stop")
_open_runs: set = set()


def _number(value, what: str, step) -> float:
    if isinstance(value, (bool, str, bytes)):
        raise GradpilotError(f'Step {step}: expected "{what}" to be a number, got {value!r}', "INVALID_STEP")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise GradpilotError(f'Step {step}: expected "{what}" to be a number, got {type(value).__name__}', "INVALID_STEP") from None


class Run:
    """A training run. Create it with ``gradpilot.init()``; call ``observe()`` once per step.

    Example::

        run = gradpilot.init(url="http://127.0.0.1:7070", name="rnn-lr0.1")
        for step in range(1000):
            d = run.observe(step, grad_norm, loss=loss)
            if d.action == "clip":
                scale_gradients(d.coef)
            if d.action != "skip":
                optimizer_step()
        print(run.close())
    """

    def __init__(self, o: ResolvedOptions) -> None:
        require_socketio()
        from ..controller import DEFAULT_POLICY, Controller

        self._o = o
        #: The run id (chosen by the client, so the run exists before the server answers).
        self.id = o.id
        self.rank = o.rank
        self.world_size = o.world_size
        #: The run's page on the dashboard.
        self.dashboard_url = f"{o.url}/#/runs/{urllib.parse.quote(o.id, safe='')}"
        try:
            self._controller = Controller.from_state(o.state) if o.state is not None else Controller(o.policy or DEFAULT_POLICY)
        except Exception as err:
            raise GradpilotError(f'Invalid "state" option: {err}', "INVALID_OPTION", err) from err
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._last_step = o.from_step if o.state is not None else None
        self._streams = o.rank == 0
        self._resumed = not o.resume or o.state is not None
        self._resume_sent = not o.resume
        self._resume_done = threading.Event()
        self._resume_error: GradpilotError | None = None
        self._listeners: dict[str, list[Callable]] = {name: [] for name in EVENTS}
        self._deferred: list[tuple[str, object]] = []  # events to emit once the lock is released
        self._ready = False
        self._generation = 0
        self._closed = False
        self._stopped = False
        self._report: dict | None = None
        self._last_error: str | None = None
        self._down_since: float | None = time.monotonic()
        self._last_cause: str | None = None
        self._reported = False
        self._warned = False
        self._spill_reported = False
        self._layer_names: set[str] = set()

        spill = None
        if self._streams and o.spill_dir is not None:
            header = {"gradpilot": 1, "pid": os.getpid(),
                      "run": {"id": o.id, "name": o.name, "project": o.project, "config": o.config, "policy": o.policy}}
            spill = SpillFile(o.spill_dir, header)
        self._orphans = OrphanSpills.load(o.spill_dir if self._streams else None, o.id)
        self._outbox = Outbox(o.id, o.batch_size, o.max_memory_steps, spill)
        self._loop = IoLoop(f"gradpilot-{o.id}")
        self._policies = PolicyFollower(
            o.id, o.rank, send=self._send_policy_ack, applied=lambda a: self._deferred.append(("policy", a)),
            error=self._fail_locked, wake=lambda: self._loop.post(self._flush_acks),
        )
        self._stops = StopFollower(
            o.id, o.rank, send=self._send_stop_ack, told=lambda push: self._deferred.append(("stop", push)),
            error=lambda err: self._fail_locked(GradpilotError(f"The server refused a stop acknowledgement: {err}", "INVALID_STEP")),
        )
        self._conn = Connection(o.urls, o.token, self._loop.post, self._disconnected, self._policy_pushed, self._stop_pushed)
        self._steps = StepsSender(self._conn, o.ack_timeout, self._older_server)
        self._connector_alive = False
        self._reconnect_at = 0.0
        self._stop_event = threading.Event()
        self._loop.start()
        self._loop.post(self._start_connector)
        self._loop.call_later(REPORT_UNREACHABLE_AFTER, self._check_unreachable)
        self._tick_timer = self._loop.call_later(o.flush_interval, self._tick)
        _open_runs.add(self)

    # ------------------------------------------------------------------------------------
    # The training thread's side.

    def observe(self, step: int, grad_norm: float, *, loss: float | None = None, lr: float | None = None,
                layers: dict[str, float] | None = None):
        """Decides one training step with the run's policy and records it for the server.

        Synchronous and free of I/O: call it between computing gradients and applying them.
        Steps must increase. Returns the controller's ``Decision`` (``threshold``, ``coef``,
        ``action`` of "apply" | "clip" | "skip", ``events``, ``stats``). Raises
        ``NonFiniteGradientError`` when the policy says ``onNonFinite: 'raise'`` and the norm or
        loss is NaN/±inf (the step is still recorded). Listeners of "event" run here, with the
        decision, when it has events; an exception they raise propagates (the step is recorded).

        Example::

            d = run.observe(step, 3.2, loss=0.7, lr=1e-3)
            if d.action == "clip":
                scale_gradients(d.coef)
            if d.action == "skip":
                continue  # do not apply this step's update
        """
        if self._closed:
            raise GradpilotError(f'Step {step}: run "{self.id}" is closed; call gradpilot.init() for a new run', "CLOSED")
        if type(step) is not int:
            try:
                step = operator.index(step) if not isinstance(step, bool) else None
            except TypeError:
                step = None
            if step is None:
                raise GradpilotError("Expected \"step\" to be a non-negative integer", "INVALID_STEP")
        if step < 0 or step > MAX_STEP:
            raise GradpilotError(f'Expected "step" to be a non-negative integer, got {step}', "INVALID_STEP")
        if type(grad_norm) is not float:
            grad_norm = _number(grad_norm, "grad_norm", step)
        if loss is not None and type(loss) is not float:
            loss = _number(loss, "loss", step)
        if lr is not None and type(lr) is not float:
            lr = _number(lr, "lr", step)
        if layers is not None:
            layers = self._checked_layers(layers, step)
        with self._lock:
            last = self._last_step
            if last is not None and step <= last:
                raise GradpilotError(f"Step {step} is not after the last observed step {last}: steps must increase", "INVALID_STEP")
            self._policies.before_step(step, self._controller)
            d = self._controller.decide(step, grad_norm, loss)
            self._last_step = step
            sealed = self._streams and self._outbox.record(step, grad_norm, loss, lr, d.threshold, d.coef, d.action, layers,
                                                            time.time() * 1000)
        if sealed:
            self._loop.post(self._pump)
        if self._deferred:
            self._emit_deferred()
        if d.events:
            for listener in tuple(self._listeners["event"]):
                listener(d)
            if "nonfinite" in d.events and self._controller.policy.get("onNonFinite") == "raise":
                raise NonFiniteGradientError(step, grad_norm, loss)
        return d

    def _checked_layers(self, layers, step) -> dict:
        if not isinstance(layers, dict):
            raise GradpilotError(f'Step {step}: expected "layers" to be a dict {{name: norm}}', "INVALID_STEP")
        if not self._layer_names.issuperset(layers):
            for name in layers:
                if name in self._layer_names:
                    continue
                if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
                    raise GradpilotError(f"Step {step}: expected layer names to be non-empty strings of at most "
                                         f"{MAX_NAME_LENGTH} characters, got {name!r}", "INVALID_STEP")
                if len(self._layer_names) >= MAX_LAYERS:
                    raise GradpilotError(f"Step {step}: too many layer names ({len(self._layer_names) + 1}); the server keeps "
                                         f"at most {MAX_LAYERS} per run", "INVALID_STEP")
                self._layer_names.add(name)
        if all(type(v) is float for v in layers.values()):
            return layers
        return {name: None if v is None else _number(v, f"layers.{name}", step) for name, v in layers.items()}

    @property
    def policy(self) -> dict:
        """The policy in force (TS camelCase JSON)."""
        return self._controller.policy

    @property
    def stop_requested(self) -> bool:
        """Whether somebody asked this run to stop (the dashboard or ``POST /api/runs/:id/stop``).
        Read it between steps; the SDK stops nothing by itself.

        Example::

            for step, batch in enumerate(loader):
                if run.stop_requested:
                    save_checkpoint()
                    break
                train_step(batch)
            run.close()
        """
        return self._stops.request is not None

    @property
    def stop_request(self) -> dict | None:
        """The latest stop request (``runId, id, author, reason, createdAt``), or None."""
        return self._stops.request

    @property
    def policy_version(self) -> int:
        """The server's version of the policy in force (0 until the server's first answer)."""
        return self._policies.version

    def controller_state(self) -> dict:
        """The controller's state, to save with a checkpoint; ``init(resume=, from_step=, state=)``
        continues from it without asking the server. JSON-safe, the same format as the TS SDK's.

        Example::

            torch.save({"model": model.state_dict(), "step": step, "gradpilot": run.controller_state()}, path)
        """
        with self._lock:
            return self._controller.to_state()

    def status(self) -> dict:
        """Connection and delivery at a glance.

        Example::

            s = run.status()
            print(s["connected"], s["undelivered"], s["last_error"])
        """
        with self._lock:
            counts = self._counts()
            return {**counts, "connected": self._conn.connected, "ready": self._ready,
                    "policy_version": self._policies.version, "pending_policy_versions": self._policies.pending_versions,
                    "last_step": self._last_step, "last_error": self._last_error}

    def on(self, event: str, listener: Callable) -> Callable[[], None]:
        """Subscribes to run events; returns the unsubscribe function.

        "connection" ({connected, url, cause}) and "error" (a GradpilotError) are called on the
        run's background thread; "policy" (an AppliedPolicy) there, or inside ``observe`` when a
        pushed policy comes into force at that step; "event" (the Decision of a step with spike,
        explosion or nonfinite events) inside ``observe``. Listeners must not call ``flush`` or
        ``close``; an exception in a background listener is logged, one in an "event" listener
        propagates out of ``observe``.

        Example::

            run.on("policy", lambda p: print(f"policy v{p.version} from step {p.applied_at_step}"))
            run.on("event", lambda d: print(d.step, d.events))
        """
        if event not in self._listeners:
            raise GradpilotError(f'Unknown event "{event}"; expected one of {", ".join(EVENTS)}', "INVALID_OPTION")
        self._listeners[event].append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners[event]:
                self._listeners[event].remove(listener)

        return unsubscribe

    def flush(self, timeout: float = 10.0) -> bool:
        """Sends what is recorded and waits until the server acknowledged it; False on timeout.

        Example::

            if not run.flush(timeout=2.0):
                print("server slow or away:", run.status()["last_error"])
        """
        if self._loop.in_loop:
            raise GradpilotError("flush() and close() cannot be called from a run's event listener", "CLOSED")
        if self._stopped:  # closed: nothing will be sent any more
            with self._lock:
                return self._is_idle()
        with self._lock:
            self._outbox.seal()
        self._loop.post(self._pump)
        deadline = time.monotonic() + timeout
        with self._idle:
            while not self._is_idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> dict:
        """Flushes (waiting at most ``timeout`` seconds), disconnects, and reports what was delivered.

        Returns ``{delivered, undelivered, spilled, dropped, first_undelivered_step,
        last_undelivered_step, spill_file, last_error}``. Undelivered steps stay in the spill
        file, which a later ``init`` of the same run id sends. Calling it again returns the
        report again.

        Example::

            report = run.close(timeout=5.0)
            if report["undelivered"]:
                print(f"{report['undelivered']} steps kept in {report['spill_file']}")
        """
        if self._report is not None:
            return self._report
        if not self._closed:
            self._closed = True
            self._tick_timer.cancel()
            flushed = self.flush(timeout)
            if flushed and self._streams and self._ready and timeout > 0:
                self._conn.finish_run(self.id, min(timeout, 2.0))
            self._stopped = True
            self._stop_event.set()
            self._loop.stop(1.0)
            self._conn.close()
            if not self._resumed:
                self._resume_failed(GradpilotError(f'Run "{self.id}" was closed while resuming', "CLOSED"))
            _open_runs.discard(self)
        with self._lock:
            self._orphans.release()
            spill_file = self._outbox.close_spill()
            report = {**self._counts(), "spill_file": spill_file, "last_error": self._last_error}
        self._report = report
        if report["undelivered"] > 0:
            log.debug("closed with %d steps undelivered (steps %s..%s), kept in %s", report["undelivered"],
                      report["first_undelivered_step"], report["last_undelivered_step"], spill_file)
        return report

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<gradpilot.Run id={self.id!r} rank={self.rank} url={self._o.url!r}>"

    def _wait_resumed(self) -> None:
        """Blocks until a resumed run has its controller state (init() calls it)."""
        if self._resumed:
            return
        if not self._resume_done.wait(self._o.resume_timeout):
            extra = f" ({self._last_error})" if self._last_error else ""
            raise GradpilotError(
                f'Could not resume run "{self.id}": no answer from {self._o.url} within {self._o.resume_timeout:g} s{extra}. '
                "Check the url, or pass the checkpoint's from_step= and state= to resume offline.", "RESUME_FAILED")
        if self._resume_error is not None:
            raise self._resume_error

    def _resume_failed(self, err: GradpilotError) -> None:
        if self._resume_error is None and not self._resume_done.is_set():
            self._resume_error = err
            self._resume_done.set()

    def _counts(self) -> dict:
        return self._orphans.add_to(self._outbox.counts())

    def _is_idle(self) -> bool:
        return self._outbox.idle and self._orphans.empty and self._policies.idle and self._stops.idle

    # ------------------------------------------------------------------------------------
    # The background thread's side: connecting, the handshake, sending.

    def _start_connector(self) -> None:
        """Connects on a thread of its own: a connect can block for seconds (a host that drops
        packets), and the loop must keep ticking and report the outage on time meanwhile."""
        if self._connector_alive or self._stopped or self._conn.connected:
            return
        self._connector_alive = True
        threading.Thread(target=self._connector, name=f"gradpilot-connect-{self.id}", daemon=True).start()

    def _connector(self) -> None:
        o = self._o
        delay = min(0.25, o.reconnect_delay_max)
        failures = 0
        try:
            while not self._stopped:
                tried = self._conn.url
                try:
                    self._conn.connect(CONNECT_TIMEOUT)
                except ConnectFailed as err:
                    if self._stopped:
                        return
                    cause = diagnose(tried, o.token, err.refusal, str(err))
                    self._loop.post(lambda: self._connect_failed(cause))
                    failures += 1
                    # The next server at once; after every one failed in turn, wait before the next round.
                    if failures % self._conn.server_count == 0:
                        self._stop_event.wait(delay)
                        delay = min(delay * 2, o.reconnect_delay_max)
                    continue
                self._loop.post(self._connected)
                return
        finally:
            self._connector_alive = False

    def _connected(self) -> None:
        if self._stopped:
            return
        if not self._conn.connected:  # dropped before its disconnect could be seen
            self._start_connector()
            return
        self._down_since = None
        log.debug("connected to %s", self._conn.url)
        self._emit("connection", {"connected": True, "url": self._conn.url, "cause": None})
        self._generation += 1
        self._handshake(self._generation)

    def _connect_failed(self, cause: str) -> None:
        self._last_cause = cause
        log.debug("cannot connect to %s: %s", self._conn.url, cause)
        if self._down_since is None:
            self._down_since = time.monotonic()
        if time.monotonic() - self._down_since >= REPORT_UNREACHABLE_AFTER:
            self._report_unreachable()

    def _check_unreachable(self) -> None:
        down = self._down_since
        if down is None or self._reported or self._stopped:
            return
        if time.monotonic() - down >= REPORT_UNREACHABLE_AFTER - 0.05:
            if self._last_cause is None:
                netloc = urllib.parse.urlsplit(self._conn.url).netloc
                self._last_cause = f"no answer from {netloc} yet"
            self._report_unreachable()

    def _report_unreachable(self) -> None:
        o = self._o
        url = self._conn.url  # the server tried last (of several, the one failing over to)
        cause = self._last_cause
        self._reported = True
        err = GradpilotError(f"Cannot reach the gradpilot server at {url}: {cause}", "UNREACHABLE")
        err.url, err.reason = url, cause
        self._emit("connection", {"connected": False, "url": url, "cause": cause})
        self._fail(err)
        if not self._warned and not o.quiet:
            self._warned = True
            with self._lock:
                spill = self._outbox.spill_path
            seconds = time.monotonic() - (self._down_since or time.monotonic())
            sys.stderr.write(warning_line(url, seconds, cause, o.id, o.rank, spill, o.max_memory_steps))
            sys.stderr.flush()

    def _disconnected(self) -> None:
        self._generation += 1
        with self._lock:
            self._ready = False
            self._policies.online = False
            self._stops.online = False
            self._outbox.disconnected()
        log.debug("disconnected from %s", self._conn.url)
        if self._stopped:
            return
        self._emit("connection", {"connected": False, "url": self._conn.url, "cause": "disconnected"})
        self._down_since = time.monotonic()
        self._reported = self._warned = False
        self._loop.call_later(REPORT_UNREACHABLE_AFTER, self._check_unreachable)
        # Not at once: a server shutting down still accepts connections for a moment, and one
        # made then keeps it from exiting.
        delay = min(0.25, self._o.reconnect_delay_max)
        self._reconnect_at = time.monotonic() + delay
        self._loop.call_later(delay, self._start_connector)

    def _handshake(self, generation: int) -> None:
        """After each (re)connect: create, join, deliver a dead process's leftovers, resume, then send."""
        o = self._o

        def current() -> bool:
            return generation == self._generation and not self._stopped

        try:
            if not o.resume:
                body = {"id": o.id, "name": o.name, "author": "sdk"}
                for key, value in (("project", o.project), ("config", o.config), ("policy", o.policy)):
                    if value is not None:
                        body[key] = value
                self._conn.create_run(body, o.ack_timeout)
            if not current():
                return
            joined = self._conn.call(JOIN, {"runId": o.id, "rank": o.rank, "worldSize": o.world_size}, o.ack_timeout)
            # A resume in this handshake clears the run's stop request on the server: ignore it then.
            resumes_now = not self._resume_sent
            self._orphans.deliver(o.id, self._steps.call, self._orphan_refused)
            if not self._resume_sent:
                # The server replays the run to answer (seconds per million steps): the resume
                # timeout, not the ack timeout, or a long run would be asked again and again.
                request = {"runId": o.id}
                if o.from_step is not None:
                    request["fromStep"] = o.from_step
                r = self._conn.call(RESUME, request, o.resume_timeout)
                if not current():
                    return
                self._resume_sent = True
                if not self._resumed:
                    self._adopt_state(r)
            if not current():
                return
            pv = joined["policy"]
            with self._lock:
                self._policies.offer({"runId": o.id, "version": pv["version"], "effectiveStep": pv["effectiveStep"],
                                      "policy": pv["policy"]}, self._controller, self._last_step)
                stop = joined.get("stop") if isinstance(joined, dict) else None
                if stop is not None and not resumes_now:
                    self._stops.offer(stop, self._last_step)
                self._ready = True
                self._policies.online = True
                self._stops.online = True
                self._outbox.away = False
            self._emit_deferred()
            self._pump()
            self._flush_acks()
            self._check_idle()
        except (RefusedError, GradpilotError) as err:
            self._fail(err)
            if not self._resumed:
                self._resume_failed(GradpilotError(f'Could not resume run "{o.id}": {err}', "RESUME_FAILED", err))
        except RequestFailed as err:
            log.debug("handshake interrupted: %s", err)
            # A timeout on a live socket: try again (a disconnect starts a new handshake by itself).
            if current() and self._conn.connected:
                self._loop.call_later(0.5, lambda: current() and self._handshake(generation))

    def _adopt_state(self, answer: dict) -> None:
        from ..controller import Controller

        try:
            controller = Controller.from_state(answer["state"])
        except Exception as err:
            raise GradpilotError(f"the server's controller state is not usable: {err}", "RESUME_FAILED", err) from err
        with self._lock:
            self._controller = controller
            self._last_step = answer.get("fromStep")
        self._resumed = True
        self._resume_done.set()

    def _older_server(self, message: str) -> None:
        told = (f"The server at {self._conn.url} is older than this SDK and refused the steps' wall-clock times ({message}); "
                "steps are sent without them and the server stores their arrival times. Upgrade the server to keep them.")
        if not self._o.quiet:
            sys.stderr.write(f"gradpilot: {told}\n")
            sys.stderr.flush()
        self._fail(GradpilotError(told, "OLDER_SERVER"))

    def _orphan_refused(self, err: RefusedError, path: str) -> None:
        self._fail(GradpilotError(f'The server refused spilled steps of run "{self.id}" from {path}: {err}', "INVALID_STEP"))

    def _tick(self) -> None:
        if self._closed:
            return
        with self._lock:
            # A flush interval without the server: from now on batches go to the spill file.
            if not self._ready and not self._outbox.away:
                self._outbox.disconnected()
            if self._outbox.pending_steps > 0:
                self._outbox.seal()
        self._pump()
        self._check_spill()
        if not self._conn.connected and time.monotonic() >= self._reconnect_at:
            self._start_connector()  # covers a disconnect that raced with a connect
        self._tick_timer = self._loop.call_later(self._o.flush_interval, self._tick)

    def _check_spill(self) -> None:
        err = self._outbox.spill_error
        if err is not None and not self._spill_reported:
            self._spill_reported = True
            self._fail(GradpilotError(f"Cannot write the spill file in {self._o.spill_dir} ({err}); undelivered steps "
                                      f"stay in memory (at most {self._o.max_memory_steps})", "INVALID_OPTION", err))

    def _pump(self) -> None:
        if not self._ready or self._stopped:
            return
        generation = self._generation
        with self._lock:
            try:
                sendable = self._outbox.take_sendable(MAX_IN_FLIGHT)
            except (OSError, ValueError) as err:
                log.debug("cannot read back a spilled batch: %s", err)
                return
        for seq, batch in sendable:
            self._steps.send(batch, lambda result, err, seq=seq: self._batch_answered(seq, generation, err), self._loop.call_later)
        self._check_spill()

    def _batch_answered(self, seq: int, generation: int, err) -> None:
        if err is None:
            with self._lock:
                self._outbox.ack(seq)
            self._pump()
            self._check_idle()
        elif isinstance(err, RefusedError):
            with self._lock:
                self._outbox.reject(seq)
            self._fail(GradpilotError(f'The server refused steps of run "{self.id}": {err}', "INVALID_STEP"))
            self._check_idle()
        elif generation == self._generation:
            log.debug("batch %d: %s, sending again", seq, err)
            with self._lock:
                self._outbox.retry(seq)
            if isinstance(err, ServerFault):
                # Disk full or locked: say so, and give the server a second before the next try.
                self._fail(GradpilotError(f'The server could not store steps of run "{self.id}" (kept, sent again): {err}', "SERVER_FAULT"))
                self._loop.call_later(1.0, self._pump)
            else:
                self._loop.call_later(0.2, self._pump)

    def _policy_pushed(self, push) -> None:
        if not isinstance(push, dict) or not isinstance(push.get("version"), int) or not isinstance(push.get("effectiveStep"), int):
            self._fail(GradpilotError(f"Ignored a malformed policy push from the server: {push!r}", "INVALID_OPTION"))
            return
        with self._lock:
            self._policies.offer(push, self._controller, self._last_step)
        self._emit_deferred()

    def _send_policy_ack(self, ack: dict, done: Callable) -> None:
        def answered(result, err) -> None:
            with self._lock:
                done(err, isinstance(err, RefusedError))
            self._emit_deferred()
            self._check_idle()

        self._conn.send(POLICY_ACK, ack, self._o.ack_timeout, answered, self._loop.call_later)

    def _flush_acks(self) -> None:
        with self._lock:
            self._policies.flush()
            self._stops.flush()

    def _stop_pushed(self, push) -> None:
        with self._lock:
            told = self._stops.offer(push, self._last_step)
            if told:
                self._stops.flush()
        self._emit_deferred()

    def _send_stop_ack(self, ack: dict, done: Callable) -> None:
        def answered(result, err) -> None:
            with self._lock:
                done(err)
            self._emit_deferred()
            self._check_idle()

        self._conn.send(STOP_ACK, ack, self._o.ack_timeout, answered, self._loop.call_later)

    def _check_idle(self) -> None:
        with self._idle:
            if self._is_idle():
                self._idle.notify_all()

    # ------------------------------------------------------------------------------------
    # Events.

    def _fail(self, err: GradpilotError) -> None:
        self._last_error = str(err)
        log.debug("error: %s", err)
        self._emit("error", err)

    def _fail_locked(self, err: GradpilotError) -> None:
        """As _fail, from code that holds the lock: the listeners run once it is released."""
        self._last_error = str(err)
        self._deferred.append(("error", err))

    def _emit_deferred(self) -> None:
        with self._lock:
            deferred, self._deferred = self._deferred, []
        for event, arg in deferred:
            self._emit(event, arg)

    def _emit(self, event: str, arg) -> None:
        for listener in tuple(self._listeners[event]):
            try:
                listener(arg)
            except Exception:
                log.exception("%s listener raised", event)


@atexit.register
def _close_open_runs() -> None:
    # A script that ends without close() still delivers (or spills) what it recorded.
    for run in list(_open_runs):
        try:
            run.close(timeout=AT_EXIT_TIMEOUT)
        except Exception:
            log.exception("closing run %s at exit", run.id)
