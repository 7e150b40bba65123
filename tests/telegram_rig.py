"""Run the real application on Telegram against the fake Bot API, and act as its users.

    async with telegram_rig(config, clock) as rig:      # open_app + TelegramChannel, real SQLite
        an = rig.user(100, "An")
        await an.send("/start")                          # a command (bot_command entity) or text
        await an.press("Tôi đồng ý")                     # inline button by label (diacritics folded)
        assert "họ và tên" in an.text                    # texts of the bot's messages for that turn
        await an.share_contact("0912345678")
        await rig.restart()                              # close the app and open it again, same DB

Each action injects an update into `rig.tg` (a FakeTelegram, see tests/fake_telegram.py) and
returns once the channel has completely answered that update (the channel's `on_handled`
hook), so no sleeps are needed. `user.messages` are the bot's messages for the last turn
(dicts as Telegram returns them), `user.text` their joined text, `user.labels` the labels of
their inline buttons (or reply-keyboard buttons), `user.keyboard` the reply keyboard last shown.
`rig.tg` keeps every call for assertions (`rig.tg.sent(100)`, `rig.tg.commands`, `block`…).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from bot.app import App, open_app
from bot.channels.telegram import TelegramChannel
from bot.clock import Clock
from bot.config import Config, Secret
from bot.textutil import fold
from tests.fake_telegram import Call, FakeTelegram
from tests.shared_content import shipped_content


class TelegramRig:
    """The real app with a TelegramChannel polling a FakeTelegram."""

    def __init__(self, tg: FakeTelegram, config: Config, clock: Clock | None = None,
                 poll_timeout: float = 1.0) -> None:
        self.tg = tg
        self.config = replace(config, telegram_token=Secret(tg.token), telegram_api_url=tg.url)
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.app: App | None = None
        self.channel: TelegramChannel | None = None
        self._handled: dict[int, asyncio.Event] = {}

    async def start(self) -> None:
        """Open the app (same DB file each time) and start polling."""
        shared = shipped_content() if self.config.content_dir is None else None
        self.app = await open_app(self.config, clock=self.clock, content=shared)
        self.channel = TelegramChannel(self.config, self.app.dispatch, self.app.dispatcher.router,
                                       self.app.content, poll_timeout=self.poll_timeout)
        self.channel.on_handled = self._mark_handled
        self.app.channels = {"tg": self.channel}
        await self.channel.start()

    async def stop(self) -> None:
        """Stop polling and close the store."""
        if self.app is not None:
            await self.app.close()
            self.app = None

    async def restart(self) -> None:
        """A process restart: everything in memory is gone, the database stays."""
        await self.stop()
        await self.start()

    def user(self, chat_id: int, name: str = "Người thử") -> TgUser:
        """A Telegram user in a private chat with the bot."""
        return TgUser(self, chat_id, name)

    def _mark_handled(self, update: Any) -> None:
        self._handled.setdefault(update.update_id, asyncio.Event()).set()

    async def run(self, update: dict[str, Any], within: float = 10.0) -> None:
        """Wait until the channel has answered an injected update."""
        done = self._handled.setdefault(update["update_id"], asyncio.Event())
        await asyncio.wait_for(done.wait(), within)


class TgUser:
    """One user: sends messages and presses buttons through the fake Bot API."""

    def __init__(self, rig: TelegramRig, chat_id: int, name: str) -> None:
        self.rig = rig
        self.chat_id = chat_id
        self.name = name
        self.calls: list[Call] = []
        self.keyboard: list[str] = []

    async def _turn(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        start = len(self.rig.tg.calls)
        await self.rig.run(update)
        self.calls = [c for c in self.rig.tg.calls[start:] if c.params.get("chat_id") == self.chat_id]
        for call in self.calls:
            markup = call.params.get("reply_markup")
            if isinstance(markup, dict) and "keyboard" in markup:
                self.keyboard = [b["text"] for row in markup["keyboard"] for b in row]
            elif isinstance(markup, dict) and markup.get("remove_keyboard"):
                self.keyboard = []
        return self.messages

    async def send(self, text: str) -> list[dict[str, Any]]:
        """Type a message; "/cmd args" is sent as a command with its entity."""
        if text.startswith("/") and len(text) > 1 and " " not in text.split(maxsplit=1)[0]:
            name, _, args = text[1:].partition(" ")
            return await self._turn(self.rig.tg.command(self.chat_id, name, args, user_name=self.name))
        return await self._turn(self.rig.tg.text(self.chat_id, text, name=self.name))

    async def press(self, label: str) -> list[dict[str, Any]]:
        """Press the inline button (or reply-keyboard button) whose label contains `label`."""
        wanted = fold(label)
        for message in reversed(self.rig.tg.messages_in(self.chat_id)):
            markup = message.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if wanted in fold(button["text"]):
                        return await self.press_data(button["callback_data"], message["message_id"])
        for text in self.keyboard:
            if wanted in fold(text):
                return await self.send(text)
        raise AssertionError(f"no button like {label!r}; shown: {self.labels}")

    async def press_data(self, data: str, message_id: int | None = None) -> list[dict[str, Any]]:
        """Press a button by its callback data (forged or replayed ones too)."""
        return await self._turn(self.rig.tg.press(self.chat_id, data, message_id, name=self.name))

    async def share_contact(self, phone: str) -> list[dict[str, Any]]:
        """Share a phone number with the contact button."""
        return await self._turn(self.rig.tg.contact(self.chat_id, phone, name=self.name))

    async def send_update(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Any injected update of this user (photo, sticker, document…): wait for its answer."""
        return await self._turn(update)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The bot's messages (sendMessage/sendDocument/sendPhoto params) of the last turn."""
        return [c.params for c in self.calls if c.method in ("sendMessage", "sendDocument", "sendPhoto")
                and c.status == 200]

    @property
    def text(self) -> str:
        """The joined text of the last turn's messages."""
        return "\n".join(str(m.get("text") or m.get("caption") or "") for m in self.messages)

    @property
    def labels(self) -> list[str]:
        """Inline button labels of the last turn (or the reply keyboard's)."""
        labels = [b["text"] for m in self.messages for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                  for b in row]
        return labels or list(self.keyboard)

    async def onboard(self, name: str = "Nguyễn Văn An", commune: str = "Hương Khê",
                      hamlet: str = "Thôn 1", role: str = "Trưởng thôn") -> None:
        """Go through onboarding with typical answers, as a Telegram user would."""
        await self.send("/start")
        await self.press("Tôi đồng ý")
        await self.send(name)
        await self.press(role)
        await self.press(commune)
        if any("khac" in fold(label) for label in self.labels):
            await self.press("Thôn/tổ khác")
        await self.send(hamlet)
        await self.press("Bỏ qua")
        await self.press("Đúng")
        assert "Đăng ký xong" in self.text, self.text


@asynccontextmanager
async def telegram_rig(config: Config, clock: Clock | None = None, **fake: Any) -> AsyncIterator[TelegramRig]:
    """A FakeTelegram (keyword arguments go to it) and the real app polling it."""
    async with FakeTelegram(**fake) as tg:
        rig = TelegramRig(tg, config, clock)
        await rig.start()
        try:
            yield rig
        finally:
            await rig.stop()
