"""Login by one-time link, sessions, CSRF and the staff check every page goes through.

The link from `/web` (or `caunoi web-login`) opens a page with a button: messengers fetch links
for previews, so a GET never uses the token; the button's POST does. The session cookie is
HttpOnly and SameSite=Strict (Secure behind https); every POST carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from bot import roster
from bot import staff as staff_rights
from bot.clock import iso
from bot.model import Identity
from bot.staff import Staff
from bot.store import audit
from bot.store import web as store
from bot.web.render import SERVICES, VISIT, Visit, page
from bot.web.settings import WebSettings

COOKIE = "caunoi_session"
TOUCH_EVERY = timedelta(minutes=1)
PUBLIC = ("/login", "/static/", "/logged-out", "/favicon.ico")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SETTINGS: web.AppKey[WebSettings] = web.AppKey("settings", WebSettings)
# Forms that carry a file may be larger than the app's 256 kB: a roster up to chat's limit, plus the
# multipart framing and the other fields.
UPLOADS = {"/leaders/import": roster.MAX_BYTES + 64 * 1024}


@dataclass
class LoginLimiter:
    """At most `limit` login attempts per address (and 5× that overall) in `window` seconds."""

    limit: int = 10
    window: float = 600.0
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, address: str, now: float | None = None) -> bool:
        """Count one attempt; False when over the limit."""
        moment = time.monotonic() if now is None else now
        for key, cap in ((address, self.limit), ("*", self.limit * 5)):
            times = self.seen.setdefault(key, deque())
            while times and times[0] <= moment - self.window:
                times.popleft()
            if len(times) >= cap:
                return False
        for key in (address, "*"):
            self.seen[key].append(moment)
        if len(self.seen) > 10_000:  # bounded memory under a spray of addresses
            self.seen = {k: v for k, v in self.seen.items() if v and v[-1] > moment - self.window}
        return True


LIMITER: web.AppKey[LoginLimiter] = web.AppKey("limiter", LoginLimiter)


def client_address(request: web.Request) -> str:
    """Who is logging in: the peer, or behind a reverse proxy on this machine the address it saw
    (deploy/nginx-web.conf sets X-Forwarded-For to it); a remote peer's header is not trusted."""
    peer = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if peer in ("127.0.0.1", "::1") and forwarded:
        return forwarded.split(",")[-1].strip()[:64] or peer
    return peer


def refuse(request: web.Request, status: int = 403, key: str = "web.forbidden") -> web.Response:
    """The one refusal page: no rights, another commune's item, or an item that does not exist."""
    return page(request, "error.html", status=status, message_key=key)


def parse_identity(raw: str) -> Identity | None:
    """"tg:123" -> Identity; None when malformed."""
    channel, sep, address = raw.partition(":")
    return Identity(channel, address) if sep and channel and address else None


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the session and the staff member's rights (bot.staff.lookup) before any page;
    check the CSRF token of every POST."""
    if request.path.startswith(PUBLIC):
        return await handler(request)
    services = request.app[SERVICES]
    now = services.clock.now()
    session_id = request.cookies.get(COOKIE, "")
    found = await store.session(services.db, session_id, now, request.app[SETTINGS].idle) if session_id else None
    if found is None:
        return page(request, "login_needed.html", status=401)
    identity = parse_identity(found.identity)
    staff = await staff_rights.lookup(services.db, services.config, identity) if identity else None
    if staff is None:  # removed from staff since logging in: the session ends here
        await store.close_session(services.db, session_id)
        return refuse(request)
    if request.method == "POST" and request.path in UPLOADS:  # before the body is read
        request = request.clone(client_max_size=UPLOADS[request.path])
    request[VISIT] = Visit(staff, found.csrf, session_id)
    if request.method == "POST":
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:  # nothing is kept of it
            if request.path not in UPLOADS:
                raise
            return page(request, "error.html", status=413, message=too_big(request))
        sent = str(form.get("csrf", "")) or request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
            return refuse(request, 403, "web.csrf_failed")
    if now - found.last_seen > TOUCH_EVERY:
        await store.touch_session(services.db, session_id, now)
    return await handler(request)


def too_big(request: web.Request) -> str:
    """What a staff member reads when a form or file is over the limit: chat's roster sentence."""
    error = roster.RosterError("errors.too_big", limit_mb=roster.MAX_BYTES // (1024 * 1024))
    return roster.render_error(request.app[SERVICES].content.texts, error)


def current_staff(request: web.Request) -> Staff:
    """The staff member the middleware resolved."""
    visit: Visit = request[VISIT]
    return visit.staff


async def login_page(request: web.Request) -> web.StreamResponse:
    """GET /login/{token}: a button that uses the link (a link preview must not use it up)."""
    return page(request, "login.html", token=request.match_info["token"])


async def login_submit(request: web.Request) -> web.StreamResponse:
    """POST /login/{token}: use the token once, open a session, set the cookie, audit the login."""
    services = request.app[SERVICES]
    if not request.app[LIMITER].allow(client_address(request)):
        return refuse(request, 429, "web.too_many_logins")
    now = services.clock.now()
    identity_text = await store.redeem(services.db, request.match_info["token"], now)
    identity = parse_identity(identity_text) if identity_text else None
    staff = await staff_rights.lookup(services.db, services.config, identity) if identity else None
    if staff is None:
        return refuse(request, 403, "web.link_invalid")
    session_id, _ = await store.open_session(services.db, str(identity), now)
    await audit.record(services.db, iso(now), str(identity), "web.login", audit.scope_label(staff.commune_filter))
    response = web.HTTPSeeOther("/")
    set_cookie(response, request, session_id)
    raise response


def set_cookie(response: web.StreamResponse, request: web.Request, session_id: str) -> None:
    """HttpOnly, SameSite=Strict, Secure behind https; no Max-Age (ends with the browser too)."""
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="Strict", path="/",
                        secure=request.app[SETTINGS].secure or request.secure)


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: end the session (CSRF-checked by the middleware)."""
    services = request.app[SERVICES]
    await store.close_session(services.db, request[VISIT].session_id)
    response = web.HTTPSeeOther("/logged-out")
    response.del_cookie(COOKIE, path="/")
    raise response


async def logged_out(request: web.Request) -> web.StreamResponse:
    """GET /logged-out: confirmation."""
    return page(request, "logged_out.html")
