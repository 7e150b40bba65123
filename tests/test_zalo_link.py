"""/link: one person's Telegram and Zalo become one person (through the real router and store)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.model import Identity, Reply
from bot.store import deliveries, people
from tests.chat import Chat


def code_of(chat: Chat) -> str:
    """The 8-digit code the last replies show (as "1234 5678")."""
    match = re.search(r"\b(\d{4}) (\d{4})\b", chat.text)
    assert match, chat.text
    return match.group(1) + match.group(2)


async def confirm(issuer: Chat, answer: str = "Đúng là tôi") -> None:
    """The code's owner presses a button of the question the outbox would deliver on their channel."""
    row = await issuer.app.db.fetchone(
        "SELECT payload FROM deliveries WHERE kind = 'link_notice' AND ref LIKE 'ask:%' ORDER BY id DESC LIMIT 1")
    assert row is not None, "no confirmation question queued"
    issuer.replies = [Reply.from_dict(json.loads(row["payload"]))]
    assert "Liên kết với tài khoản" in issuer.text
    await issuer.press(answer)


async def test_a_telegram_leader_links_zalo_with_a_code(app: App, leader: Chat) -> None:
    await leader.onboard(name="Phan Văn Hùng")
    tg_person = await people.by_identity(app.db, leader.identity)
    assert tg_person is not None
    await leader.send("/link")
    assert "10 phút" in leader.text and "/link " in leader.text
    code = code_of(leader)

    zalo = Chat(app, Identity("zalo", "z100"), name="Hùng Zalo")
    await zalo.send(f"/link {code[:4]} {code[4:]}")  # spaces are fine
    assert "Đúng là tôi" in zalo.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 2  # nothing joined before the answer
    await confirm(leader)
    assert "Đã liên kết Telegram với Zalo" in leader.text and "Menu chính" in leader.text
    person = await people.by_identity(app.db, zalo.identity)
    assert person is not None and person.id == tg_person.id and person.name == "Phan Văn Hùng"
    assert person.last_channel == "zalo"
    assert set(await people.identities_of(app.db, person.id)) == {leader.identity, zalo.identity}
    assert await app.db.fetchval("SELECT count(*) FROM people") == 1
    notices = await app.db.fetchall("SELECT channel, payload FROM deliveries WHERE kind = 'link_notice'")
    assert [r["channel"] for r in notices] == ["tg", "zalo"]
    assert "Đã liên kết Zalo với Telegram" in notices[1]["payload"]
    # The Zalo side is registered with the Telegram profile; the code is used up.
    await zalo.send("/profile")
    assert "Phan Văn Hùng" in zalo.text
    await zalo.send(f"/link {code}")
    assert "không đúng hoặc đã hết hạn" in zalo.text


async def test_link_word_then_code_on_the_other_side(app: App, leader: Chat) -> None:
    await leader.onboard()
    zalo = Chat(app, Identity("zalo", "z200"))
    await zalo.send("lien ket")  # bare words on Zalo: shows its own code and waits for one
    assert "gõ 8 số" in zalo.text
    await leader.send("/link")
    await zalo.send(code_of(leader))
    await confirm(leader)
    assert "Đã liên kết" in leader.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 1
    # The Telegram side still works and is the same person.
    await leader.send("/profile")
    assert "Nguyễn Văn An" in leader.text


async def test_wrong_expired_and_same_channel_codes(app: App, leader: Chat, clock: FakeClock) -> None:
    await leader.onboard()
    await leader.send("/link")
    code = code_of(leader)
    await leader.send(code)  # typed on the channel that made it
    assert "kênh còn lại" in leader.text

    zalo = Chat(app, Identity("zalo", "z300"))
    await zalo.send("/link abc")
    assert "đúng 8 chữ số" in zalo.text
    clock.advance(timedelta(minutes=11))
    await zalo.send(f"/link {code}")
    assert "hết hạn" in zalo.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 2
    await zalo.press("Hủy")
    assert "Đã hủy" in zalo.text


async def test_guessing_is_stopped(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/link")
    real = code_of(leader)
    zalo = Chat(app, Identity("zalo", "z400"))
    wrong = f"{(int(real) + 1) % 10 ** 8:08d}"
    for _ in range(5):
        await zalo.send(f"/link {wrong}")
        assert "không đúng" in zalo.text
    await zalo.send(f"/link {real}")  # even the right code: too many tries this hour
    assert "sai mã nhiều lần" in zalo.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 2


async def test_two_registered_people_merge_into_the_older_without_duplicates(
    app: App, leader: Chat, clock: FakeClock,
) -> None:
    await leader.onboard(name="Người Đăng Ký Trước")
    clock.advance(timedelta(days=1))
    zalo = Chat(app, Identity("zalo", "z500"))
    await zalo.onboard(name="Người Đăng Ký Sau", hamlet="Thôn 9")
    first = await people.by_identity(app.db, leader.identity)
    second = await people.by_identity(app.db, zalo.identity)
    assert first is not None and second is not None and first.id != second.id
    reminder = Reply("⏰ Nhắc lịch lớp học")
    await deliveries.enqueue(app.db, "reminder", "class:1:1d", [first.id, second.id], reminder, now=clock.now())
    await deliveries.enqueue(app.db, "answer", "feedback:7", [second.id], Reply("Trả lời"), now=clock.now())

    await zalo.send("/link")
    await leader.send(f"/link {code_of(zalo)}")
    await confirm(zalo)
    assert "Đã liên kết Zalo với Telegram" in zalo.text
    merged = await people.by_identity(app.db, zalo.identity)
    assert merged is not None and merged.id == first.id and merged.name == "Người Đăng Ký Trước"
    assert await app.db.fetchval("SELECT count(*) FROM people") == 1
    rows = await app.db.fetchall("SELECT kind, person_id FROM deliveries WHERE kind != 'link_notice' ORDER BY kind")
    assert [(r["kind"], r["person_id"]) for r in rows] == [("answer", first.id), ("reminder", first.id)]

    await zalo.send("/delete_me")
    await zalo.press("Xóa hết")
    assert await app.db.fetchval("SELECT count(*) FROM people") == 0
    assert await app.db.fetchval("SELECT count(*) FROM identities") == 0
    assert await app.db.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_a_registered_zalo_keeps_its_profile_when_the_new_telegram_links(app: App) -> None:
    zalo = Chat(app, Identity("zalo", "z600"))
    await zalo.onboard(name="Trần Văn Zalo")
    await zalo.send("/link")
    newcomer = Chat(app, Identity("tg", "600"))
    await newcomer.send(f"/link {code_of(zalo)}")  # a brand-new Telegram user, not registered
    await confirm(zalo)
    assert "Đã liên kết" in zalo.text and "Menu chính" in zalo.text
    person = await people.by_identity(app.db, newcomer.identity)
    assert person is not None and person.name == "Trần Văn Zalo" and person.last_channel == "tg"
    await newcomer.send("/profile")
    assert "Trần Văn Zalo" in newcomer.text
    await leader_again(newcomer)


async def leader_again(chat: Chat) -> None:
    """A linked person who links again is told it is done already."""
    await chat.send("/link")
    other = Chat(chat.app, Identity("zalo", "z600"))
    await other.send(f"/link {code_of(chat)}")
    assert "đã được liên kết từ trước" in other.text


async def test_class_answers_and_open_quizzes_are_merged_sensibly(app: App, leader: Chat, staff: Chat,
                                                                   clock: FakeClock) -> None:
    await leader.onboard(name="Người Trước")
    clock.advance(timedelta(hours=1))
    zalo = Chat(app, Identity("zalo", "z700"))
    await zalo.onboard(name="Người Sau")
    await staff.send("/newclass 2026-12-05 08:00 | Lớp bồi dưỡng nhận thức về Đảng | Hội trường UBND xã | Tất cả")
    await staff.press("Tạo lớp và gửi lời mời")
    class_id = int(await app.db.fetchval("SELECT max(id) FROM classes"))
    await zalo.press_payload(f"cls:y:{class_id}")  # answered only on Zalo (the row that goes)
    for chat in (leader, zalo):  # a quiz in progress on each channel
        await chat.send("/quiz")
        if "Câu 1/" not in chat.text:
            await chat.send("1")
        assert "Câu 1/" in chat.text

    await zalo.send("/link")
    await leader.send(f"/link {code_of(zalo)}")
    await confirm(zalo)
    kept = await people.by_identity(app.db, leader.identity)
    assert kept is not None and kept.name == "Người Trước"
    invites = await app.db.fetchall("SELECT person_id, rsvp FROM class_invitees WHERE class_id = ?", (class_id,))
    assert [(r["person_id"], r["rsvp"]) for r in invites] == [(kept.id, "yes")]
    statuses = await app.db.fetchall("SELECT status FROM quiz_attempts WHERE person_id = ? ORDER BY id",
                                     (kept.id,))
    assert [r["status"] for r in statuses] == ["open", "abandoned"]


async def test_typing_something_else_while_waiting_for_a_code_moves_on(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/link")
    await leader.send("12345")  # digits, but not eight: asked again
    assert "đúng 8 chữ số" in leader.text
    await leader.send("menu")  # words: the person moved on
    assert "không chờ mã" in leader.text and "Menu chính" in leader.text
    await leader.send("menu")
    assert "Menu chính" in leader.text and "không chờ mã" not in leader.text
