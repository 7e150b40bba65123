"""Export benchmark: 100,000 leaders and 500,000 quiz answers, time and peak memory of the .xlsx export.

Run: .venv/bin/python bench/export.py [--leaders N] [--answers N] [--openpyxl]

The database is generated into a temporary folder with every migration applied. Each
measurement runs in a fresh subprocess so its peak memory (ru_maxrss) is its own:
- baseline: the raw SELECTs of every sheet, rows fetched and dropped (no formatting, no file);
- export:   bot.export.write_export to an .xlsx file (what /export and `caunoi export` run);
- openpyxl (with --openpyxl): the same rows through openpyxl's write-only mode, for comparison.
Targets: export under 15 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store.db import Database  # noqa: E402

COMMUNES = ["Xã Hương Khê", "Xã Hà Linh", "Xã Hương Bình", "Xã Hương Phố", "Xã Hương Xuân", "Xã Phúc Trạch",
            "Xã Hương Đô"]
ROLES = ["truong_thon", "to_truong", "chi_doan", "chi_hoi", "khac"]
NOW = "2026-12-01T01:00:00.000000Z"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from zoneinfo import ZoneInfo
from bot.content import load_content
from bot.store import reports
from bot import export
mode, db, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
content = load_content()
tz = ZoneInfo("Asia/Ho_Chi_Minh")
query = export.ExportQuery(reports.Filters())
start = time.perf_counter()
rows = 0
if mode == "baseline":
    conn = reports.connect_readonly(db)
    have = reports.table_names(conn)
    for sheet in reports.SHEETS:
        if set(sheet.tables) <= have:
            _, it = reports.sheet_rows(conn, sheet, query.filters)
            rows += sum(1 for _ in it)
elif mode == "export":
    with out.open("wb") as handle:
        rows = sum(n for _, n in export.write_export(db, content, tz, query, handle, "xlsx"))
else:
    from openpyxl import Workbook
    conn = reports.connect_readonly(db)
    have = reports.table_names(conn)
    fmt = export.Formatter(content, tz)
    wb = Workbook(write_only=True)
    for sheet in reports.SHEETS:
        if set(sheet.tables) <= have:
            columns, it = reports.sheet_rows(conn, sheet, query.filters)
            ws = wb.create_sheet(sheet.key)
            ws.append([fmt.header(c) for c in columns])
            conv = [fmt.converter(c) or (lambda v: v) for c in columns]
            for row in it:
                ws.append([f(v) for f, v in zip(conv, row)])
                rows += 1
    wb.save(out)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb, "rows": rows,
                  "bytes": out.stat().st_size if out.exists() else 0}}))
"""


def generate(path: Path, leaders: int, answers: int) -> str:
    """Fill a migrated database; returns the table the answers went into."""
    asyncio.run(_migrate(path))
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    with conn:
        conn.executemany(
            "INSERT INTO people (id, name, role, commune, hamlet, phone, birth_year, consent_at, registered_at,"
            " last_channel, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'tg', 'chat', ?)",
            ((i, f"Nguyễn Văn {i}", rng.choice(ROLES), rng.choice(COMMUNES), f"Thôn {i % 40 + 1}",
              f"09{i:08d}", 1960 + i % 40, NOW, NOW, NOW) for i in range(1, leaders + 1)))
        conn.executemany("INSERT INTO identities (channel, address, person_id, last_seen) VALUES ('tg', ?, ?, ?)",
                         ((str(100000 + i), i, NOW) for i in range(1, leaders + 1)))
        if {"quiz_attempts", "quiz_answers"} <= have:
            per = 5
            attempts = -(-answers // per)
            conn.executemany(
                "INSERT INTO quiz_attempts (id, person_id, quiz, questions, position, score, total, status,"
                " started_at, finished_at) VALUES (?, ?, 'mix', '[]', 5, ?, 5, 'done', ?, ?)",
                ((a, a % leaders + 1, rng.randint(0, 5), NOW, NOW) for a in range(1, attempts + 1)))
            conn.executemany(
                "INSERT INTO quiz_answers (attempt_id, position, person_id, quiz, question, chosen, correct,"
                " answered_at) VALUES (?, ?, ?, 'mix', ?, ?, ?, ?)",
                ((n // per + 1, n % per, (n // per) % leaders + 1, f"q{n % 30 + 1}", n % 3, int(n % 3 == 0), NOW)
                 for n in range(answers)))
            table = "quiz_answers"
        else:
            conn.executemany(
                "INSERT INTO deliveries (kind, ref, person_id, channel, payload, status, not_before, created_at)"
                " VALUES ('broadcast', ?, ?, 'tg', '{}', 'sent', ?, ?)",
                ((str(n // leaders), n % leaders + 1, NOW, NOW) for n in range(answers)))
            table = "deliveries"
    conn.close()
    return table


async def _migrate(path: Path) -> None:
    db = await Database(path).open()
    await db.close()


def measure(mode: str, db: Path, out: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), mode, str(db), str(out)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Generate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=500_000)
    parser.add_argument("--openpyxl", action="store_true", help="also time openpyxl write-only (slow)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        table = generate(db, args.leaders, args.answers)
        print(f"generated {args.leaders:,} leaders and {args.answers:,} answers into {table} "
              f"in {time.perf_counter() - started:.1f} s")
        modes = ["baseline", "export", *(["openpyxl"] if args.openpyxl else [])]
        results = {mode: measure(mode, db, Path(folder) / f"{mode}.xlsx") for mode in modes}
    base = results["baseline"]
    for mode, r in results.items():
        print(f"{mode:9} {r['rows']:>9,.0f} rows  {r['seconds']:6.2f} s ({r['seconds'] / base['seconds']:5.1f}x "
              f"baseline)  peak {r['peak_mb']:6.1f} MB ({r['peak_mb'] / base['peak_mb']:4.1f}x)"
              + (f"  file {r['bytes'] / 1e6:.1f} MB" if r["bytes"] else ""))
    export = results["export"]
    verdict = "OK" if export["seconds"] < 15 and export["peak_mb"] < 300 else "OVER TARGET"
    print(f"targets: < 15 s and < 300 MB -> {verdict}")


if __name__ == "__main__":
    main()
