"""Commune scope, table-driven: commune-A staff acting on commune-B data through every staff command
and every choice payload a staff handler accepts is refused and sees nothing of B; aspirations reach
only staff given `sensitive`, in every place they appear (chat screens and each export format)."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from bot import export
from bot.app import App
from bot.clock import iso
from bot.model import Identity, Option, Reply
from bot.store import audit, people, voices
from bot.store import staff as stored
from tests.chat import Chat

KHE, LINH = "Xã Hương Khê", "Xã Hà Linh"
A_NAME, A_PHONE = "Nguyễn Văn An", "0912000001"
B_NAME, B_PHONE = "Trần Thị Bình", "0912000002"
B_MARKS = (B_NAME, B_PHONE, "Hà Linh")
VIEW = "a.a.a.0"


@dataclass
class World:
    """Two communes' data made by the province admin and two leaders, and a commune-A staff member."""

    app: App
    admin: Chat
    a_staff: Chat
    voice_a: int
    voice_b: int
    class_a: int
    class_b: int
    broadcast_b: int
    person_b: int


async def _leader(app: App, address: str, name: str, commune: str, phone: str) -> int:
    chat = Chat(app, Identity("tg", address))
    await chat.onboard(name=name, commune=commune)
    person = await people.by_identity(app.db, chat.identity)
    assert person is not None
    await people.update_profile(app.db, person.id, phone=phone)
    now = iso(app.clock.now())
    await voices.create(app.db, person.id, "kho_khan", f"Khó khăn của {name}", [("photo", "f1")], "tg", now)
    await voices.save_aspiration(app.db, person.id, "yes", ("class",), now, now)
    return person.id


async def _class(admin: Chat, commune: str) -> int:
    await admin.send(f"/newclass 2026-12-20 08:00 | Lớp bồi dưỡng | Hội trường | {commune}")
    await admin.press("Gửi lời mời")
    return int(await admin.app.db.fetchval("SELECT max(id) FROM classes"))


async def build(app: App, admin: Chat, *, sensitive: bool) -> World:
    """The province admin's world, and a staff member of Hương Khê only."""
    await _leader(app, "101", A_NAME, "Hương Khê", A_PHONE)
    person_b = await _leader(app, "102", B_NAME, "Hà Linh", B_PHONE)
    voice_a, voice_b = [int(r[0]) for r in await app.db.fetchall("SELECT id FROM voices ORDER BY id")]
    class_a, class_b = await _class(admin, "Hương Khê"), await _class(admin, "Hà Linh")
    await admin.send("/broadcast Họp tổ dân phố tối nay")
    await admin.press("Theo xã")
    await admin.press("Hà Linh")
    await admin.press("Gửi ngay")
    broadcast_b = int(await app.db.fetchval("SELECT max(id) FROM broadcasts"))
    await stored.add(app.db, "tg:7001", communes=frozenset({KHE}), sensitive=sensitive, province=False,
                     by="tg:9000", at="2026-12-01T00:00:00")
    a_staff = Chat(app, Identity("tg", "7001"), name="Cán bộ xã A")
    await a_staff.send("/admin")
    return World(app, admin, a_staff, voice_a, voice_b, class_a, class_b, broadcast_b, person_b)


def text_of(replies: list[Reply]) -> str:
    """Everything a reply shows: text and button labels."""
    return "\n".join([r.text for r in replies] + [o.label for r in replies for o in r.options])


def sees_nothing_of_b(replies: list[Reply]) -> None:
    shown = text_of(replies)
    for mark in B_MARKS:
        assert mark not in shown, f"{mark!r} shown:\n{shown}"


async def force_shown(chat: Chat, payload: str) -> None:
    """Make the router believe this button was shown (a stale button from before a change of rights,
    or a forged one the client sends): the handler's own check must refuse it."""
    async with chat.app.db.write() as conn:
        await people.save_options(conn, chat.identity, [Option("x", payload)])


@pytest.fixture
async def world(app: App, staff: Chat) -> World:
    return await build(app, staff, sensitive=True)


COMMANDS = ["/broadcast", "/broadcast status", "/newclass", "/classes", "/results", "/followup", "/inbox",
            "/admission", "/stats", "/export", "/staff", "/import"]


@pytest.mark.parametrize("command", COMMANDS)
async def test_every_staff_command_shows_nothing_of_another_commune(world: World, command: str) -> None:
    replies = await world.a_staff.send(command)
    assert replies
    sees_nothing_of_b(replies)
    for reply in replies:
        if reply.attachment is not None and reply.attachment.filename.endswith(".xlsx"):
            cells = [str(v) for ws in load_workbook(io.BytesIO(reply.attachment.data)).worksheets
                     for row in ws.iter_rows(values_only=True) for v in row if v is not None]
            assert A_NAME in cells and not any(m in c for c in cells for m in B_MARKS)


# Every choice payload a staff handler accepts that names an item: {b} ids are commune B's.
PAYLOADS = [
    "bc:x:{broadcast_b}", "bcr:{broadcast_b}", "bcu:{broadcast_b}",
    "ib:o:{voice_b}:" + VIEW, "ib:a:{voice_b}:" + VIEW, "ib:n:{voice_b}:" + VIEW, "ib:s:{voice_b}:3:" + VIEW,
    "ib:f:{voice_b}:0:" + VIEW, "ib:as:{voice_b}:" + VIEW,
    "cla:v:{class_b}", "cla:e:{class_b}:time", "cla:x:{class_b}",
    "att:g:{class_b}", "att:c:{class_b}:0:0", "att:t:{class_b}:{person_b}:0:0", "att:open:{class_b}",
    "att:close:{class_b}", "att:list:{class_b}",
]


@pytest.mark.parametrize("template", PAYLOADS)
async def test_a_payload_naming_another_communes_item_is_refused_as_for_a_leader(world: World,
                                                                                template: str) -> None:
    payload = template.format(**vars(world))
    leader = Chat(world.app, Identity("tg", "101"))
    await force_shown(leader, payload)
    refusal = await leader.press_payload(payload)
    await force_shown(world.a_staff, payload)
    before = await world.app.db.fetchval("SELECT total_changes()")
    replies = await world.a_staff.press_payload(payload)
    assert text_of(replies) == text_of(refusal), text_of(replies)
    sees_nothing_of_b(replies)
    assert await world.app.db.fetchval("SELECT count(*) FROM class_invitees WHERE attended_at IS NOT NULL") == 0
    assert before is not None


async def test_commune_staff_can_still_act_on_their_own_communes_items(world: World) -> None:
    chat = world.a_staff
    await chat.send("/inbox")
    assert A_NAME in chat.text and A_PHONE in chat.text  # issue 22 item 6: the phone to call
    await chat.press(f"#{world.voice_a}")
    assert "Khó khăn của Nguyễn Văn An" in chat.text and A_PHONE in chat.text
    await chat.send("/classes")
    assert "Hương Khê" in chat.text and "Mời 1" in chat.text
    await chat.press_payload(f"cla:v:{world.class_a}")
    assert A_NAME in chat.text


async def test_commune_staff_broadcast_to_all_reaches_only_their_commune(world: World) -> None:
    chat = world.a_staff
    await chat.send("/broadcast Lịch họp")
    assert "Theo xã" in " ".join(chat.labels)
    await chat.press("Tất cả")
    assert "1 người" in chat.text and "Hương Khê" in chat.text
    await chat.press("Gửi ngay")
    rows = await world.app.db.fetchall(
        "SELECT p.commune FROM deliveries d JOIN people p ON p.id = d.person_id WHERE d.kind = 'broadcast'"
        " AND d.ref = (SELECT CAST(max(id) AS TEXT) FROM broadcasts)")
    assert [r[0] for r in rows] == [KHE]
    entry = (await audit.recent(world.app.db, 1))[0]
    assert (entry.actor, entry.action, entry.scope) == ("tg:7001", "broadcast", KHE)
    await chat.send("/broadcast status")
    assert f"#{world.broadcast_b}" not in chat.text


async def test_a_leader_who_moves_commune_leaves_the_old_staff_at_once(world: World) -> None:
    chat = world.a_staff
    person_a = await people.by_identity(world.app.db, Identity("tg", "101"))
    assert person_a is not None
    await chat.send("/inbox")
    assert A_NAME in chat.text
    await chat.press(f"#{world.voice_a}")  # the item is open, its buttons shown
    await people.update_profile(world.app.db, person_a.id, commune=LINH)
    await chat.press("Trả lời")
    assert "chỉ dành cho cán bộ" in chat.text
    assert A_NAME not in text_of(chat.replies)
    await chat.send("/inbox")
    assert A_NAME not in text_of(chat.replies)
    await chat.send("/followup")
    assert A_NAME not in text_of(chat.replies)
    await chat.send("/admission")
    assert A_NAME not in text_of(chat.replies)
    await chat.press_payload(f"cla:v:{world.class_a}")
    assert A_NAME not in text_of(chat.replies)


async def test_renamed_commune_staff_see_nothing_until_reassigned(world: World) -> None:
    await stored.set_communes(world.app.db, "tg:7001", frozenset({"Xã Hương Khê Cũ"}), by="cli", at="t")
    await world.a_staff.send("/inbox")
    assert A_NAME not in world.a_staff.text


# --- sensitive: every place aspirations appear --------------------------------------------------

def _cells(data: bytes) -> tuple[list[str], list[str]]:
    book = load_workbook(io.BytesIO(data))
    headers = [str(c.value) for ws in book.worksheets for c in ws[1]]
    return book.sheetnames, headers


@pytest.mark.parametrize("sensitive", [True, False])
async def test_aspirations_only_with_sensitive_everywhere(app: App, staff: Chat, sensitive: bool) -> None:
    world = await build(app, staff, sensitive=sensitive)
    chat, t = world.a_staff, app.content.texts
    sheet = t("export.sheets.aspirations")
    wish_header = t("export.columns.wish")

    await chat.send("/admission")
    assert (A_NAME in chat.text or "Hương Khê" in chat.text) is sensitive
    assert ("chỉ dành cho cán bộ được" in chat.text) is not sensitive
    await force_shown(chat, "fu:c:0:0")
    await chat.press_payload("fu:c:0:0")
    assert (A_NAME in chat.text) is sensitive
    sees_nothing_of_b(chat.replies)

    await chat.send("/stats")
    assert ("Nguyện vọng được xem xét" in chat.text) is sensitive
    assert ("có 1" in chat.text) is sensitive  # only A's answer is counted

    await chat.send("/export")
    names, headers = _cells(chat.replies[0].attachment.data)  # type: ignore[union-attr]
    assert (sheet in names) is sensitive and (wish_header in headers) is sensitive

    query = export.make_query(app.content, app.config.tz, None, None, None, scope=frozenset({KHE}),
                              sensitive=sensitive)
    _, zipped, _ = await export.export_bytes(app.db, app.content, app.config, query, app.clock.now(), "csv")
    files = zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    assert (f"{sheet}.csv" in files) is sensitive
    body = "".join(zipfile.ZipFile(io.BytesIO(zipped)).read(n).decode("utf-8-sig") for n in files)
    assert (wish_header in body) is sensitive and B_NAME not in body and A_NAME in body
    _, single, _ = await export.export_bytes(app.db, app.content, app.config, query, app.clock.now(),
                                             "csv-leaders")
    text = single.decode("utf-8-sig")
    assert wish_header not in text and B_NAME not in text and A_NAME in text

    actions = [e.action for e in await audit.all_entries(app.db) if e.actor == "tg:7001"]
    assert actions.count("export") == 1 and actions.count("admission.view") == (2 if sensitive else 0)


@pytest.mark.parametrize("sensitive", [True, False])
async def test_digest_counts_aspirations_only_with_sensitive(app: App, staff: Chat, sensitive: bool) -> None:
    from handlers.inbox import digest_job

    world = await build(app, staff, sensitive=sensitive)
    person = await people.by_identity(app.db, world.a_staff.identity)
    assert person is not None
    await voices.set_digest(app.db, person.id, True, "2000-01-01T00:00:00.000000Z")
    app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    await digest_job(app.services)
    rows = await app.db.fetchall("SELECT payload FROM deliveries WHERE kind = 'digest'")
    assert len(rows) == 1
    body = rows[0][0]
    body = json.loads(body)["text"]
    assert A_NAME in body and B_NAME not in body
    assert ("1 người vừa trả lời" in body) is sensitive  # A's answer only, and only with sensitive


async def test_deleting_a_leader_keeps_the_audit_entries(world: World) -> None:
    await world.a_staff.send("/admission")
    leader = Chat(world.app, Identity("tg", "101"))
    await leader.send("/delete_me")
    await leader.press("Xóa hết")
    entries = await audit.all_entries(world.app.db)
    assert any(e.actor == "tg:7001" and e.action == "admission.view" for e in entries)
    assert not any(A_NAME in e.subject or A_PHONE in e.subject for e in entries)
