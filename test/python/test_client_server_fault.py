"""A server whose disk is full cannot store a batch and says so (ack ``retry: true``): the
Python SDK keeps such batches and sends them again once the server can write, so nothing is
dropped and every step is stored once. A real server on a real 8 MiB tmpfs (mounting needs
root; elsewhere the test is skipped and says why)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

import gradpilot
from client_fixtures import runs, spill_dir  # noqa: F401  (pytest fixtures)
from client_support import ServerProcess, stored_steps, wait_for


def mount_small_filesystem(size: int) -> str:
    folder = tempfile.mkdtemp(prefix="gradpilot-py-smallfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "gradpilot-pytest", folder],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(folder)
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {(r.stderr or r.stdout).strip()}")
    return folder


def fill(path: str) -> None:
    """Writes until the file system is full (ENOSPC), to the last small chunk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512):
            chunk = b"Z" * size
            try:
                while True:
                    os.write(fd, chunk)
            except OSError:
                pass
    finally:
        os.close(fd)


def test_should_keep_and_resend_the_batches_a_full_disk_refused(spill_dir, runs):
    folder = mount_small_filesystem(8 * 1024 * 1024)
    server = ServerProcess()
    server.db = os.path.join(folder, "gradpilot.db")
    try:
        server.start()
        run = gradpilot.init(url=server.url, name="disk-full", spill_dir=spill_dir, flush_interval=0.05, batch_size=50, quiet=True)
        runs.append(run)
        faults = []
        run.on("error", lambda e: faults.append(e) if e.code == "SERVER_FAULT" else None)
        for step in range(200):
            run.observe(step, 1.0 + step % 5)
        assert run.flush(timeout=30)

        filler = os.path.join(folder, "filler")
        fill(filler)
        for step in range(200, 1200):
            run.observe(step, 1.0 + step % 7)
        wait_for(lambda: len(faults) > 0, 30, "a SERVER_FAULT report")
        assert "full" in str(faults[0])
        assert run.status()["dropped"] == 0

        os.unlink(filler)
        assert run.flush(timeout=60)
        report = run.close(timeout=10)
        assert (report["delivered"], report["undelivered"], report["dropped"]) == (1200, 0, 0)
        assert stored_steps(server.url, run.id)["step"] == list(range(1200))
    finally:
        server.kill9()
        subprocess.run(["umount", "-l", folder], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        server.dispose()
