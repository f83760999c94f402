"""The SDK's link to the server (the TS ``connection.ts``): HTTP to create and finish the run,
socket.io ``/ingest`` for the rest. Every request is acknowledged and time-limited. Reconnecting
is the run's job (it decides when, and reports why it cannot): each attempt gets a fresh
socket.io client, so nothing from a dead connection (a buffered emit, a stale callback) leaks
into the next one. With several server URLs (servers sharing one PostgreSQL database), an
attempt that fails moves the next attempt on to the next URL, as the TS SDK fails over."""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

from .errors import GradpilotError
from ..protocol.socket_events import INGEST_NAMESPACE, POLICY, STOP

try:
    import engineio
    import socketio
    import websocket as _websocket_client  # noqa: F401  (engine.io's websocket transport)
except ImportError as err:  # reported by init(), which names the package to install
    socketio = engineio = None
    _missing = err.name

# WebSocket only, as the TS SDK: the server answers engine.io's HTTP long-polling badly (its
# express app also handles /socket.io/ requests and can crash on them), and one socket per run
# is all the SDK needs.
TRANSPORTS = ["websocket"]

log = logging.getLogger("gradpilot.client.connection")
# python-socketio and engine.io log every failed attempt; the run reports those itself, once,
# with the cause. Raise this logger's level to see the libraries' own account.
transport_log = logging.getLogger("gradpilot.client.transport")
if transport_log.level == logging.NOTSET:
    transport_log.setLevel(logging.CRITICAL)


def require_socketio() -> None:
    """Raises a GradpilotError naming the packages to install when the socket client is missing."""
    if socketio is None:
        raise GradpilotError(
            f"gradpilot streams steps over socket.io and needs python-socketio with websocket-client "
            f"(missing: {_missing}): `apt install python3-socketio python3-websocket` or "
            f"`pip install \"python-socketio[client]>=5\"`",
            "INVALID_OPTION",
        )


class RefusedError(Exception):
    """The server answered ``{ok: false}`` or HTTP 4xx: sending the same thing again cannot help."""


class RequestFailed(Exception):
    """No answer (timeout, disconnect, server error): sending again later may help."""


class ServerFault(RequestFailed):
    """The server answered ``{ok: false, retry: true}``: the request was fine, the server could
    not carry it out (disk full, database locked or read-only). Kept and sent again later."""


def _ack_handler(settle: Callable, event: str) -> Callable:
    """The socket.io callback of one /ingest request: its result, or the error it stands for."""

    def on_ack(answer=None):
        if isinstance(answer, dict) and answer.get("ok") is True:
            settle(answer.get("result"), None)
        else:
            settle(None, _failure(answer, event))

    return on_ack


def _failure(answer, event: str) -> Exception:
    """The error an /ingest reply that is not ``{ok: true}`` stands for."""
    if not isinstance(answer, dict):
        return RefusedError(f'no reply to "{event}"')
    if answer.get("retry") is True:
        return ServerFault(str(answer.get("error")))
    return RefusedError(answer.get("error"))


class ConnectFailed(Exception):
    """The socket could not connect; ``refusal`` is the server's own message when it refused it."""

    def __init__(self, message: str, refusal: str | None = None) -> None:
        super().__init__(message)
        self.refusal = refusal


class _StopQueue(queue.Queue):
    """engine.io's send queue, fixed: its write loop drops the None that tells it to stop when
    packets were queued before it, then waits 45 s for more while its read loop waits for it
    (the socket stays half open and a server shutting down waits too). Once a None was put, an
    empty queue hands out None again."""

    Empty = queue.Empty

    def __init__(self) -> None:
        super().__init__()
        self._stopping = False

    def put(self, item, block=True, timeout=None):
        if item is None:
            self._stopping = True
        super().put(item, block, timeout)

    def get(self, block=True, timeout=None):
        if self._stopping:
            with self.mutex:
                if not self.queue:
                    self.unfinished_tasks += 1  # the write loop calls task_done() for it
                    return None
        return super().get(block, timeout)


if socketio is not None:

    class _DaemonEngineIoClient(engineio.Client):
        # engine.io's reader and writer threads are not daemons: a script that forgot close()
        # would hang at exit while the server is up. The run's atexit hook closes it instead.
        def start_background_task(self, target, *args, **kwargs):
            th = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True, name="gradpilot-engineio")
            th.start()
            return th

        def create_queue(self, *args, **kwargs):
            return _StopQueue()

    class _SocketClient(socketio.Client):
        def _engineio_client_class(self):
            return _DaemonEngineIoClient


def http_json(method: str, url: str, body, token: str | None, timeout: float) -> tuple[int, object]:
    """One HTTP request with a JSON body; returns (status, parsed body or text). Raises OSError."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"accept": "application/json"}
    if method != "GET":
        # The server takes only JSON writes, even bodiless ones (its guard against other web pages).
        headers["content-type"] = "application/json"
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def error_text(parsed) -> str:
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return parsed["error"]
    return str(parsed)[:200]


class Connection:
    """``post(fn)`` runs fn on the run's I/O thread; ``on_disconnect()`` and ``on_policy(push)``
    are called there."""

    def __init__(self, urls, token: str | None, post: Callable, on_disconnect: Callable, on_policy: Callable,
                 on_stop: Callable | None = None) -> None:
        self._urls = [urls] if isinstance(urls, str) else list(urls)
        self._index = 0
        self._token = token
        self._post = post
        self._on_disconnect = on_disconnect
        self._on_policy = on_policy
        self._on_stop = on_stop
        self._client = None
        self._lock = threading.Lock()
        self._pending: dict[int, Callable] = {}  # request id -> reply(result, error)
        self._ids = itertools.count(1)
        self._closed = False

    @property
    def url(self) -> str:
        """The server in use (or tried next)."""
        return self._urls[self._index]

    @property
    def origin(self) -> str:
        parts = urllib.parse.urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def _socketio_path(self) -> str:
        # A server behind a proxy at a path prefix serves socket.io under that prefix too.
        return (urllib.parse.urlsplit(self.url).path.strip("/") + "/socket.io").lstrip("/")

    @property
    def server_count(self) -> int:
        return len(self._urls)

    def _fail_over(self) -> None:
        """The next attempt goes to the next server URL (if there are several)."""
        self._index = (self._index + 1) % len(self._urls)

    @property
    def connected(self) -> bool:
        client = self._client
        return client is not None and INGEST_NAMESPACE in client.namespaces

    def connect(self, timeout: float) -> None:
        """Connects a fresh socket (blocking, at most ~``timeout`` s). Raises ConnectFailed, after
        which the next attempt tries the next server URL."""
        try:
            self._connect(timeout)
        except ConnectFailed:
            self._fail_over()
            raise

    def _connect(self, timeout: float) -> None:
        client = _SocketClient(reconnection=False, handle_sigint=False, logger=transport_log,
                               engineio_logger=transport_log, request_timeout=timeout)
        joined = threading.Event()
        refusal: list[str] = []

        def connect_error(data=None):
            message = data.get("message") if isinstance(data, dict) else data
            refusal.append(str(message))
            joined.set()

        def disconnect():
            self._post(lambda: self._dropped(client))

        def policy(push):
            self._post(lambda: self._on_policy(push))

        client.on("connect", joined.set, namespace=INGEST_NAMESPACE)
        client.on("connect_error", connect_error, namespace=INGEST_NAMESPACE)
        client.on("disconnect", disconnect, namespace=INGEST_NAMESPACE)
        client.on(POLICY, policy, namespace=INGEST_NAMESPACE)

        def stop(push):
            if self._on_stop is not None:
                self._post(lambda: self._on_stop(push))

        client.on(STOP, stop, namespace=INGEST_NAMESPACE)
        # The token goes in a header, as the TS SDK sends it: handshake payloads show up in
        # debug logs, headers do not.
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            # wait=False: python-socketio would wait out its whole timeout after a refusal.
            client.connect(self.origin, headers=headers, transports=TRANSPORTS, namespaces=[INGEST_NAMESPACE],
                           socketio_path=self._socketio_path, wait=False)
        except (socketio.exceptions.ConnectionError, ValueError, OSError) as err:
            self._shut(client)
            raise ConnectFailed(str(err) or type(err).__name__) from None
        if not joined.wait(timeout) or refusal or INGEST_NAMESPACE not in client.namespaces:
            self._shut(client)
            raise ConnectFailed("the /ingest namespace did not connect", refusal[0] if refusal else None)
        if self._closed:
            self._shut(client)
            raise ConnectFailed("closed")
        old, self._client = self._client, client
        if old is not None:  # a socket that died without telling
            self._shut(old)
            self._fail_pending(RequestFailed("disconnected"))

    def _dropped(self, client) -> None:
        if client is not self._client:
            return  # an earlier socket, already replaced
        self._client = None
        self._shut(client)
        self._fail_pending(RequestFailed("disconnected"))
        self._on_disconnect()

    def _fail_pending(self, err: Exception) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for reply in pending.values():
            reply(None, err)

    def send(self, event: str, payload, timeout: float, reply: Callable, call_later: Callable) -> None:
        """Emits a request; ``reply(result, error)`` runs on the I/O thread exactly once: the
        result, RefusedError (the server said no), or RequestFailed (timeout, disconnect)."""
        client = self._client
        rid = next(self._ids)
        done = threading.Event()

        def settle(result, err):
            with self._lock:
                if self._pending.pop(rid, None) is None:
                    return
            done.set()
            self._post(lambda: reply(result, err))

        with self._lock:
            self._pending[rid] = settle
        if client is None:
            settle(None, RequestFailed("not connected"))
            return

        on_ack = _ack_handler(settle, event)

        try:
            client.emit(event, payload, namespace=INGEST_NAMESPACE, callback=on_ack)
        except Exception as err:  # the socket closed under us
            settle(None, RequestFailed(str(err)))
            return
        call_later(timeout, lambda: settle(None, RequestFailed(f'no answer to "{event}" within {timeout:g} s')))

    def call(self, event: str, payload, timeout: float):
        """As ``send``, blocking (for the handshake, which runs on the I/O thread). Raises."""
        box: list = []
        got = threading.Event()
        client = self._client
        if client is None:
            raise RequestFailed("not connected")
        rid = next(self._ids)

        def settle(result, err):
            with self._lock:
                if self._pending.pop(rid, None) is None:
                    return
            box.append((result, err))
            got.set()

        with self._lock:
            self._pending[rid] = settle

        on_ack = _ack_handler(settle, event)

        try:
            client.emit(event, payload, namespace=INGEST_NAMESPACE, callback=on_ack)
        except Exception as err:
            settle(None, RequestFailed(str(err)))
        if not got.wait(timeout):
            settle(None, RequestFailed(f'no answer to "{event}" within {timeout:g} s'))
        result, err = box[0]
        if err is not None:
            raise err
        return result

    def create_run(self, body: dict, timeout: float) -> None:
        """Creates the run over HTTP; an existing run of that id (409) counts as created, so every
        rank, and every retry, may call it. RefusedError on 4xx, RequestFailed otherwise."""
        try:
            status, answer = http_json("POST", self.url + "/api/runs", body, self._token, timeout)
        except OSError as err:
            self._fail_over()
            raise RequestFailed(f"POST /api/runs failed: {err}") from None
        if 200 <= status < 300 or status == 409:
            return
        if status < 500:
            raise RefusedError(f'The server refused to create run "{body["id"]}" (HTTP {status}): {error_text(answer)}')
        self._fail_over()
        raise RequestFailed(f"POST /api/runs answered HTTP {status}")

    def finish_run(self, run_id: str, timeout: float) -> bool:
        """Marks the run finished (best effort: the dashboard shows it as done instead of idle)."""
        try:
            status, _ = http_json("POST", f"{self.url}/api/runs/{urllib.parse.quote(run_id)}/finish", None, self._token, timeout)
            return 200 <= status < 300
        except OSError as err:
            log.debug("could not mark run %s finished: %s", run_id, err)
            return False

    def close(self) -> None:
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            self._shut(client)
        self._fail_pending(RequestFailed("closed"))

    @staticmethod
    def _shut(client) -> None:
        try:
            client.disconnect()
        except Exception as err:
            log.debug("disconnect: %s", err)
        # engine.io leaves the TCP socket open when the server closed the WebSocket, and the
        # server's shutdown then waits for it (up to 30 s); close it now.
        ws = getattr(client.eio, "ws", None)
        if ws is not None:
            try:
                ws.shutdown()
            except Exception as err:
                log.debug("socket shutdown: %s", err)
