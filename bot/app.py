"""The composition root: wires content, store, router, channels, outbox and scheduler together.

Nothing imports this module except the CLI and the tests; dependencies point one way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot import staff
from bot.channels.base import Channel
from bot.clock import Clock
from bot.config import Config
from bot.content import Content, load_content
from bot.context import Services
from bot.model import Event, Identity, Option, Reply
from bot.router import Dispatcher
from bot.store.db import Database
from handlers import build_router

log = logging.getLogger(__name__)


class NoChannelError(Exception):
    """`caunoi run` with no channel configured."""


class Component(Protocol):
    """Something that runs beside the channels (outbox workers, scheduler)."""

    async def start(self) -> None:
        """Start running in the background."""

    async def stop(self) -> None:
        """Stop and wait for in-flight work."""


@dataclass
class App:
    """One bot: its services, dispatcher, channels and background components."""

    config: Config
    content: Content
    db: Database
    clock: Clock
    dispatcher: Dispatcher
    channels: dict[str, Channel] = field(default_factory=dict)
    components: list[Component] = field(default_factory=list)

    @property
    def services(self) -> Services:
        """What handlers see through their Context."""
        return self.dispatcher.services

    async def dispatch(self, event: Event) -> list[Reply]:
        """Answer one event (what channels call)."""
        return await self.dispatcher.handle(event)

    async def close(self) -> None:
        """Stop components and channels, then close the store."""
        for component in reversed(self.components):
            with contextlib.suppress(Exception):
                await component.stop()
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.stop()
        await self.db.close()


async def open_app(config: Config, clock: Clock | None = None, content: Content | None = None) -> App:
    """Load content (refusing broken content), open the store, build the router."""
    content = content or load_content(config.content_dir)
    db = await Database(config.db_path).open()
    clock = clock or Clock()
    services = Services(db=db, content=content, config=config, clock=clock)
    await staff.warn_orphaned(db, (c.name for c in content.units.communes))
    return App(config, content, db, clock, Dispatcher(build_router(), services))


def with_admin(config: Config, identity: Identity) -> Config:
    """The config with one more staff identity (for `caunoi chat --admin`)."""
    return replace(config, admins=config.admins | {identity})


def build_channels(app: App, options: dict[str, Any] | None = None) -> dict[str, Channel]:
    """The channels whose tokens are configured."""
    channels: dict[str, Channel] = {}
    if app.config.telegram_token:
        from bot.channels.telegram import TelegramChannel

        channels["tg"] = TelegramChannel(app.config, app.dispatch, app.dispatcher.router, app.content)
    if app.config.zalo_token:
        channels["zalo"] = build_zalo(app, options or {})
    return channels


def build_zalo(app: App, options: dict[str, Any]) -> Channel:
    """The Zalo channel: long polling, or a webhook server with `webhook_url` and `listen`."""
    from bot.channels.zalo import ZaloChannel, ZaloTexts
    from bot.channels.zalo_delivery import UNREACHABLE_SENDS, UNREACHABLE_SPAN
    from bot.store import delivery_failures, people

    texts = app.content.texts

    async def remember_shown(identity: Identity, options: list[Option]) -> None:
        # A delivered reminder's options become what a typed "1" chooses on Zalo.
        async with app.db.write() as conn:
            await people.save_options(conn, identity, options)

    async def note_refusal(identity: Identity, code: int) -> bool:
        # Zalo's 403/404 do not prove a person gone: unreachable only on evidence over time.
        return await delivery_failures.note_refusal(app.db, identity, code, app.clock.now(),
                                                    sends=UNREACHABLE_SENDS, span=UNREACHABLE_SPAN)

    return ZaloChannel(
        app.config, app.dispatch,
        ZaloTexts(texts("zalo.numbered_hint"), texts("zalo.no_files"), texts("zalo.photo_unavailable"),
                  texts("zalo.quota_plan")),
        remember_options=remember_shown, webhook_url=options.get("webhook_url"),
        listen=options.get("listen") or "0.0.0.0:8443", note_refusal=note_refusal,
    )


async def start_background(app: App) -> None:
    """Start the components that run beside the channels (outbox workers, scheduler)."""
    for component in app.components:
        await component.start()


async def run_forever(config: Config, options: dict[str, Any] | None = None) -> None:
    """`caunoi run`: every configured channel plus background work, until SIGINT/SIGTERM."""
    if not config.telegram_token and not config.zalo_token:
        raise NoChannelError(
            "no channel configured: set TELEGRAM_BOT_TOKEN (or ZALO_BOT_TOKEN), "
            "or try the bot in the terminal with `caunoi chat`"
        )
    app = await open_app(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        app.channels = build_channels(app, options)
        for channel in app.channels.values():
            await channel.start()
        from bot.outbox import Outbox
        from bot.scheduler import Scheduler

        app.components.append(Outbox(app.services, app.channels))  # one paced worker per channel
        app.components.append(Scheduler(app.dispatcher.router.jobs, app.services))
        await start_background(app)
        log.info("running: %s", ", ".join(app.channels))
        await stop.wait()
    finally:
        await app.close()
