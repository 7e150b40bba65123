"""Province staff in chat's /newclass choose a role, then the communes where it is invited (the commune
toggle step) or the whole province, as the web's /classes/new lets them; the class invites that role in
those communes only, and a stale or forged button cannot widen it."""

from __future__ import annotations

import json

from bot.app import App
from tests.chat import Chat
from tests.test_class_role_audience import KHE, LINH, _leaders, _person_id, _up_to_audience
from tests.test_classes import rows


async def test_province_staff_invite_a_role_in_chosen_communes(app: App, staff: Chat) -> None:
    leaders = await _leaders(app)
    await _up_to_audience(staff)
    await staff.press("Theo chức danh")
    await staff.press("Trưởng thôn")
    assert "Mời chức danh Trưởng thôn ở xã, phường nào" in staff.text, staff.text
    assert "Cả tỉnh (mọi xã, phường)" in staff.labels and "Xong" in " ".join(staff.labels)
    await staff.press("Xong")  # nothing ticked: asked again, nothing made
    assert "chưa chọn xã, phường nào" in staff.text and "Cả tỉnh (mọi xã, phường)" in staff.labels
    await staff.press("Hương Khê")
    await staff.press("Hà Linh")
    await staff.press("Xong")
    assert "chức danh Trưởng thôn ở Xã Hương Khê, Xã Hà Linh" in staff.text, staff.text
    assert "hiện có 2 người" in staff.text  # not Phúc Trạch's, not Hương Khê's Chi hội trưởng
    await staff.press("Tạo lớp")
    assert "Đã tạo lớp" in staff.text
    stored_audience = json.loads(await app.db.fetchval("SELECT audience FROM classes"))
    assert stored_audience == {"kind": "role", "role": "truong_thon", "communes": [KHE, LINH]}
    invited = {r["person_id"] for r in await rows(app, "invitation")}
    assert invited == {await _person_id(app, leaders["khe_tt"]), await _person_id(app, leaders["linh_tt"])}


async def test_one_commune_names_it_in_the_place(app: App, staff: Chat) -> None:
    await _leaders(app)
    await _up_to_audience(staff)
    await staff.press("Theo chức danh")
    await staff.press("Chi hội trưởng")
    await staff.press("Hương Khê")
    await staff.press("Xong")
    assert "chức danh Chi hội trưởng ở Xã Hương Khê" in staff.text and "hiện có 1 người" in staff.text
    assert "Hội trường xã, Xã Hương Khê" in staff.text


async def test_inviting_by_commune_is_unchanged(app: App, staff: Chat) -> None:
    await _leaders(app)
    await _up_to_audience(staff)
    await staff.press("Chọn một hoặc vài xã")
    assert "Cả tỉnh (mọi xã, phường)" not in staff.labels  # no role picked: the plain commune step
    await staff.press("Hà Linh")
    await staff.press("Xong")
    assert "Mời: Xã Hà Linh" in staff.text and "chức danh" not in staff.text and "hiện có 1 người" in staff.text


async def test_an_old_audience_button_during_the_role_communes_step_is_stale(app: App, staff: Chat) -> None:
    await _leaders(app)
    await _up_to_audience(staff)
    audience_message = list(staff.replies)
    await staff.press("Theo chức danh")
    await staff.press("Trưởng thôn")
    staff.replies = audience_message  # "Chọn một hoặc vài xã" of the earlier message, pressed now
    await staff.press("Chọn một hoặc vài xã")
    assert app.content.texts("core.stale") in staff.text and "Tạo lớp" not in " ".join(staff.labels)
    assert await app.db.fetchval("SELECT count(*) FROM classes") == 0
