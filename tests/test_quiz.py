"""Quizzes: the engine (draw, shuffle), answering through the router, scores, double and stale
presses, resuming after a restart, typing numbers instead of pressing."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Config
from bot.content.learning import QUIZ_LENGTH, Question
from bot.model import Identity
from bot.store import learning, people
from handlers.quiz import MIX, draw, questions_by_id
from tests.chat import Chat


def pace(chat: Chat, seconds: float = 3) -> None:
    """Let a little time pass, as for a person reading (keeps long flows under the flood limit)."""
    clock = chat.app.clock
    if isinstance(clock, FakeClock):
        clock.advance(timedelta(seconds=seconds))


def current_question(chat: Chat) -> Question:
    """The quiz question shown in the chat's last replies."""
    by_text = {q.text: q for q in questions_by_id(chat.app.content.quizzes).values()}
    for reply in reversed(chat.replies):
        for text, question in by_text.items():
            if text in reply.text and any(o.payload.startswith("qa:") for o in reply.options):
                return question
    raise AssertionError(f"no question shown: {chat.text}")


def answer_payload(chat: Chat, right: bool) -> str:
    """The payload of the right (or a wrong) option of the question shown."""
    question = current_question(chat)
    for reply in reversed(chat.replies):
        for option in reply.options:
            if option.payload.startswith("qa:") and (option.label == question.right) == right:
                return option.payload
    raise AssertionError("no answer button")


async def answer(chat: Chat, right: bool) -> None:
    """Press the right (or a wrong) answer of the question shown."""
    pace(chat)
    await chat.press_payload(answer_payload(chat, right))


async def take_quiz(chat: Chat, rights: int, quiz_label: str = "Về Đảng") -> None:
    """Start a quiz from /quiz and answer `rights` questions right, the rest wrong."""
    await chat.send("/quiz")
    if "làm dở" in chat.text:
        await chat.press("Làm bài mới")
    await chat.press(quiz_label)
    for number in range(QUIZ_LENGTH):
        await answer(chat, number < rights)


def test_draw_keeps_the_right_answer_known_whatever_the_shuffle(app: App) -> None:
    banks = app.content.quizzes
    by_id = questions_by_id(banks)
    orders: set[tuple[int, ...]] = set()
    for seed in range(40):
        drawn = draw(banks, "dang", random.Random(seed))
        assert len(drawn) == QUIZ_LENGTH and len({qid for qid, _ in drawn}) == QUIZ_LENGTH
        for qid, order in drawn:
            question = by_id[qid]
            assert question.topic == "dang"
            assert sorted(order) == list(range(len(question.options)))
            shown = [question.options[i] for i in order]
            assert shown[order.index(0)] == question.right  # bank index 0 is where the right one went
            orders.add(tuple(order))
    assert len(orders) > 5  # options really are shuffled


def test_mixed_quiz_takes_every_topic(app: App) -> None:
    by_id = questions_by_id(app.content.quizzes)
    drawn = draw(app.content.quizzes, MIX, random.Random(3))
    assert len(drawn) == QUIZ_LENGTH
    assert {by_id[qid].topic for qid, _ in drawn} == {"dang", "vaitro", "thoisu"}


async def test_quiz_right_and_wrong_answers_score_and_missed(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/quiz")
    assert "5 câu" in leader.text and "Tổng hợp" in " ".join(leader.labels)
    await leader.press("Về Đảng")
    assert "Câu 1/5" in leader.text
    first = current_question(leader)
    await answer(leader, right=True)
    assert "✅ Đúng rồi" in leader.text and first.explanation in leader.text and "Câu 2/5" in leader.text
    missed = current_question(leader)
    await answer(leader, right=False)
    assert "❌ Chưa đúng" in leader.text and f"Đáp án đúng là: {missed.right}" in leader.text
    assert missed.explanation in leader.text
    for right in (True, True, False):
        await answer(leader, right)
    assert "Kết quả: 3/5" in leader.text and "Các câu cần xem lại" in leader.text
    assert missed.text in leader.replies[-1].text and missed.right in leader.replies[-1].text
    assert "đọc lại chuyên đề" in leader.text.lower()  # the kind word for a score under the pass mark
    labels = " ".join(leader.labels)
    assert "Làm lại" in labels and "Đọc lại chuyên đề" in labels
    assert leader.option("Mong muốn vào Đảng").payload == "cmd:aspiration"  # first finished quiz only
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None
    rows = await app.db.fetchall("SELECT correct FROM quiz_answers WHERE person_id = ? ORDER BY position",
                                 (person.id,))
    assert [r["correct"] for r in rows] == [1, 0, 1, 1, 0]
    attempt = await app.db.fetchone("SELECT score, total, status, finished_at FROM quiz_attempts")
    assert (attempt["score"], attempt["total"], attempt["status"]) == (3, 5, "done") and attempt["finished_at"]

    await leader.send("/quiz")
    assert "1. Về Đảng và chi bộ — cao nhất 3/5" in leader.labels
    assert "2. Vai trò cấp trưởng thôn" in leader.labels  # not taken yet: no score
    await leader.press("Về Đảng")
    for _ in range(QUIZ_LENGTH):
        await answer(leader, right=True)
    assert "Kết quả: 5/5" in leader.text and "Xuất sắc" in leader.text
    assert "Các câu cần xem lại" not in leader.text
    assert "Mong muốn vào Đảng" not in " ".join(leader.labels)


async def test_double_press_and_old_buttons_are_refused_and_counted_once(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/quiz")
    await leader.press("Vai trò")
    first = answer_payload(leader, right=True)
    await leader.press_payload(first)
    assert "Câu 2/5" in leader.text
    await leader.press_payload(first)  # the same button again (Telegram keeps old messages)
    assert "đã trả lời rồi" in leader.text and "Câu 2/5" in leader.text
    await leader.press_payload(answer_payload(leader, right=False).rsplit(":", 2)[0] + ":4:0")  # a future question
    assert "bài kiểm tra cũ" in leader.text and "Câu 2/5" in leader.text
    await leader.press_payload("qa:999:0:0")  # no such attempt
    assert "bài kiểm tra cũ" in leader.text
    await leader.press_payload("qa:x:💥:0")
    assert "bài kiểm tra cũ" in leader.text
    second = answer_payload(leader, right=False)
    await leader.send("/quiz")  # leave for another quiz: the first one's buttons become old
    await leader.press("Làm bài mới")
    await leader.press("Thời sự")
    await leader.press_payload(second)
    assert "bài kiểm tra cũ" in leader.text and "Câu 1/5" in leader.text
    counts = await app.db.fetchall("SELECT attempt_id, count(*) AS n FROM quiz_answers GROUP BY attempt_id")
    assert [r["n"] for r in counts] == [1]
    statuses = await app.db.fetchall("SELECT status FROM quiz_attempts ORDER BY id")
    assert [r["status"] for r in statuses] == ["abandoned", "open"]


async def test_answers_of_a_finished_quiz_and_someone_elses_buttons(app: App, leader: Chat) -> None:
    await leader.onboard()
    await take_quiz(leader, rights=4)
    assert "Kết quả: 4/5" in leader.text and "Rất tốt" in leader.text
    attempt_id = int(await app.db.fetchval("SELECT id FROM quiz_attempts"))
    await leader.press_payload(f"qa:{attempt_id}:4:0")
    assert "đã làm xong" in leader.text and "4/5" in leader.text
    other = Chat(app, Identity("tg", "101"))
    await other.onboard(name="Trần Văn Bình")
    await other.press_payload(f"qa:{attempt_id}:0:0")
    assert "bài kiểm tra cũ" in other.text
    assert int(await app.db.fetchval("SELECT count(*) FROM quiz_answers")) == 5
    assert not any(o.payload.startswith("qa:") for r in other.replies for o in r.options)
    assert not any(o.payload.startswith("qa:") for r in leader.replies for o in r.options)


async def test_typing_the_number_answers(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/quiz")
    await leader.send("1")  # the first topic
    assert "Câu 1/5" in leader.text
    question = current_question(leader)
    labels = [o.label for o in leader.replies[-1].options]
    await leader.send(str(labels.index(question.right) + 1))
    assert "✅ Đúng rồi" in leader.text and "Câu 2/5" in leader.text


async def test_quiz_resumes_after_restart_and_other_commands(config: Config, clock: FakeClock) -> None:
    first = await open_app(config, clock=clock)
    chat = Chat(first, Identity("tg", "300"))
    await chat.onboard()
    await chat.send("/quiz")
    await chat.press("Thời sự")
    await answer(chat, right=True)
    await answer(chat, right=False)
    third = current_question(chat)
    await chat.send("/menu")  # something else in between
    await first.close()

    second = await open_app(config, clock=clock)
    try:
        chat.app = second
        await chat.send("/quiz")
        assert "làm dở" in chat.text and "câu 3/5" in chat.text
        await chat.press("Làm tiếp")
        assert "Câu 3/5" in chat.text and current_question(chat) == third
        await answer(chat, right=True)
        await answer(chat, right=True)
        await answer(chat, right=True)
        assert "Kết quả: 4/5" in chat.text
    finally:
        await second.close()


async def test_the_last_question_typed_after_restart_uses_the_stored_options(config: Config,
                                                                             clock: FakeClock) -> None:
    first = await open_app(config, clock=clock)
    chat = Chat(first, Identity("zalo", "z1"))
    await chat.onboard()
    await chat.send("/quiz")
    await chat.press("Về Đảng")
    question = current_question(chat)
    labels = [o.label for o in chat.replies[-1].options]
    await first.close()
    second = await open_app(config, clock=clock)
    try:
        chat.app = second
        await chat.send(str(labels.index(question.right) + 1))
        assert "✅ Đúng rồi" in chat.text
    finally:
        await second.close()


async def test_a_question_removed_from_the_bank_ends_the_quiz_politely(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/quiz")
    await leader.press("Về Đảng")
    payload = answer_payload(leader, right=True)
    attempt = await learning.get_attempt(app.db, int(payload.split(":")[1]))
    assert attempt is not None
    qid = attempt.questions[0][0]
    bank = app.content.quizzes["dang"]
    app.content.quizzes["dang"] = [q for q in bank if q.id != qid]
    try:
        await leader.press_payload(payload)
        assert "vừa được cán bộ cập nhật" in leader.text
        await leader.send("/quiz")
        assert "làm dở" not in leader.text
    finally:
        app.content.quizzes["dang"] = bank


async def test_pass_mark_from_config(config: Config, clock: FakeClock) -> None:
    from dataclasses import replace
    strict = replace(config, pass_mark=5)
    app = await open_app(strict, clock=clock)
    try:
        chat = Chat(app, Identity("tg", "400"))
        await chat.onboard()
        await take_quiz(chat, rights=4)
        assert "Kết quả: 4/5" in chat.text and "Không sao cả" in chat.text
    finally:
        await app.close()


async def test_unknown_quiz_and_forged_choice(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.press_payload("qz:new:nope")
    assert "không còn" in leader.text and "Về Đảng" in " ".join(leader.labels)
    await leader.press_payload("qz:go:12345")
    assert "bài kiểm tra cũ" in leader.text
    await leader.press_payload("qz")
    assert "bài kiểm tra cũ" in leader.text


async def test_long_options_are_also_written_out_on_telegram_only(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/quiz")
    await leader.press("Về Đảng")
    payload = answer_payload(leader, right=True)
    attempt = await learning.get_attempt(app.db, int(payload.split(":")[1]))
    assert attempt is not None
    by_id = questions_by_id(app.content.quizzes)
    for position in range(QUIZ_LENGTH):
        question = current_question(leader)
        text = leader.replies[-1].text
        listed = [line for line in text.split("\n") if line[:2] in {"1.", "2.", "3.", "4."}]
        if max(len(o) for o in question.options) > 32:
            assert [line.split(". ", 1)[1] for line in listed] == [o.label for o in leader.replies[-1].options][:-1]
        else:
            assert listed == []
        assert by_id[attempt.questions[position][0]] == question
        await answer(leader, right=True)
    zalo = Chat(app, Identity("zalo", "z9"))
    await zalo.onboard()
    await zalo.send("/quiz")
    await zalo.press("Về Đảng")
    assert not any(line[:2] == "1." for line in zalo.replies[-1].text.split("\n"))


async def test_delete_me_removes_reading_and_quizzes(app: App, leader: Chat) -> None:
    await leader.onboard()
    await take_quiz(leader, rights=3)
    await leader.press("Đọc lại chuyên đề")
    await leader.press("Đọc từ đầu")
    await leader.send("/delete_me")
    await leader.press("Xóa hết")
    for table in ("topic_reads", "topic_done", "quiz_attempts", "quiz_answers"):
        assert await app.db.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_mixed_quiz_through_the_router(app: App, leader: Chat) -> None:
    await leader.onboard()
    await take_quiz(leader, rights=2, quiz_label="Tổng hợp")
    assert "Kết quả: 2/5" in leader.text
    assert "Đọc các chuyên đề" in " ".join(leader.labels) and "Đọc lại chuyên đề" not in " ".join(leader.labels)
    quizzes = await app.db.fetchall("SELECT DISTINCT quiz FROM quiz_answers")
    assert [r["quiz"] for r in quizzes] == [MIX]
    await leader.press("Làm lại")
    assert "Tổng hợp 3 chuyên đề" in leader.text and "Câu 1/5" in leader.text
