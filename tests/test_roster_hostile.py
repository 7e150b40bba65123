"""Hostile roster files are refused quickly, parsing runs in another process with limits, and the
bot keeps answering others meanwhile (issue 20 item 3). The files are generated here."""

from __future__ import annotations

import asyncio
import io
import zipfile

import pytest

from bot import roster
from bot.app import App
from bot.model import Event
from bot.roster_isolated import parse_isolated
from tests.chat import Chat
from tests.test_roster import HEADER, ROWS, csv_bytes, document, xlsx_bytes


def bomb_xlsx(unpacked_mb: int = 80) -> bytes:
    """A real workbook whose shared-strings part unpacks to `unpacked_mb` MB (a few hundred kB packed)."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Họ và tên", "Số điện thoại", "Xã/Phường"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            if info.filename != "xl/sharedStrings.xml":
                archive.writestr(info, base.read(info))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            chunk = b"<si><t>" + b"A" * 1000 + b"</t></si>"
            for _ in range(unpacked_mb * 1024):
                part.write(chunk)
            part.write(b"</sst>")
    return out.getvalue()


def wide_csv(cells: int = 1_000_000) -> bytes:
    return ("Họ và tên,Số điện thoại,Xã/Phường," + "x," * cells + "\n" + ROWS).encode()


async def test_a_zip_with_a_huge_shared_strings_part_is_refused_before_opening(app: App) -> None:
    data = bomb_xlsx()
    assert len(data) < roster.MAX_BYTES
    with pytest.raises(roster.RosterError) as caught:
        await asyncio.wait_for(roster.dry_run(app.db, app.content, data, "bom.xlsx", 2026), 60)
    assert caught.value.key == "errors.zip_too_big"


async def test_a_csv_with_a_million_header_cells_is_refused(app: App) -> None:
    with pytest.raises(roster.RosterError) as caught:
        await asyncio.wait_for(roster.dry_run(app.db, app.content, wide_csv(), "rong.csv", 2026), 60)
    assert caught.value.key == "errors.too_many_columns"
    narrow_but_many = ("Họ và tên,Số điện thoại,Xã/Phường" + ",x" * 100 + "\n" + ROWS).encode()
    with pytest.raises(roster.RosterError) as caught:
        roster.parse(narrow_but_many, "rong.csv", app.content.units, 2026)
    assert caught.value.key == "errors.too_many_columns"


async def test_a_file_that_overruns_its_time_is_stopped(app: App) -> None:
    with pytest.raises(roster.RosterError) as caught:
        await parse_isolated(csv_bytes(HEADER + ROWS), "ds.csv", app.content.units, 2026, seconds=0.0)
    assert caught.value.key == "errors.too_slow"


async def test_a_file_that_needs_too_much_memory_is_stopped(app: App) -> None:
    big = csv_bytes(HEADER + "".join(f"Người {n},09{n:08d},Hương Khê,Thôn 1,Trưởng thôn,1970\n"
                                     for n in range(19_000)))
    with pytest.raises(roster.RosterError) as caught:
        await parse_isolated(big, "ds.csv", app.content.units, 2026, memory=4 * 1024 * 1024)
    assert caught.value.key == "errors.too_complex"


async def test_the_bot_answers_others_while_a_roster_is_read(app: App, staff: Chat, leader: Chat) -> None:
    rows = "".join(f"Người {n},09{n:08d},Hương Khê,Thôn 1,Trưởng thôn,1970\n" for n in range(15_000))
    upload = asyncio.create_task(app.dispatch(document(staff, csv_bytes(HEADER + rows), "lon.csv")))
    await asyncio.sleep(0.05)  # the upload has started and waits on its child process
    replies = await app.dispatch(Event(leader.identity, "command", "help"))
    assert replies and "Cầu Nối" in replies[0].text
    assert not upload.done()  # the leader was answered while the file was still being read
    staff.replies = await upload
    assert "chạy thử" in staff.text
