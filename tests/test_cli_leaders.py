"""`caunoi leaders …` and `caunoi import-roster` as the server's operator runs them (real process)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_cli import run

ROSTER = ("Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh\n"
          "Nguyễn Văn An,0912345678,Hương Khê,Thôn 1,Trưởng thôn\n"
          "Nguyen Van An,0912345679,Hương Khê,Thôn 1,Trưởng thôn\n"
          "Trần Thị Bình,0913222333,Phúc Trạch,Thôn Trung,Chi hội trưởng Phụ nữ\n")


def test_leaders_help_says_it_is_unscoped(tmp_path: Path) -> None:
    result = run(tmp_path, "leaders", "--help")
    assert result.returncode == 0 and "no staff scope" in result.stdout


def test_import_then_search_show_edit_merge_remove(tmp_path: Path) -> None:
    (tmp_path / "ds.csv").write_text(ROSTER, encoding="utf-8")
    dry = run(tmp_path, "import-roster", "ds.csv")
    assert "Sẽ thêm (3)" in dry.stdout, dry.stdout
    applied = run(tmp_path, "import-roster", "ds.csv", "--apply")
    assert "Đã thêm (3)" in applied.stdout and "Đã thêm: 3 người" in applied.stdout and "Sẽ thêm" not in applied.stdout

    found = run(tmp_path, "leaders", "search", "nguyen van")
    assert found.returncode == 0 and found.stdout.count("Thôn 1") == 2
    by_phone = run(tmp_path, "leaders", "search", "--phone", "+84 913 222 333")
    assert by_phone.stdout.startswith("3\tTrần Thị Bình")
    dups = run(tmp_path, "leaders", "search", "--duplicates")
    assert "[name] 1\tNguyễn Văn An" in dups.stdout and "| 2\tNguyen Van An" in dups.stdout

    assert run(tmp_path, "leaders", "edit", "3", "--hamlet", "Thôn Trung Thủy").returncode == 0
    assert "Thôn Trung Thủy" in run(tmp_path, "leaders", "show", "3").stdout
    taken = run(tmp_path, "leaders", "edit", "3", "--phone", "0912345678")
    assert taken.returncode == 1 and "merge them instead" in taken.stderr

    preview = run(tmp_path, "leaders", "merge", "1", "2")
    assert preview.returncode == 0 and "dry run" in preview.stderr
    assert run(tmp_path, "leaders", "show", "2").returncode == 0
    assert run(tmp_path, "leaders", "merge", "1", "1", "--yes").returncode == 1
    merged = run(tmp_path, "leaders", "merge", "1", "2", "--yes")
    assert merged.returncode == 0 and "\nmerged 1\tNguyễn Văn An" in merged.stdout
    assert run(tmp_path, "leaders", "show", "2").returncode == 1

    assert run(tmp_path, "leaders", "remove", "3").returncode == 0  # without --yes: nothing happens
    assert run(tmp_path, "leaders", "show", "3").returncode == 0
    assert run(tmp_path, "leaders", "remove", "3", "--yes").returncode == 0
    assert run(tmp_path, "leaders", "show", "3").returncode == 1
    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["leader.edit", "leader.merge", "leader.remove"]
