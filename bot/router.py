"""The router: turns one Event into Replies.

Order (DESIGN.md): the pending step of this user > a command > a choice payload prefix.
Typed text that names a shown option ("2", or its words without diacritics) counts as
choosing it, which is how Zalo and console users press buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot import ratelimit, staff
from bot.clock import iso
from bot.context import Context, Services
from bot.model import Event, Identity, Option, Reply
from bot.payload import is_number
from bot.store import busy, conversations, people
from bot.textutil import clean_line, fold

log = logging.getLogger(__name__)

Handler = Callable[[Event, Context], Awaitable[list[Reply]]]
Job = Callable[[Services], Awaitable[None]]
Statement = tuple[str, tuple[Any, ...]]  # one write for Database.write_batch
MAX_INPUT_CHARS = 4096


@dataclass(frozen=True)
class Route:
    """A handler and who may reach it."""

    handler: Handler
    staff: bool = False
    registered: bool = True  # only after onboarding
    durable: bool = False  # choice payload checked by the handler, not against the options last shown


@dataclass(frozen=True)
class MenuItem:
    """One button of /menu (leaders) or /admin (staff)."""

    label_key: str
    command: str
    staff: bool
    order: int
    when: Callable[[Context], bool] | None = None  # shown only to whom this says (e.g. province admins)


@dataclass(frozen=True)
class CommandInfo:
    """A command's Vietnamese description for the channel's command list."""

    name: str
    description_key: str
    staff: bool


@dataclass(frozen=True)
class PeriodicJob:
    """A short job the scheduler runs every `seconds` (e.g. enqueue due reminders, a staff digest)."""

    name: str
    seconds: float
    job: Job


@dataclass
class Router:
    """Where every feature module registers its commands, choices, steps and menu entries."""

    commands: dict[str, Route] = field(default_factory=dict)
    command_words: dict[str, str] = field(default_factory=dict)  # folded word -> command
    command_info: list[CommandInfo] = field(default_factory=list)
    choices: dict[str, Route] = field(default_factory=dict)
    steps: dict[str, Route] = field(default_factory=dict)
    menu_items: list[MenuItem] = field(default_factory=list)
    resume: Handler | None = None  # what an unregistered person gets instead of a feature
    jobs: list[PeriodicJob] = field(default_factory=list)
    media_routes: dict[str, Route] = field(default_factory=dict)  # media kind -> handler, outside any step
    free_text: Handler | None = None  # text outside any step that is no command and no option

    def command(
        self, name: str, handler: Handler, *, staff: bool = False, registered: bool = True,
        aliases: tuple[str, ...] = (), describe: str | None = None,
    ) -> None:
        """`/name` (and the bare word `name` or an alias on Zalo/console) runs `handler`."""
        if name in self.commands:
            raise ValueError(f"command /{name} registered twice")
        self.commands[name] = Route(handler, staff=staff, registered=registered)
        for word in (name, name.replace("_", " "), *aliases):
            self.command_words[fold(word)] = name
        if describe:
            self.command_info.append(CommandInfo(name, describe, staff))

    def choice(
        self, prefix: str, handler: Handler, *, staff: bool = False, registered: bool = True,
        durable: bool = False,
    ) -> None:
        """Payloads `prefix` or `prefix:...` run `handler`."""
        if prefix in self.choices or ":" in prefix:
            raise ValueError(f"bad or duplicate choice prefix {prefix!r}")
        self.choices[prefix] = Route(handler, staff=staff, registered=registered, durable=durable)

    def step(self, prefix: str, handler: Handler, *, staff: bool = False, registered: bool = True) -> None:
        """Pending steps `prefix` or `prefix.<anything>` are answered by `handler`."""
        if prefix in self.steps:
            raise ValueError(f"step {prefix!r} registered twice")
        self.steps[prefix] = Route(handler, staff=staff, registered=registered)

    def menu(self, label_key: str, command: str, *, staff: bool = False, order: int = 50,
             when: Callable[[Context], bool] | None = None) -> None:
        """Add a button to /menu (or /admin when staff) that runs `/command` (for those `when` accepts)."""
        self.menu_items.append(MenuItem(label_key, command, staff, order, when))

    def periodic(self, name: str, seconds: float, job: Job) -> None:
        """Run `job(services)` every `seconds` in the scheduler (jobs must be idempotent)."""
        if any(j.name == name for j in self.jobs):
            raise ValueError(f"periodic job {name!r} registered twice")
        self.jobs.append(PeriodicJob(name, seconds, job))

    def media(self, kind: str, handler: Handler, *, staff: bool = False) -> None:
        """Media of this kind ("document", ...) sent outside any step runs `handler`; with staff=True,
        other people's media of that kind get the usual "not needed here" reply."""
        if kind in self.media_routes:
            raise ValueError(f"media {kind!r} registered twice")
        self.media_routes[kind] = Route(handler, staff=staff)

    def on_free_text(self, handler: Handler) -> None:
        """Who answers text typed outside any step that is neither a command nor a shown option
        (handlers/menu.py: greet, or offer to send it to staff). Long pastes reach it whole."""
        self.free_text = handler

    def on_unregistered(self, handler: Handler) -> None:
        """What an unregistered person gets when they reach a feature (onboarding's resume)."""
        self.resume = handler


def match_option(text: str, options: list[Option]) -> Option | None:
    """The option a typed text names: its number ("2") or its label without diacritics."""
    stripped = text.strip().rstrip(".)")
    if is_number(stripped):
        number = int(stripped)
        return options[number - 1] if 1 <= number <= len(options) else None
    key = _label_key(text)
    if not key:
        return None
    return next((o for o in options if _label_key(o.label) == key), None)


def _label_key(text: str) -> str:
    folded = fold(text)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


class Dispatcher:
    """Runs the router for one Event at a time per person and stores what changed."""

    def __init__(self, router: Router, services: Services) -> None:
        self.router = router
        self.services = services
        services.menu = self.build_menu
        self._locks: weakref.WeakValueDictionary[Identity, asyncio.Lock] = weakref.WeakValueDictionary()
        self.limiter = ratelimit.RateLimiter.from_config(services.clock, services.config)

    async def handle(self, event: Event) -> list[Reply]:
        """Answer one event. Never raises for a handler's fault: the user gets a polite error."""
        lock = self._locks.get(event.identity)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[event.identity] = lock
        async with lock:
            return await self._handle(event)

    async def _handle(self, event: Event) -> list[Reply]:
        services = self.services
        now = iso(services.clock.now())
        try:  # a locked database or a full disk must not drop the message silently
            # One read: the person, the options last shown, the conversation, whether stored staff.
            arrival = await busy.retrying(lambda: people.arrive(services.db, event.identity, event.display_name, now))
        except sqlite3.OperationalError as error:
            return self._busy(event, error)
        maybe_staff = arrival.stored_staff or arrival.person is None or services.config.is_admin(event.identity)
        staff_rights = await staff.lookup(services.db, services.config, event.identity) if maybe_staff else None
        # Per-person flood limit (staff exempt), checked before any database write: buttons and typed
        # option numbers are free, commands cheap, free text and uploads dearer (bot/ratelimit.py).
        verdict = None
        if staff_rights is None:
            cost = ratelimit.cost_of(event, self.router.command_words.keys())
            verdict = self.limiter.check(event.identity, cost)
        if verdict is not None and not verdict.allowed:
            return ratelimit.refusal(verdict, services.content.texts)
        try:
            ctx, shown, pending = await busy.retrying(lambda: self._load(event, now, staff_rights, arrival))
        except sqlite3.OperationalError as error:
            return self._busy(event, error)
        # Queued messages to this person wait while the answer is made and for a moment after it
        # goes out (Telegram allows one message a second per chat); a slow handler holds twice.
        services.hooks.hold(ctx.person.id)
        try:
            replies = await self._route(event, ctx, shown)
        except Exception as error:
            if busy.is_busy(error):  # the handler's transaction was rolled back: sending again is safe
                return self._busy(event, error)
            log.exception("handler failed for %s on %s", event.identity, event.kind)
            if pending:  # when the person was seen is still worth keeping
                with contextlib.suppress(sqlite3.OperationalError):
                    await services.db.write_batch(pending)
            return [Reply(ctx.t("core.error"), [ctx.option("core.menu_button", "cmd:menu")])]
        try:
            await busy.retrying(lambda: self._save(ctx, replies, now, pending))
        except sqlite3.OperationalError as error:
            return self._busy(event, error)
        services.hooks.hold(ctx.person.id)
        if verdict is not None and verdict.skipped:
            return [*ratelimit.skipped_notice(verdict, services.content.texts), *replies]
        return replies

    async def _load(self, event: Event, now: str, staff_rights: staff.Staff | None,
                    arrival: people.Arrival) -> tuple[Context, list[Option], list[Statement]]:
        """The person (created on first contact) and their conversation, with their rights; the options
        last shown; the writes left for the update's one transaction (last_seen once a minute)."""
        services = self.services
        person, shown, conversation = arrival.person, arrival.shown, arrival.conversation
        pending = [arrival.seen_statement] if arrival.seen_statement is not None else []
        if arrival.must_touch or person is None:
            person, shown = await people.touch(services.db, event.identity, event.display_name, now)
            conversation = await conversations.load(services.db, person.id)
            pending = []
        return Context(services, event.identity, person, conversation,
                       is_staff=staff_rights is not None, staff=staff_rights), shown, pending

    def _busy(self, event: Event, error: sqlite3.OperationalError) -> list[Reply]:
        """The polite "busy, send again" answer; other database errors are bugs and propagate."""
        if not busy.is_busy(error):
            raise error
        log.warning("database busy for %s on %s: %s", event.identity, event.kind, error)
        texts = self.services.content.texts
        return [Reply(texts("core.busy"), [Option(texts("core.menu_button"), "cmd:menu")])]

    async def _route(self, event: Event, ctx: Context, shown: list[Option]) -> list[Reply]:
        if event.kind == "text":
            if len(event.value) > MAX_INPUT_CHARS and not self._step_route(ctx) and self.router.free_text is None:
                return [ctx.reply("core.too_long", limit=MAX_INPUT_CHARS)]
            text = clean_line(event.value)
            if text.startswith("/") and len(text) > 1:
                name, _, args = text[1:].partition(" ")
                return await self._command(replace(event, kind="command", value=name.split("@")[0].lower(),
                                                   args=args.strip()), ctx)
            chosen = match_option(text, shown) if len(text) <= 80 else None
            if chosen is not None:
                return await self._choice(replace(event, kind="choice", value=chosen.payload), ctx, shown)
            if route := self._step_route(ctx):
                return await self._run(route, event, ctx)
            if command := self.router.command_words.get(fold(text)):
                return await self._command(replace(event, kind="command", value=command, args=""), ctx)
            if self.router.free_text is not None:  # a question typed at the menu is not thrown away
                return await self._run(Route(self.router.free_text), event, ctx)
            return [Reply(ctx.t("core.not_understood"), [ctx.option("core.menu_button", "cmd:menu")])]
        if event.kind == "command":
            return await self._command(event, ctx)
        if event.kind == "choice":
            return await self._choice(event, ctx, shown)
        if route := self._step_route(ctx):
            return await self._run(route, event, ctx)
        media = self.router.media_routes.get(event.value) if event.kind == "media" else None
        if media is not None and (ctx.is_staff or not media.staff):
            return await self._run(media, event, ctx)
        key = "core.contact_unexpected" if event.kind == "contact" else "core.media_unexpected"
        return [Reply(ctx.t(key), [ctx.option("core.menu_button", "cmd:menu")])]

    def _step_route(self, ctx: Context) -> Route | None:
        step = ctx.step
        if not step:
            return None
        return self.router.steps.get(step) or self.router.steps.get(step.split(".")[0])

    async def _command(self, event: Event, ctx: Context) -> list[Reply]:
        route = self.router.commands.get(event.value)
        if route is None:
            return [Reply(ctx.t("core.unknown_command", command=event.value[:32]),
                          [ctx.option("core.menu_button", "cmd:menu")])]
        return await self._run(route, event, ctx)

    async def _choice(self, event: Event, ctx: Context, shown: list[Option]) -> list[Reply]:
        payload = event.value
        prefix = payload.split(":", 1)[0]
        if prefix == "cmd":  # menu buttons: always valid, they only open a command
            return await self._command(replace(event, kind="command", value=payload[4:], args=""), ctx)
        route = self.router.choices.get(prefix)
        if route is None or (not route.durable and payload not in {o.payload for o in shown}):
            log.info("stale or forged choice %r from %s", payload[:64], event.identity)
            return [Reply(ctx.t("core.stale")), *await self._safe_menu(ctx)]
        return await self._run(route, event, ctx)

    async def _run(self, route: Route, event: Event, ctx: Context) -> list[Reply]:
        if route.staff and not ctx.is_staff:
            step_route = self._step_route(ctx)
            if step_route is not None and step_route.staff:  # removed from staff mid-conversation
                ctx.finish()
            return [Reply(ctx.t("core.staff_only"), [ctx.option("core.menu_button", "cmd:menu")])]
        if route.registered and not ctx.person.registered and not ctx.is_staff and self.router.resume:
            return await self.router.resume(event, ctx)
        return await route.handler(event, ctx)

    async def _safe_menu(self, ctx: Context) -> list[Reply]:
        if not ctx.person.registered and not ctx.is_staff and self.router.resume:
            return await self.router.resume(Event(ctx.identity, "command", "start"), ctx)
        return [await self.build_menu(ctx)]

    async def build_menu(self, ctx: Context, staff: bool = False) -> Reply:
        """The main menu (leaders' features, and the staff entry for staff), or the staff menu."""
        items = sorted((i for i in self.router.menu_items if i.staff == staff and (i.when is None or i.when(ctx))),
                       key=lambda i: i.order)
        options = [Option(ctx.t(i.label_key), f"cmd:{i.command}") for i in items]
        if staff:
            options.append(ctx.option("core.menu_button", "cmd:menu"))
            return Reply(ctx.t("core.admin_title"), options)
        if ctx.is_staff:
            options.append(ctx.option("core.admin_button", "cmd:admin"))
        return Reply(ctx.t("core.menu_title"), options)

    async def _save(self, ctx: Context, replies: list[Reply], now: str,
                    pending: list[Statement]) -> None:
        """The update's one write: the conversation, the options shown, and last_seen if due."""
        if ctx.deleted:
            return
        statements = list(pending)
        if ctx.changed:
            statements.append(conversations.save_statement(ctx.person.id, ctx.conversation, now))
        options = [o for reply in replies for o in reply.options]
        if options:
            statements.append(people.options_statement(ctx.identity, options))
        if statements:
            await self.services.db.write_batch(statements)
