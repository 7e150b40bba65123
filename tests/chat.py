"""A test driver that talks to the dispatcher as a user would: send text, press buttons by label."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import App
from bot.model import Event, Identity, Option, Reply
from bot.textutil import fold


@dataclass
class Chat:
    """One user talking to the bot through the real router and store (no network)."""

    app: App
    identity: Identity
    name: str = "Người thử"
    replies: list[Reply] = field(default_factory=list)

    async def send(self, text: str) -> list[Reply]:
        """Type a line ("/cmd args" is a command, as channels parse it)."""
        if text.startswith("/") and len(text) > 1:
            name, _, args = text[1:].partition(" ")
            event = Event(self.identity, "command", name, args.strip(), display_name=self.name)
        else:
            event = Event(self.identity, "text", text, display_name=self.name)
        return await self._dispatch(event)

    async def press(self, label: str) -> list[Reply]:
        """Press the button whose label contains `label` (diacritics folded) in the last replies."""
        return await self.press_payload(self.option(label).payload)

    async def press_payload(self, payload: str) -> list[Reply]:
        """Press a button by its payload (also used to forge or replay old buttons)."""
        return await self._dispatch(Event(self.identity, "choice", payload, display_name=self.name))

    async def share_contact(self, phone: str, verified: bool = True) -> list[Reply]:
        """Share a phone number as Telegram's contact button does (verified: the sender's own number)."""
        return await self._dispatch(Event(self.identity, "contact", phone, display_name=self.name,
                                          verified=verified))

    async def send_media(self, kind: str = "photo") -> list[Reply]:
        """Send a photo, sticker, voice note… without text."""
        return await self._dispatch(Event(self.identity, "media", kind, display_name=self.name, file_ref="f1"))

    def option(self, label: str) -> Option:
        """The option in the last replies whose label contains `label`."""
        wanted = fold(label)
        for reply in reversed(self.replies):
            for option in reply.options:
                if wanted in fold(option.label):
                    return option
        shown = [o.label for r in self.replies for o in r.options]
        raise AssertionError(f"no button like {label!r}; shown: {shown}")

    @property
    def text(self) -> str:
        """All text of the last replies, joined."""
        return "\n".join(reply.text for reply in self.replies)

    @property
    def labels(self) -> list[str]:
        """The labels of every option in the last replies."""
        return [o.label for r in self.replies for o in r.options]

    async def _dispatch(self, event: Event) -> list[Reply]:
        self.replies = await self.app.dispatch(event)
        return self.replies

    async def onboard(self, name: str = "Nguyễn Văn An", commune: str = "Hương Khê",
                      hamlet: str = "Thôn 1", role: str = "Trưởng thôn") -> None:
        """Go through onboarding with typical answers."""
        await self.send("/start")
        await self.press("Tôi đồng ý")
        await self.send(name)
        await self.press(role)
        if fold(role) == fold("Chi hội trưởng"):
            await self.press("Nông dân")
        await self.press(commune)
        if any("khac" in fold(o.label) for r in self.replies for o in r.options):
            await self.press("Thôn/tổ khác")
        await self.send(hamlet)
        await self.press("Bỏ qua")
        await self.press("Đúng")
        assert "Đăng ký xong" in self.text, self.text
