"""/content: the learning content's state — topics and when each was last checked, the registry of
cited documents, and what `caunoi check-content` says now. No personal data: every staff member."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from aiohttp import web

from bot.content import default_content_dir
from bot.content.audit import Report, audit_folder
from bot.content.problems import Problems
from bot.content.references import Reference, is_stale, load_references
from bot.web.render import SERVICES, page


def routes(router: web.UrlDispatcher) -> None:
    """Register the content status page."""
    router.add_get("/content", show)


def _read(folder: Path, today: date) -> tuple[Report, list[Reference]]:
    report = audit_folder(folder, today)
    registry = load_references(folder, Problems(folder))
    return report, sorted(registry.values(), key=lambda r: r.number)


async def show(request: web.Request) -> web.StreamResponse:
    """GET /content: topics, references, check-content problems and warnings (read in a worker thread)."""
    services = request.app[SERVICES]
    today = services.clock.now().astimezone(services.config.tz).date()
    folder = services.config.content_dir or default_content_dir()
    report, references = await asyncio.to_thread(_read, folder, today)
    topics = [{"id": t.id, "title": t.title, "checked": t.checked,
               "stale": t.checked is not None and is_stale(t.checked, today)} for t in services.content.topics]
    return page(request, "content.html", topics=topics, references=references, report=report)
