"""Undelivered batches on disk (the TS ``spill-file.ts``), in the same format so that either SDK
delivers the other's files: a header line naming the run, then one JSON line per batch,
non-finite numbers as wire strings. Written only while the server is away, synchronously: a
training loop must be able to bound its memory whatever the network does.

The folder is private (0700, owned by this user, never a symlink) and files are created
exclusively (O_EXCL) without following symlinks (O_NOFOLLOW), so another local user cannot
plant or redirect them."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time

from .step_columns import float64_values

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; two inits of one run may both deliver (harmless duplicates)
    fcntl = None
from ..protocol.wire_number import encode_number

log = logging.getLogger("gradpilot.client.spill")

SUFFIX = ".spill.jsonl"
_FLAGS = os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
_DIR_FD = os.open in os.supports_dir_fd and getattr(os, "O_DIRECTORY", 0) != 0
# <runId>.<pid>[-closed-<ms>].spill.jsonl: what the TS SDK writes and parses.
_MIDDLE = re.compile(r"(\d+)(-closed-\d+)?")

# Spill files this process has open, so that a file left by an earlier process with our pid
# (containers often start every process as pid 1) is adopted, and our own live one is not.
_open_paths: set[str] = set()
_open_lock = threading.Lock()


def _column(values) -> list:
    """A binary column as wire numbers; a list is wire numbers already (as the TS SDK's)."""
    if isinstance(values, (bytes, bytearray, memoryview)):
        return [encode_number(v) for v in float64_values(bytes(values))]
    return list(values)


def batch_to_json(batch: dict) -> str:
    """A batch as one JSON line: numeric columns as wire numbers so that NaN and ±inf survive."""
    step = batch["step"]
    steps = [int(s) for s in (float64_values(step) if isinstance(step, bytes) else step)]
    out = {"runId": batch["runId"], "seq": batch["seq"], "step": steps, "gradNorm": _column(batch["gradNorm"])}
    for key in ("loss", "lr", "threshold", "coef"):
        if batch.get(key) is not None:
            out[key] = _column(batch[key])
    if batch.get("action") is not None:
        out["action"] = batch["action"]
    # The step's own time, so that a batch delivered after an outage is not stamped on arrival.
    if batch.get("time") is not None:
        out["time"] = _column(batch["time"])
    if batch.get("layers") is not None:
        out["layers"] = {name: _column(col) for name, col in batch["layers"].items()}
    return json.dumps(out, separators=(",", ":"), allow_nan=False)


def batch_length(batch: dict) -> int:
    step = batch["step"]
    return len(step) // 8 if isinstance(step, bytes) else len(step)


def _private_dir(path: str) -> int:
    """Opens (creating it 0700 if needed) a folder only this user can use; returns its fd."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _FLAGS)
    try:
        st = os.fstat(fd)
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise PermissionError(f"the spill folder {path} belongs to another user (uid {st.st_uid}); pass spill_dir= a folder of yours")
        if st.st_mode & 0o077 and hasattr(os, "fchmod"):
            os.fchmod(fd, 0o700)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_in(dir_fd: int, folder: str, name: str, flags: int, mode: int = 0o600) -> int:
    if _DIR_FD:
        return os.open(name, flags | _FLAGS, mode, dir_fd=dir_fd)
    return os.open(os.path.join(folder, name), flags | _FLAGS, mode)


def closed_name(path: str) -> str:
    """The name a spill file gets once no process writes it any more (any later init adopts it)."""
    return path[: -len(SUFFIX)] + f"-closed-{time.time_ns() // 1_000_000}{SUFFIX}"


class Adopted:
    """An orphan this process delivers: its batches, and the open, locked file, so that a
    second init of the run at the same time skips it (the lock goes when this process does)."""

    def __init__(self, path: str, fd: int, batches: list[dict]) -> None:
        self.path = path
        self.batches = batches
        self._fd = fd

    def remove(self) -> None:
        """Delivered: the file goes."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def adopt(path: str) -> Adopted | None:
    """Opens, locks and reads an orphan; None when another process is delivering it."""
    if path.endswith(f".{os.getpid()}{SUFFIX}"):
        # An earlier process with our pid (containers restart with the same pids): moved to a
        # closed name first, so that this process's own spill file can take its name.
        closed = closed_name(path)
        os.rename(path, closed)
        path = closed
    fd = os.open(path, os.O_RDONLY | _FLAGS)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
        with os.fdopen(os.dup(fd), "rb") as f:
            _, batches = parse_spill(f.read(), path)
    except BaseException:
        os.close(fd)
        raise
    return Adopted(path, fd, batches)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class SpillFile:
    """This process's spill file for one run; created on the first write."""

    def __init__(self, folder: str, header: dict) -> None:
        self.folder = folder
        self._run_id = header["run"]["id"]
        self._header = (json.dumps(header, separators=(",", ":")) + "\n").encode()
        self.path = os.path.join(folder, f"{self._run_id}.{header['pid']}{SUFFIX}")
        self._dir_fd: int | None = None
        self._fd: int | None = None
        self._size = 0

    def append(self, batch: dict) -> tuple[int, int]:
        """Appends a batch; returns (offset, length). Raises OSError (the caller keeps it in memory)."""
        fd = self._open()
        line = (batch_to_json(batch) + "\n").encode()
        os.pwrite(fd, line, self._size)
        ref = (self._size, len(line) - 1)
        self._size += len(line)
        return ref

    def read(self, ref: tuple[int, int]) -> dict:
        if self._fd is None:
            raise OSError(f"spill file {self.path} is not open")
        offset, length = ref
        return json.loads(os.pread(self._fd, length, offset))

    def reset(self) -> None:
        """Nothing in the file is needed any more: keep only the header."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, len(self._header))
        self._size = len(self._header)

    def close(self, keep: bool) -> str | None:
        """Closes the file: deleted when empty, else renamed so that a later init of the run adopts it."""
        if self._fd is None:
            return None
        os.close(self._fd)
        self._fd = None
        name = os.path.basename(self.path)
        with _open_lock:
            _open_paths.discard(self.path)
        try:
            if not keep:
                self._unlink(name)
                return None
            kept = os.path.basename(closed_name(self.path))
            if _DIR_FD:
                os.rename(name, kept, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
            else:
                os.rename(self.path, os.path.join(self.folder, kept))
            return os.path.join(self.folder, kept)
        finally:
            os.close(self._dir_fd)
            self._dir_fd = None

    def _unlink(self, name: str) -> None:
        if _DIR_FD:
            os.unlink(name, dir_fd=self._dir_fd)
        else:
            os.unlink(os.path.join(self.folder, name))

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        dir_fd = _private_dir(self.folder)
        name = os.path.basename(self.path)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
        try:
            try:
                fd = _open_in(dir_fd, self.folder, name, flags)
            except FileExistsError:
                with _open_lock:
                    if self.path in _open_paths:
                        raise FileExistsError(f"another run of this process spills run {self._run_id} to {self.path}") from None
                # Left by an earlier process that had our pid (containers restart with the same
                # pids): kept as a closed spill, which the next init delivers, as the TS SDK does.
                os.rename(self.path, closed_name(self.path))
                fd = _open_in(dir_fd, self.folder, name, flags)
        except BaseException:
            os.close(dir_fd)
            raise
        self._dir_fd, self._fd = dir_fd, fd
        with _open_lock:
            _open_paths.add(self.path)
        os.pwrite(fd, self._header, 0)
        self._size = len(self._header)
        log.debug("spilling to %s", self.path)
        return fd


def find_orphan_spills(folder: str, run_id: str) -> list[str]:
    """Spill files of ``run_id`` left by a process that died (or closed with steps undelivered), oldest first."""
    try:
        names = os.listdir(folder)
    except OSError as err:  # missing, or not ours to read: nothing to deliver from it
        if not isinstance(err, FileNotFoundError):
            log.debug("cannot list %s: %s", folder, err)
        return []
    out = []
    me = os.getpid()
    for name in names:
        if not name.startswith(run_id + ".") or not name.endswith(SUFFIX):
            continue
        m = _MIDDLE.fullmatch(name[len(run_id) + 1 : -len(SUFFIX)])
        if m is None:
            continue  # another run whose id starts with this one and a dot
        path = os.path.join(folder, name)
        if m.group(2) is None:
            pid = int(m.group(1))
            with _open_lock:
                ours = path in _open_paths
            if ours or (pid != me and _is_alive(pid)):
                continue
        out.append(path)
    return sorted(out)


def read_spill(path: str) -> tuple[dict | None, list[dict]]:
    """A spill file's header and batches; a torn line (a crash mid-write) is dropped."""
    fd = os.open(path, os.O_RDONLY | _FLAGS)
    with os.fdopen(fd, "rb") as f:
        return parse_spill(f.read(), path)


def parse_spill(data: bytes, path: str = "spill file") -> tuple[dict | None, list[dict]]:
    lines = data.split(b"\n")
    header = None
    batches = []
    for i, line in enumerate(lines):
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            log.debug("%s line %d is torn, dropped", path, i + 1)
            continue
        if i == 0:
            header = value
        elif isinstance(value, dict):
            batches.append(value)
    return header, batches
