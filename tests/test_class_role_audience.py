"""Inviting by role in chat's /newclass: province staff invite a role across communes; commune staff a
role within their own communes only (the communes come from their scope, checked again on the
server when the class is created), and leaders who register later are invited by the same rule."""

from __future__ import annotations

import json

from bot.app import App
from bot.model import Identity
from bot.store import classes, people
from bot.store import staff as stored
from handlers.classes import invite_latecomers
from tests.chat import Chat
from tests.test_classes import onboarded, rows
from tests.test_staff_roles import add_staff

KHE, LINH = "Xã Hương Khê", "Xã Hà Linh"
COMMUNE_STAFF = Identity("tg", "7101")


async def _leaders(app: App) -> dict[str, Chat]:
    """Trưởng thôn and Chi hội trưởng in Hương Khê, Trưởng thôn in Hà Linh and in Phúc Trạch."""
    return {"khe_tt": await onboarded(app, 1, commune="Hương Khê", role="Trưởng thôn"),
            "khe_ch": await onboarded(app, 2, commune="Hương Khê", role="Chi hội trưởng"),
            "linh_tt": await onboarded(app, 3, commune="Hà Linh", role="Trưởng thôn"),
            "trach_tt": await onboarded(app, 4, commune="Phúc Trạch", role="Trưởng thôn")}


async def _up_to_audience(chat: Chat) -> None:
    """/newclass guided up to "Mời ai dự lớp?"."""
    await chat.send("/newclass")
    await chat.send("10/12/2026")
    await chat.send("14:00")
    await chat.send("Lớp trưởng thôn")
    await chat.send("Hội trường xã")
    if chat.app.content.topics:
        await chat.press("Xong")
    assert "Mời ai dự lớp" in chat.text, chat.text


async def _person_id(app: App, chat: Chat) -> int:
    person = await people.by_identity(app.db, chat.identity)
    assert person is not None
    return person.id


async def test_commune_staff_invite_a_role_within_their_communes(app: App) -> None:
    leaders = await _leaders(app)
    chat = await add_staff(app, COMMUNE_STAFF, KHE, LINH)
    await _up_to_audience(chat)
    assert "Theo chức danh, trong xã, phường của tôi" in chat.labels
    await chat.press("Theo chức danh, trong xã, phường của tôi")
    await chat.press("Trưởng thôn")
    assert "chức danh Trưởng thôn ở Xã Hương Khê, Xã Hà Linh" in chat.text, chat.text
    assert "hiện có 2 người" in chat.text  # not Phúc Trạch's, not Hương Khê's Chi hội trưởng
    await chat.press("Tạo lớp")
    assert "Đã tạo lớp" in chat.text
    invited = {r["person_id"] for r in await rows(app, "invitation")}
    assert invited == {await _person_id(app, leaders["khe_tt"]), await _person_id(app, leaders["linh_tt"])}
    stored_audience = json.loads(await app.db.fetchval("SELECT audience FROM classes"))
    assert stored_audience == {"kind": "role", "role": "truong_thon", "communes": [KHE, LINH]}
    await chat.send("/classes")  # their own class is in their overview (it names only their communes)
    assert "Lớp trưởng thôn" in chat.text
    await chat.press_payload("cla:v:1")
    assert "Mời: chức danh Trưởng thôn ở Xã Hương Khê, Xã Hà Linh" in chat.text, chat.text

    # Latecomers follow the same rule: a Trưởng thôn of Hà Linh yes, one of Phúc Trạch no.
    late_linh = await onboarded(app, 5, commune="Hà Linh", role="Trưởng thôn")
    late_trach = await onboarded(app, 6, commune="Phúc Trạch", role="Trưởng thôn")
    await invite_latecomers(app.services)  # the periodic job's SQL rule
    invited_now = {int(r[0]) for r in await app.db.fetchall("SELECT person_id FROM class_invitees")}
    assert await _person_id(app, late_linh) in invited_now and await _person_id(app, late_trach) not in invited_now
    await late_linh.send("/classes")  # and the rule /classes applies in Python
    assert "Lớp trưởng thôn" in late_linh.text
    await late_trach.send("/classes")
    assert "Lớp trưởng thôn" not in late_trach.text


async def test_one_commune_staff_role_class_names_the_commune_in_the_place(app: App) -> None:
    await _leaders(app)
    chat = await add_staff(app, COMMUNE_STAFF, KHE)
    await _up_to_audience(chat)
    await chat.press("Theo chức danh, trong xã, phường của tôi")
    await chat.press("Chi hội trưởng")
    assert "chức danh Chi hội trưởng ở Xã Hương Khê" in chat.text and "hiện có 1 người" in chat.text
    assert "Hội trường xã, Xã Hương Khê" in chat.text


async def test_province_staff_keep_the_role_across_communes(app: App, staff: Chat) -> None:
    await _leaders(app)
    await _up_to_audience(staff)
    assert "Theo chức danh" in staff.labels
    assert "Theo chức danh, trong xã, phường của tôi" not in staff.labels
    await staff.press("Theo chức danh")
    await staff.press("Trưởng thôn")
    await staff.press("Cả tỉnh")  # or some communes: tests/test_class_role_communes.py
    assert "hiện có 3 người" in staff.text
    await staff.press("Tạo lớp")
    assert json.loads(await app.db.fetchval("SELECT audience FROM classes")) == {"kind": "role", "role": "truong_thon"}
    commune_staff = await add_staff(app, COMMUNE_STAFF, KHE)  # a province-wide class is not theirs to see
    assert await classes.get(app.db, 1, frozenset({KHE})) is None
    await commune_staff.send("/classes")
    assert "Lớp trưởng thôn" not in commune_staff.text and "Chưa có lớp" in commune_staff.text, commune_staff.text


async def test_a_role_class_is_refused_when_the_rights_changed_before_confirming(app: App) -> None:
    await _leaders(app)
    chat = await add_staff(app, COMMUNE_STAFF, KHE)
    await _up_to_audience(chat)
    await chat.press("Theo chức danh, trong xã, phường của tôi")
    await chat.press("Trưởng thôn")
    assert "hiện có 1 người" in chat.text
    # The province moves them to Phúc Trạch while the preview waits: the stored audience (Hương Khê)
    # is no longer theirs, so confirming is refused and nobody is invited.
    await stored.set_communes(app.db, str(COMMUNE_STAFF), frozenset({"Xã Phúc Trạch"}), by="tg:9000",
                              at="2026-12-01T01:00:00")
    await chat.press("Tạo lớp")
    assert "Đã tạo lớp" not in chat.text
    assert await app.db.fetchval("SELECT count(*) FROM classes") == 0
    assert await rows(app, "invitation") == []


async def test_a_forged_role_button_outside_the_step_changes_nothing(app: App) -> None:
    await _leaders(app)
    chat = await add_staff(app, COMMUNE_STAFF, KHE)
    await chat.press_payload("cla:r:truong_thon")  # no /newclass in progress
    assert "Tạo lớp" not in " ".join(chat.labels)
    await _up_to_audience(chat)
    await chat.press("Theo chức danh, trong xã, phường của tôi")
    await chat.press_payload("cla:r:khong_co")  # not a role
    assert "Tạo lớp" not in " ".join(chat.labels)
    assert await app.db.fetchval("SELECT count(*) FROM classes") == 0
