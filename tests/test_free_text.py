"""Text typed at the menu is never thrown away: greetings get a friendly answer, anything else is
offered to the staff in charge as a "câu hỏi" through the feedback check-and-send step."""

from __future__ import annotations

import json

from bot.app import App
from bot.model import Identity
from bot.store import voices
from tests.chat import Chat

QUESTION = "Cho tôi hỏi lớp học tuần sau ở đâu vậy?"


async def items(app: App) -> list[tuple[str, str]]:
    rows = await app.db.fetchall("SELECT kind, body FROM voices ORDER BY id")
    return [(str(r["kind"]), str(r["body"])) for r in rows]


async def test_a_question_at_the_menu_is_offered_and_sent_as_feedback(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send(QUESTION)
    assert "Gửi cho cán bộ phụ trách?" in leader.text and QUESTION in leader.text
    assert "chưa hiểu" not in leader.text
    await leader.press("Gửi cho cán bộ")
    assert "kiểm tra lại" in leader.text and "Câu hỏi" in leader.text and QUESTION in leader.text
    assert await items(app) == []  # nothing is sent before the person checks it
    await leader.press("Gửi")
    assert "Đã gửi (mã số #1)" in leader.text
    assert await items(app) == [("cau_hoi", QUESTION)]
    await leader.send("/myfeedback")
    assert "Câu hỏi" in leader.text and QUESTION in leader.text


async def test_going_to_the_menu_instead_sends_nothing(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("Lớp học có phát tài liệu không ạ")
    await leader.press("Về menu")
    assert "Menu chính" in leader.text
    await leader.send("2")  # a number now picks from the menu, not the question
    assert await items(app) == []


async def test_typed_numbers_choose_on_zalo_and_the_console(app: App) -> None:
    person = Chat(app, Identity("console", "an"))
    await person.onboard()
    await person.send(QUESTION)
    await person.send("1")  # "Gửi cho cán bộ phụ trách"
    assert "kiểm tra lại" in person.text
    await person.send("1")  # "Gửi"
    assert await items(app) == [("cau_hoi", QUESTION)]


async def test_greetings_get_a_friendly_answer_with_the_menu(app: App, leader: Chat) -> None:
    await leader.onboard(name="Nguyễn Văn An")
    for typed in ("chào", "Chào bot", "chao ban", "Xin chào!", "alo", "A lô", "cảm ơn", "cam on nhieu", "Cám ơn ạ"):
        await leader.send(typed)
        assert "Menu chính" not in leader.replies[0].text and leader.replies[-1].text.startswith("📋 Menu chính"), typed
        assert "Gửi cho cán bộ" not in leader.text, typed
        assert "Nguyễn Văn An" in leader.replies[0].text, typed
    assert await items(app) == []


async def test_only_spaces_get_a_polite_reply(app: App, leader: Chat) -> None:
    await leader.onboard()
    for typed in ("   ", "\t \n ", "😀😀", "..."):
        await leader.send(typed)
        assert "chưa có chữ" in leader.text and "Menu chính" in leader.text, typed


async def test_a_ten_thousand_character_paste_is_offered_and_kept_whole(app: App, leader: Chat) -> None:
    await leader.onboard()
    paste = ("Báo cáo tình hình thôn: đường liên thôn bị sạt lở sau mưa lớn, bà con đề nghị hỗ trợ. " * 120)[:10_000]
    await leader.send(paste)
    assert "Gửi cho cán bộ phụ trách?" in leader.text and "quá" not in leader.text
    state = json.loads(await app.db.fetchval("SELECT data FROM conversations") or "{}")
    assert state["text"] == paste.strip()  # kept whole while the person decides
    await leader.press("Gửi cho cán bộ")
    assert "quá giới hạn 3.000" in leader.text and "giữ nguyên" in leader.text  # the feedback rules for long text
    sent = ""
    for _ in range(20):  # send the first part, then each kept rest, until nothing is left
        payloads = [o.payload for r in leader.replies for o in r.options]
        step = next((p for p in ("fb:head", "fb:send", "fb:rest") if p in payloads), None)
        if step is None:
            break
        await leader.press_payload(step)
    assert "Đã gửi" in leader.text and "phần sau" not in leader.text
    for kind, body in await items(app):
        assert kind == "cau_hoi"
        sent += body
    assert sent.replace(" ", "") == paste.strip().replace(" ", "")  # every character reached the staff


async def test_a_long_message_arriving_in_pieces_is_joined(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("Phần một của câu hỏi về lớp học.")
    await leader.send("Phần hai: lớp có cho mang theo con nhỏ không?")
    assert "đã nối" in leader.text
    await leader.press("Gửi cho cán bộ")
    await leader.press("Gửi")
    [(kind, body)] = await items(app)
    assert "Phần một" in body and "Phần hai" in body and kind == "cau_hoi"


async def test_staff_see_questions_in_the_inbox(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await leader.send(QUESTION)
    await leader.press("Gửi cho cán bộ")
    await leader.press("Gửi")
    await staff.send("/inbox")
    assert "Câu hỏi" in staff.text
    assert "cau_hoi" in voices.KINDS


async def test_not_understood_text_says_choose_not_press(app: App) -> None:
    text = app.content.texts("core.not_understood")
    assert "bấm" not in text.lower()
