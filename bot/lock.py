"""One bot per database: `caunoi run` holds an OS lock (flock on `<db>.lock`) for its whole life.

The kernel releases a flock when the process ends however it ends (crash, kill -9), so a stale
lock file never blocks a restart. Other commands only test the lock: `caunoi restore` refuses
while it is held, `caunoi status` reports it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class LockHeld(Exception):
    """Another process holds the database's run lock; `pid` is what it wrote (0 if unknown)."""

    def __init__(self, path: Path, pid: int) -> None:
        super().__init__(f"{path} is locked by process {pid or '?'}")
        self.path = path
        self.pid = pid


def lock_path(db_path: Path) -> Path:
    """`caunoi.sqlite3` -> `caunoi.sqlite3.lock`, next to the database."""
    return db_path.with_name(db_path.name + ".lock")


def _read_pid(fd: int) -> int:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 32).decode().strip() or 0)
    return 0


class RunLock:
    """The run lock of one database; `acquire()` or LockHeld, `release()` (also on exit)."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock without waiting; raise LockHeld naming the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise LockHeld(self.path, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Let go of the lock (the file stays: removing it would race with a new holder)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(db_path: Path) -> int | None:
    """The pid of the `caunoi run` holding this database's lock (0 if unknown), or None if free."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
