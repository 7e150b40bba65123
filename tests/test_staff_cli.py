"""`caunoi staff add|list|remove` and the audit sheet of `caunoi export`, through the real process."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.test_export import run_cli


def test_staff_cli_add_list_remove_and_audit_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAUNOI_ADMINS", raising=False)
    added = run_cli(tmp_path, "staff", "add", "tg:5", "--commune", "Hương Khê", "--commune", "ha linh", "--sensitive")
    assert added.returncode == 0, added.stderr
    assert "Xã Hà Linh, Xã Hương Khê, sensitive" in added.stdout
    wrong = run_cli(tmp_path, "staff", "add", "tg:6", "--commune", "Atlantis")
    assert wrong.returncode == 2 and "no commune 'Atlantis'" in wrong.stderr
    bad = run_cli(tmp_path, "staff", "add", "telegram", "--commune", "Hương Khê")
    assert bad.returncode == 2 and "console:<name>" in bad.stderr
    assert run_cli(tmp_path, "staff", "add", "console:an", "--province").returncode == 0
    listed = run_cli(tmp_path, "staff", "list")
    assert "tg:5\tXã Hà Linh, Xã Hương Khê\tsensitive" in listed.stdout and "console:an\tprovince" in listed.stdout
    last = run_cli(tmp_path, "staff", "remove", "console:an")
    assert last.returncode == 1 and "last province admin" in last.stderr
    assert run_cli(tmp_path, "staff", "remove", "tg:5").returncode == 0
    assert "tg:5" not in run_cli(tmp_path, "staff", "list").stdout.split("audit")[0]
    out = tmp_path / "all.xlsx"
    assert run_cli(tmp_path, "export", "-o", str(out)).returncode == 0
    book = load_workbook(out)
    assert "Nhật ký truy cập" in book.sheetnames
    actions = [row[2] for row in book["Nhật ký truy cập"].iter_rows(min_row=2, values_only=True)]
    assert actions == ["staff.add", "staff.add", "staff.remove"]
    helped = run_cli(tmp_path, "--help")
    assert "not limited to any commune" in helped.stdout
