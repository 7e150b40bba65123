"""Reading topics: list, summary, sections with next/back, progress stored, quiz at the end;
stale and forged reading buttons; the same flow typed in the console channel."""

from __future__ import annotations

import asyncio
import io

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.model import Identity
from bot.store import learning, people
from tests.chat import Chat
from tests.test_quiz import pace


async def test_read_a_topic_to_the_end_then_the_quiz(app: App, leader: Chat) -> None:
    await leader.onboard()
    topic = app.content.topics[0]
    total = len(topic.sections)
    await leader.press("Đọc 3 chuyên đề")  # the menu button
    assert f"(0/{total})" in " ".join(leader.labels)
    await leader.press(topic.label)
    assert topic.summary in leader.text and f"Anh/chị đã đọc 0/{total} phần" in leader.text
    await leader.press("Đọc từ đầu")
    assert topic.sections[0].title in leader.text and topic.sections[0].body in leader.text
    assert f"Phần 1/{total}" in leader.text and f"Anh/chị đã đọc 1/{total} phần" in leader.text
    assert leader.labels[:3] == ["Đọc tiếp ▶", "◀ Quay lại", "🏠 Về menu"]
    for number in range(2, total + 1):
        pace(leader)
        await leader.press("Đọc tiếp")
        assert f"Phần {number}/{total}" in leader.text and topic.sections[number - 1].body in leader.text
        assert f"Anh/chị đã đọc {number}/{total} phần" in leader.text
    assert "Đọc tiếp ▶" not in leader.labels
    assert "đã đọc hết chuyên đề" in leader.text and "Nguồn tài liệu" in leader.text
    assert topic.sources.splitlines()[0] in leader.text
    await leader.press("Làm bài kiểm tra chuyên đề này")
    assert "Câu 1/5" in leader.text
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None
    assert await learning.sections_read(app.db, person.id, topic.id) == set(range(1, total + 1))
    assert await app.db.fetchval("SELECT count(*) FROM topic_done WHERE person_id = ?", (person.id,)) == 1
    await leader.send("/topics")
    assert f"✅ {topic.label} ({total}/{total})" in leader.labels


async def test_back_and_continue_where_i_stopped(app: App, leader: Chat) -> None:
    await leader.onboard()
    topic = app.content.topics[1]
    total = len(topic.sections)
    await leader.send("/topics")
    await leader.press(topic.label)
    await leader.press("Đọc từ đầu")
    await leader.press("Đọc tiếp")
    await leader.press("Đọc tiếp")
    assert f"Phần 3/{total}" in leader.text
    await leader.press("Quay lại")
    assert f"Phần 2/{total}" in leader.text and f"Anh/chị đã đọc 3/{total} phần" in leader.text
    await leader.press("Quay lại")
    await leader.press("Quay lại")  # from section 1 back to the summary
    assert topic.summary in leader.text
    await leader.press("Đọc tiếp từ phần 4")
    assert f"Phần 4/{total}" in leader.text
    await leader.send("/menu")
    await leader.press_payload(f"tp:{topic.id}:2")  # an older message's button still works
    assert f"Phần 2/{total}" in leader.text


async def test_last_section_reached_with_gaps_says_what_is_missing(app: App, leader: Chat) -> None:
    await leader.onboard()
    topic = app.content.topics[2]
    total = len(topic.sections)
    await leader.send("/topics")
    await leader.press_payload(f"tp:{topic.id}:{total}")
    assert f"đã đọc 1/{total}" in leader.text and "Quay lại" in leader.text
    assert await app.db.fetchval("SELECT count(*) FROM topic_done") == 0


async def test_stale_and_forged_reading_buttons(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.press_payload("tp:nope")
    assert "không còn trong danh sách" in leader.text and len(leader.labels) == 4
    await leader.press_payload("tp:dang:99")
    assert "Phần này không còn" in leader.text and "Đọc từ đầu" in " ".join(leader.labels)
    await leader.press_payload("tp:dang:-1")
    assert "Phần này không còn" in leader.text
    await leader.press_payload("tp:dang:1:2:3")
    assert "không còn trong danh sách" in leader.text
    assert await app.db.fetchval("SELECT count(*) FROM topic_reads") == 0


async def test_unregistered_people_are_sent_to_onboarding(app: App) -> None:
    stranger = Chat(app, Identity("tg", "555"))
    await stranger.send("/topics")
    assert "Tôi đồng ý" in " ".join(stranger.labels)


async def test_console_reads_a_topic_and_answers_by_number(app: App) -> None:
    topic = app.content.topics[0]
    total = len(topic.sections)
    chat = Chat(app, Identity("console", "an"))
    await chat.onboard()
    lines = ["/topics", "1", "1"] + ["1"] * (total - 1) + ["1"] + ["1"] * 5 + ["/quit"]
    stdin, stdout = io.StringIO("\n".join(lines) + "\n"), io.StringIO()
    console = ConsoleChannel(app.dispatch, user="an", hint=app.content.texts("core.numbered_hint"),
                             stdin=stdin, stdout=stdout)
    await asyncio.wait_for(console.chat(first="/menu"), timeout=30)
    out = stdout.getvalue()
    assert f"\n{topic.label} (0/{total})" in out  # the label starts with its number: not doubled
    assert f"Phần {total}/{total}" in out and "1. 📝 Làm bài kiểm tra chuyên đề này" in out
    assert "Câu 5/5" in out and "Kết quả:" in out and "/5 câu đúng" in out
    assert "Gõ số 1, 2, 3" in out
