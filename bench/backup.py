"""Backup of a 100,000-leader database while a writer keeps committing: time and the writer's stall.

    python bench/backup.py [--leaders 100000 --rounds 3 --rate 60]

Builds a database through the real migrations (leaders with identities, 3 deliveries each,
topics read), then per round:
  1. baseline: a writer commits small transactions (insert a delivery, mark another sent, as the
     outbox does; WAL, synchronous=NORMAL) at RATE commits/s for as long as a backup takes, with
     no backup running;
  2. the same writer while `make_backup` runs in a thread of the writer's process (the daily
     backup inside `caunoi run`; `--sync-pages 0` turns off its periodic fsync to compare);
  3. the same writer while `caunoi backup` runs as a separate process.
Printed: backup time and size, and the writer's longest wait for one commit (BEGIN IMMEDIATE to
COMMIT done) and its p99, with the ratio to the baseline of the same round. Target: the longest
wait during a backup stays ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.backup import make_backup  # noqa: E402
from bot.config import load_config  # noqa: E402

NOW = "2026-12-01T00:00:00.000000Z"


async def build(path: Path, leaders: int) -> None:
    """The schema through the real migrations, then bulk rows."""
    app = await open_app(replace(load_config(env={}, dotenv=path.parent / "none.env"), db_path=path))
    communes = [c.name for c in app.content.units.communes]
    await app.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO people (id, name, role, commune, hamlet, phone, registered_at, created_at)"
        " VALUES (?, ?, 'truong_thon', ?, ?, ?, ?, ?)",
        ((i, f"Nguyễn Văn Thử {i}", communes[i % len(communes)], f"Thôn {i % 40}", f"09{i:08d}", NOW, NOW)
         for i in range(1, leaders + 1)))
    conn.executemany("INSERT INTO identities (channel, address, person_id, display_name, last_seen)"
                     " VALUES ('tg', ?, ?, ?, ?)",
                     ((str(10**9 + i), i, f"Thử {i}", NOW) for i in range(1, leaders + 1)))
    payload = '{"text": "Mời các đồng chí dự hội nghị lúc 8 giờ sáng thứ Hai tại hội trường xã."}'
    conn.executemany(
        "INSERT INTO deliveries (kind, ref, person_id, channel, payload, status, not_before, created_at, sent_at)"
        " VALUES ('broadcast', ?, ?, 'tg', ?, 'sent', ?, ?, ?)",
        ((str(b), i, payload, NOW, NOW, NOW) for b in range(3) for i in range(1, leaders + 1)))
    conn.execute("COMMIT")
    conn.close()


@dataclass
class Writer:
    """Commits one small transaction every 1/rate s on its own connection; records each wait."""

    path: Path
    rate: float
    waits: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA synchronous=NORMAL")
        person = 0
        next_at = time.perf_counter()
        while not self.stop.is_set():
            person += 1
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before, created_at)"
                         " VALUES ('bench', ?, ?, 'tg', '{}', ?, ?)", (str(time.monotonic_ns()), person % 1000 + 1,
                                                                        NOW, NOW))
            conn.execute("UPDATE deliveries SET status = 'sent' WHERE id = (SELECT MAX(id) FROM deliveries)")
            conn.execute("COMMIT")
            self.waits.append(time.perf_counter() - started)
            next_at += 1 / self.rate
            time.sleep(max(0.0, next_at - time.perf_counter()))
        conn.close()

    def __enter__(self) -> Writer:
        self._thread = threading.Thread(target=self.run)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join()

    def summary(self) -> tuple[float, float]:
        """(longest, p99) wait in ms."""
        ordered = sorted(self.waits)
        return ordered[-1] * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


def backup_in_thread(db: Path, folder: Path, sync_pages: int) -> tuple[float, int]:
    result = make_backup(db, folder, datetime.now(UTC), sync_pages=sync_pages)
    size = result.size
    result.path.unlink()
    return result.seconds, size


def backup_in_process(db: Path, folder: Path) -> tuple[float, int]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "backup", str(folder)], check=True, cwd=folder.parent,
                   env={**os.environ, "CAUNOI_DB": str(db), "PYTHONPATH": str(ROOT), "CAUNOI_BACKUP_DIR": "off"},
                   stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    made = next(folder.glob("caunoi-*.sqlite3"))
    size = made.stat().st_size
    made.unlink()
    return elapsed, size


def main() -> None:
    """Build once, then rounds of baseline / thread / process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--sync-pages", type=int, default=2048,
                        help="thread backup: fsync the copy every N pages (0 = only at the end)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix=".bench-backup-") as raw:
        folder = Path(raw)
        db = folder / "big.sqlite3"
        started = time.perf_counter()
        asyncio.run(build(db, args.leaders))
        print(f"built {args.leaders} leaders in {time.perf_counter() - started:.1f} s: "
              f"{db.stat().st_size / 1e6:.1f} MB")
        worst: list[float] = []
        for number in range(1, args.rounds + 1):
            with Writer(db, args.rate) as writer:
                seconds, size = backup_in_thread(db, folder / "bk", args.sync_pages)
            thread_stall = writer.summary()
            with Writer(db, args.rate) as writer:
                process_seconds, _ = backup_in_process(db, folder / "bk")
            process_stall = writer.summary()
            with Writer(db, args.rate) as writer:
                time.sleep(max(seconds, process_seconds))
            base = writer.summary()
            worst.append(max(thread_stall[0], process_stall[0]))
            print(f"round {number}: backup {size / 1e6:.1f} MB in {seconds:.2f} s (thread), "
                  f"{process_seconds:.2f} s (caunoi backup process)")
            print(f"  writer's longest wait: baseline {base[0]:.1f} ms (p99 {base[1]:.1f}); during the thread "
                  f"backup {thread_stall[0]:.1f} ms (p99 {thread_stall[1]:.1f}, {thread_stall[0] / base[0]:.1f}×); "
                  f"during the process backup {process_stall[0]:.1f} ms (p99 {process_stall[1]:.1f}, "
                  f"{process_stall[0] / base[0]:.1f}×)")
        print(f"worst wait during a backup over {args.rounds} rounds: {max(worst):.1f} ms (target ≤ 200 ms); "
              f"median of the rounds' worst {statistics.median(worst):.1f} ms")


if __name__ == "__main__":
    main()
