"""Handlers branch on what a channel can do (ctx.can), never on its name (issue 19 item 4).

A channel the handlers have never heard of gets exactly the behaviour its declared capabilities
call for: give it Telegram's and it is offered the contact button and may send a roster; leave it
plain and it gets typed-phone questions and polite "no files here" answers.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.app import CAPABILITIES, App, with_admin
from bot.model import PLAIN, Capabilities, Identity
from tests.chat import Chat

ROOT = Path(__file__).resolve().parent.parent


def test_no_handler_asks_which_channel_it_is() -> None:
    by_name = re.compile(r"""\.channel\s*(?:==|!=|in\b|not in\b)\s*[("']|\{["'](?:tg|zalo|console)["']\s*:""")
    found = [f"{path.name}:{source.count(chr(10), 0, m.start()) + 1}"
             for path in sorted((ROOT / "handlers").glob("*.py"))
             for source in [path.read_text(encoding="utf-8")] for m in by_name.finditer(source)]
    assert not found, found


async def test_an_unknown_channel_with_telegrams_capabilities_gets_the_contact_button(app: App) -> None:
    app.services.capabilities = {**CAPABILITIES, "sms": CAPABILITIES["tg"]}
    chat = Chat(app, Identity("sms", "1"))
    await chat.send("/start")
    await chat.press("Tôi đồng ý")
    assert chat.replies[-1].ask_contact


async def test_a_plain_channel_is_asked_to_type_the_phone(app: App) -> None:
    assert app.services.capabilities.get("sms") is None  # unknown: PLAIN
    chat = Chat(app, Identity("sms", "1"))
    await chat.send("/start")
    await chat.press("Tôi đồng ý")
    assert not chat.replies[-1].ask_contact
    assert chat.text == app.content.texts("onboarding.ask_name_or_phone")


async def test_roster_and_export_follow_the_file_capabilities(app: App) -> None:
    admin = Identity("sms", "boss")
    app.services.config = with_admin(app.config, admin)
    app.services.capabilities = {**CAPABILITIES, "sms": PLAIN}
    chat = Chat(app, admin)
    await chat.send("/import")
    assert chat.text == app.content.texts("roster.no_files_chat", channel="sms")
    await chat.send("/export")
    assert chat.replies[0].attachment is None
    assert chat.text == app.content.texts("export.no_documents", channel="sms")
    app.services.capabilities = {**CAPABILITIES, "sms": Capabilities(receives_files=True, sends_documents=True)}
    await chat.send("/import")
    assert chat.text == app.content.texts("roster.ask_file")
    await chat.send("/export")
    assert chat.replies[0].attachment is not None
