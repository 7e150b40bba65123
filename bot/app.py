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
STOP_GRACE = 3.0  # seconds to stop channels and background work: `caunoi run` exits within 5 s of a signal


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

    async def close(self, grace: float = STOP_GRACE) -> None:
        """Stop components and channels (within `grace` seconds in all), then close the store."""
        try:
            await asyncio.wait_for(self._stop_all(), grace)
        except TimeoutError:
            # What was in flight stays `sending` and is marked `unknown` at the next start.
            log.warning("stopping took over %.0fs: work in flight was left for the next start", grace)
        await self.db.close()

    async def _stop_all(self) -> None:
        for component in reversed(self.components):
            with contextlib.suppress(Exception):
                await component.stop()
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.stop()


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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before opening the store: Ctrl-C while migrating stops cleanly
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    app = await open_app(config)
    try:
        app.channels = build_channels(app, options)
        # Starting may wait for an unreachable server for ever: a signal must still stop it.
        starting = asyncio.create_task(_start_all(app), name="start")
        signalled = asyncio.create_task(stop.wait(), name="stop-signal")
        await asyncio.wait({starting, signalled}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        else:
            starting.result()  # a refused token stops start-up with its message
            log.info("running: %s", ", ".join(app.channels))
            await signalled
        signalled.cancel()
        log.info("stopping")
    finally:
        await app.close()
    log.info("stopped")


async def _start_all(app: App) -> None:
    """Start every channel at once (one unreachable server does not hold up the other), then
    the outbox and the scheduler."""
    from bot.outbox import Outbox
    from bot.scheduler import Scheduler

    await asyncio.gather(*(channel.start() for channel in app.channels.values()))
    app.components.append(Outbox(app.services, app.channels))  # one paced worker per channel
    app.components.append(Scheduler(app.dispatcher.router.jobs, app.services))
    from bot.backup_daily import DailyBackup

    app.components.append(DailyBackup(app.services))  # daily backup and the stale-backup alert
    await start_background(app)
