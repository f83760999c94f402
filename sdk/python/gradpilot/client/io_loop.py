"""The SDK's background thread: callbacks and timers run one at a time, in order, the way
Node's event loop runs the TS SDK's. The training thread only posts to it, so a training step
never waits on the network. (No TS twin: Node has the loop built in.)"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from typing import Callable

log = logging.getLogger("gradpilot.client.io")


class Timer:
    __slots__ = ("when", "fn", "cancelled")

    def __init__(self, when: float, fn: Callable[[], None]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class IoLoop:
    def __init__(self, name: str) -> None:
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._timers: list = []
        self._order = itertools.count()
        self._stopping = False
        # A daemon: a script that never calls close() must still exit (an atexit hook closes its runs).
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def in_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def post(self, fn: Callable[[], None]) -> None:
        """Runs ``fn`` on the loop thread, after what is already queued. Thread-safe."""
        self._inbox.put(fn)

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        """Runs ``fn`` on the loop thread after ``delay`` seconds. Thread-safe."""
        timer = Timer(time.monotonic() + delay, fn)
        if self.in_loop:
            heapq.heappush(self._timers, (timer.when, next(self._order), timer))
        else:
            self._inbox.put(lambda: heapq.heappush(self._timers, (timer.when, next(self._order), timer)))
        return timer

    def stop(self, timeout: float) -> None:
        """Stops after the task running now; waits at most ``timeout`` seconds for that."""
        self._stopping = True
        self._inbox.put(None)
        if not self.in_loop and self._thread.is_alive():
            self._thread.join(timeout)

    def _main(self) -> None:
        while not self._stopping:
            timeout = None
            if self._timers:
                timeout = max(0.0, self._timers[0][0] - time.monotonic())
            try:
                fn = self._inbox.get(timeout=timeout)
            except queue.Empty:
                fn = None
            if fn is not None:
                self._run(fn)
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now and not self._stopping:
                _, _, timer = heapq.heappop(self._timers)
                if not timer.cancelled:
                    self._run(timer.fn)

    @staticmethod
    def _run(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # a bug in one task must not stop the run's I/O
            log.exception("background task failed")
