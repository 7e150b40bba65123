"""Deleted means deleted: after /delete_me the person's name and phone are in no file of the
database folder (.sqlite3, -wal, -shm) once the checkpoint ran; file modes are 0600."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from tests.chat import Chat

NAME = "Hoàng Thị Xoá Được"
PHONE = "0912345678"


def _found_in(folder: Path, needle: bytes) -> list[str]:
    return [p.name for p in folder.iterdir() if p.is_file() and needle in p.read_bytes()]


async def test_delete_me_leaves_no_trace_in_any_database_file(app: App, leader: Chat) -> None:
    await leader.onboard(name=NAME)
    folder = app.db.path.parent
    await app.db.execute("UPDATE people SET phone = ? WHERE name = ?", (PHONE, NAME))  # the row has two versions
    assert _found_in(folder, NAME.encode()), "the name should be on disk before the deletion"
    assert any(p.endswith("-wal") for p in _found_in(folder, NAME.encode()))
    await leader.send("/delete_me")
    await leader.press("Xóa hết")
    assert "Đã xóa" in leader.text
    assert _found_in(folder, NAME.encode()) == []
    assert _found_in(folder, PHONE.encode()) == []
    assert sorted(p.name for p in folder.iterdir()) == ["bot.sqlite3", "bot.sqlite3-shm", "bot.sqlite3-wal"]


async def test_database_files_are_for_their_owner_only(app: App, leader: Chat) -> None:
    await leader.onboard()
    for path in app.db.path.parent.glob("bot.sqlite3*"):
        assert path.stat().st_mode & 0o077 == 0, (path.name, oct(path.stat().st_mode))


async def test_a_merged_away_record_leaves_no_trace(app: App) -> None:
    from bot.store import merge, people
    from tests.test_outbox_fakes import add_leader

    keep = await add_leader(app, 501)
    drop = await add_leader(app, 502)
    await people.update_profile(app.db, drop, name="Đinh Văn Gộp Mất")
    folder = app.db.path.parent
    assert _found_in(folder, "Đinh Văn Gộp Mất".encode())
    result = await merge.merge_people(app.db, keep, drop)
    assert result.status == "merged"
    assert _found_in(folder, "Đinh Văn Gộp Mất".encode()) == []
