"""How fast the leader directory answers on a big database.

    python bench/leaders.py [--leaders 100000 --rounds 5]

Generates leaders in 7 communes (Vietnamese names from a small pool, so names repeat and some
fall in one hamlet: possible duplicates) into a temporary SQLite file through the real
migrations, then times the store functions /leaders and `caunoi leaders` use: search by folded
name prefix, search by phone, the possible-duplicates list, and a merge of two leaders with 50
rows each (identities, feedback, quiz attempts with answers, deliveries, class invitations).
Each is printed beside a bare-SQL baseline doing the same lookup on the same file in the same
run. Targets: searches < 50 ms, duplicates < 1 s, merge < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App, open_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.store import leaders, merge  # noqa: E402
from bot.store.people import name_key  # noqa: E402

BATCH = 50_000
NOW = "2026-03-01T00:00:00Z"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE = ("Văn", "Thị", "Đình", "Xuân", "Hữu", "Minh", "Quang", "Thanh")
GIVEN = ("An", "Bình", "Cường", "Dung", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Nga", "Phúc",
         "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vinh", "Yến", "Khánh", "Lộc", "Hiền")


async def generate(app: App, count: int, rng: random.Random) -> None:
    """Fill people (with name keys) spread over communes and 30 hamlets each."""
    communes = [c.name for c in app.content.units.communes]
    rows = []
    for i in range(count):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        rows.append((i + 1, name, name_key(name), "truong_thon", communes[i % len(communes)],
                     f"Thôn {rng.randint(1, 30)}", f"09{i:08d}", NOW, NOW))
    async with app.db.write() as conn:
        for start in range(0, len(rows), BATCH):
            await conn.executemany(
                "INSERT INTO people (id, name, name_key, role, commune, hamlet, phone, registered_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[start:start + BATCH])
        await conn.execute("INSERT INTO broadcasts (id, text, audience, not_before, created_at)"
                           " VALUES (1, 't', '{}', ?, ?)", (NOW, NOW))
        await conn.execute("ANALYZE")


async def fill_pair(app: App, keep: int, drop: int, serial: int) -> None:
    """50 rows referring to each of the two leaders: 5 identities, 10 feedback items, 10 finished
    quizzes with 1 answer each, 10 deliveries, 5 classes (both invited: collisions)."""
    async with app.db.write() as conn:
        for pid in (keep, drop):
            for n in range(5):
                await conn.execute("INSERT INTO identities (channel, address, person_id) VALUES ('tg', ?, ?)",
                                   (f"{serial}-{pid}-{n}", pid))
            for _ in range(10):
                await conn.execute("INSERT INTO voices (person_id, kind, body, created_at, updated_at)"
                                   " VALUES (?, 'gop_y', 'x', ?, ?)", (pid, NOW, NOW))
                cursor = await conn.execute(
                    "INSERT INTO quiz_attempts (person_id, quiz, questions, total, started_at, status, score)"
                    " VALUES (?, 'mix', '[]', 5, ?, 'done', 3)", (pid, NOW))
                await conn.execute("INSERT INTO quiz_answers (attempt_id, position, person_id, quiz, question,"
                                   " chosen, correct, answered_at) VALUES (?, 0, ?, 'mix', 'q', 0, 1, ?)",
                                   (cursor.lastrowid, pid, NOW))
                await conn.execute("INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before,"
                                   " created_at) VALUES ('answer', ?, ?, 'tg', '{}', ?, ?)",
                                   (f"{serial}-{pid}-{cursor.lastrowid}", pid, NOW, NOW))
        for n in range(5):
            cursor = await conn.execute(
                "INSERT INTO classes (title, place, starts_at, reminders_from, created_at, updated_at)"
                " VALUES ('Lớp', 'Hội trường', ?, ?, ?, ?)", (NOW, NOW, NOW, NOW))
            for pid in (keep, drop):
                await conn.execute("INSERT INTO class_invitees (class_id, person_id, rsvp, invited_at)"
                                   " VALUES (?, ?, ?, ?)", (cursor.lastrowid, pid, "yes" if n % 2 else None, NOW))


async def bare_merge(app: App, keep: int, drop: int) -> None:
    """The baseline: the same rows moved by hand-written UPDATEs, without reading the schema."""
    async with app.db.write() as conn:
        for table in ("identities", "voices", "quiz_attempts", "quiz_answers", "deliveries"):
            await conn.execute(f"UPDATE {table} SET person_id = ? WHERE person_id = ?", (keep, drop))
        await conn.execute("UPDATE OR IGNORE class_invitees SET person_id = ? WHERE person_id = ?", (keep, drop))
        await conn.execute("DELETE FROM people WHERE id = ?", (drop,))


async def timed(action: Callable[[], Awaitable[object]], rounds: int) -> float:
    """Median seconds of `rounds` runs (after one warm-up run)."""
    await action()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def timed_merges(app: App, merge_fn: Callable[[int, int], Awaitable[object]], pairs: list[tuple[int, int]],
                       serial: int) -> float:
    """Median seconds of merging each prepared pair (each pair is merged once)."""
    times = []
    for keep, drop in pairs:
        await fill_pair(app, keep, drop, serial)
        serial += 1
        start = time.perf_counter()
        await merge_fn(keep, drop)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(env={"CAUNOI_DB": f"{folder}/bench.sqlite3"}, dotenv=Path(folder) / "none.env")
        config = replace(config, db_path=Path(folder) / "bench.sqlite3")
        app = await open_app(config)
        try:
            start = time.perf_counter()
            await generate(app, args.leaders, random.Random(13))
            print(f"generated {args.leaders:,} leaders in {time.perf_counter() - start:.1f} s")
            db = app.db
            prefix, phone = "nguyen van h", f"09{args.leaders // 2:08d}"
            checks: list[tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]], float]] = [
                ("search by folded name prefix",
                 lambda: leaders.search(db, None, name=prefix),
                 lambda: db.fetchall("SELECT * FROM people WHERE name_key >= ? AND name_key < ? LIMIT 20",
                                     (prefix, prefix + "\U0010ffff")), 0.050),
                ("search by name, one commune",
                 lambda: leaders.search(db, frozenset({"Xã Hương Khê"}), name=prefix),
                 lambda: db.fetchall("SELECT * FROM people WHERE name_key >= ? AND name_key < ?"
                                     " AND commune = 'Xã Hương Khê' LIMIT 20", (prefix, prefix + "\U0010ffff")),
                 0.050),
                ("search by phone",
                 lambda: leaders.search(db, None, phone=phone),
                 lambda: db.fetchall("SELECT * FROM people WHERE phone = ?", (phone,)), 0.050),
                ("possible duplicates (first 30)",
                 lambda: leaders.duplicates(db, None),
                 lambda: db.fetchall("SELECT group_concat(id) FROM people GROUP BY commune, hamlet, name_key"
                                     " HAVING count(*) > 1 LIMIT 30"), 1.0),
            ]
            worst_ok = True
            for name, action, bare, target in checks:
                seconds, base = await timed(action, args.rounds), await timed(bare, args.rounds)
                ok = seconds < target
                worst_ok &= ok
                print(f"{name:<32} {seconds * 1000:8.2f} ms   bare SQL {base * 1000:8.2f} ms"
                      f"   ratio {seconds / base:6.2f}   target < {target * 1000:.0f} ms: {'OK' if ok else 'TOO SLOW'}")
            pairs = [(args.leaders - 2 * i, args.leaders - 2 * i - 1) for i in range(args.rounds)]
            bare_pairs = [(args.leaders - 100 - 2 * i, args.leaders - 101 - 2 * i) for i in range(args.rounds)]
            seconds = await timed_merges(app, lambda k, d: merge.merge_people(db, k, d), pairs, 0)
            base = await timed_merges(app, lambda k, d: bare_merge(app, k, d), bare_pairs, 1000)
            ok = seconds < 0.050
            worst_ok &= ok
            print(f"{'merge, 50 rows each':<32} {seconds * 1000:8.2f} ms   bare SQL {base * 1000:8.2f} ms"
                  f"   ratio {seconds / base:6.2f}   target < 50 ms: {'OK' if ok else 'TOO SLOW'}")
            print("all targets met" if worst_ok else "SOME TARGETS MISSED")
        finally:
            await app.close()


if __name__ == "__main__":
    asyncio.run(main())
