"""Forged button data with odd digits or random Unicode never crashes a handler (issue 20 item 12).

Every payload kind comes from the router itself (its registered choice prefixes) and the action
words the handlers write after them; each position is then replaced by hostile text.
"""

from __future__ import annotations

import logging
import random
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.model import MAX_PAYLOAD_BYTES, Identity, Option
from bot.store import people
from tests.chat import Chat
from tests.conftest import STAFF

ODD = ["²", "١٢", "𝟙", "٣", "½", "Ⅻ", "-1", "", " 1", "1e3", "9" * 25, "0x1", "\x00", "1\n", "߁", "፩"]
BLOCKS = [(0x20, 0x7E), (0xA0, 0x2FF), (0x660, 0x669), (0x966, 0x96F), (0x2070, 0x2189), (0xFF10, 0xFF19),
          (0x1D7CE, 0x1D7FF), (0x1F600, 0x1F64F), (0x4E00, 0x4E20)]


def random_text(rng: random.Random) -> str:
    low, high = rng.choice(BLOCKS)
    return "".join(chr(rng.randint(low, high)) for _ in range(rng.randint(1, 4)))


def payload_kinds(app: App) -> dict[str, set[str]]:
    """Registered prefix -> action words the handlers put after it (scanned from their source)."""
    prefixes = set(app.dispatcher.router.choices)
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("handlers").glob("*.py"))
    kinds: dict[str, set[str]] = {prefix: {""} for prefix in prefixes}
    for prefix, action in re.findall(r"[\"']([a-z]+):([a-z]+)[:\"'{]", source):
        if prefix in kinds:
            kinds[prefix].add(action)
    return kinds


def forged(kinds: dict[str, set[str]], rng: random.Random) -> list[str]:
    payloads = []
    for prefix, actions in sorted(kinds.items()):
        for action in sorted(actions):
            head = [prefix, action] if action else [prefix]
            for arity in range(1, 5):
                for position in range(arity):
                    for odd in ["²", *rng.sample(ODD, 2), random_text(rng)]:
                        parts = ["1"] * arity
                        parts[position] = odd
                        payload = ":".join([*head, *parts])
                        if len(payload.encode()) <= MAX_PAYLOAD_BYTES:
                            payloads.append(payload)
    return payloads


@pytest.mark.parametrize("who", ["staff", "leader"])
async def test_forged_payloads_never_crash(
    app: App, clock: FakeClock, who: str, caplog: pytest.LogCaptureFixture
) -> None:
    chat = Chat(app, STAFF, name="Cán bộ") if who == "staff" else Chat(app, Identity("tg", "100"))
    if who == "leader":
        await chat.onboard()
    kinds = payload_kinds(app)
    assert {"ack", "qa", "cls", "ib", "bc"} <= set(kinds) and "go" in kinds["qz"]
    rng = random.Random(20)
    caplog.set_level(logging.INFO)
    error = app.content.texts("core.error")
    crashed, silent = [], []
    for payload in forged(kinds, rng):
        # As if the button had been shown, so non-durable routes reach their handler too.
        async with app.db.write() as conn:
            await people.save_options(conn, chat.identity, [Option("x", payload)])
        clock.advance(timedelta(seconds=3))  # a leader stays under the flood limit
        replies = await chat.press_payload(payload)
        if error in chat.text:
            crashed.append(payload)
        if not replies:
            silent.append(payload)
    assert not crashed, crashed[:40]
    assert not silent, silent[:40]
    assert not [r for r in caplog.records if r.getMessage().startswith("handler failed")]


@pytest.mark.parametrize("typed", ["²", "١", "𝟙", "٣", "⑴", "9" * 5000])
async def test_typed_odd_digits_never_crash(app: App, leader: Chat, typed: str) -> None:
    await leader.send("/start")
    replies = await leader.send(typed)
    assert replies and app.content.texts("core.error") not in leader.text
