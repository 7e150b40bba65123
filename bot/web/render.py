"""Jinja2 pages: templates shipped in the package, autoescaped, Vietnamese texts by key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.clock import parse_iso
from bot.context import Services
from bot.staff import Staff

SERVICES: web.AppKey[Services] = web.AppKey("services", Services)


@dataclass(frozen=True, slots=True)
class Visit:
    """Who is asking, resolved once per request by the session middleware."""

    staff: Staff
    csrf: str
    session_id: str


# aiohttp ≥ 3.13 wants typed request keys; older versions take the plain string.
VISIT: Any = web.RequestKey("visit", Visit) if hasattr(web, "RequestKey") else "visit"


def environment() -> Environment:
    """The template environment (one per web app)."""
    env = Environment(loader=PackageLoader("bot.web", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def local_time(services: Services, stamp: str | None) -> str:
    """A stored UTC stamp as local wall time, 08:05 01/12/2026."""
    if not stamp:
        return ""
    return parse_iso(stamp).astimezone(services.config.tz).strftime("%H:%M %d/%m/%Y")


def number(value: int) -> str:
    """Vietnamese thousands separator: 3000 -> "3.000"."""
    return f"{value:,}".replace(",", ".")


def page(request: web.Request, name: str, status: int = 200, **values: Any) -> web.Response:
    """Render `name` with the texts, the staff member, the CSRF token and `values`."""
    services = request.app[SERVICES]
    env: Environment = request.app[ENV]
    template = env.get_template(name)
    visit: Visit | None = request.get(VISIT)
    html = template.render(
        t=services.content.texts, staff=visit.staff if visit else None, csrf=visit.csrf if visit else "",
        path=request.path, local=lambda stamp: local_time(services, stamp), number=number,
        now=datetime.now(services.config.tz), **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


ENV: web.AppKey[Environment] = web.AppKey("jinja", Environment)
