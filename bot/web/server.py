"""The dashboard's aiohttp application, run beside the bot (`caunoi run --web`) or alone (`caunoi web`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from importlib import resources

from aiohttp import web

from bot.config import Config
from bot.context import Services
from bot.router import PeriodicJob
from bot.scheduler import Scheduler
from bot.web import (
    admission,
    auth,
    broadcasts,
    class_edit,
    classes,
    content_status,
    downloads,
    flash,
    inbox,
    leaders,
    leaders_repair,
    overview,
    results,
    roster_import,
    staff_audit,
    staff_manage,
)
from bot.web.render import ENV, SERVICES, environment, page
from bot.web.settings import WebSettings

log = logging.getLogger(__name__)
# Periodic jobs that only tidy the database. `caunoi run` runs them with every other job; the dashboard
# alone (`caunoi web`, no channels, so no scheduler of the bot) runs these, so what the law says must go
# still goes: roster files wait one day at most (handlers/roster_upload.py).
HOUSEKEEPING = ("roster.expire_uploads",)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
                               " frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the login link's token must not leak through Referer
    "Cache-Control": "no-store",
}


@web.middleware
async def headers_middleware(request: web.Request, handler: auth.Handler) -> web.StreamResponse:
    """Security headers on every response; a 404 as a Vietnamese page."""
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = page(request, "error.html", status=404, message_key="web.not_found")
    except web.HTTPException as exc:
        exc.headers.update(HEADERS)
        raise
    response.headers.update(HEADERS)
    return response


def build_app(services: Services, settings: WebSettings) -> web.Application:
    """The dashboard: every route, the middlewares, the packaged static files."""
    app = web.Application(middlewares=[headers_middleware, auth.session_middleware], client_max_size=256 * 1024)
    app[SERVICES] = services
    app[ENV] = environment()
    app[auth.SETTINGS] = settings
    app[auth.LIMITER] = auth.LoginLimiter()
    app[flash.FLASH] = flash.Flashes()  # results shown after a form's redirect
    app.router.add_get("/login/{token}", auth.login_page)
    app.router.add_post("/login/{token}", auth.login_submit)
    app.router.add_get("/logged-out", auth.logged_out)
    app.router.add_post("/logout", auth.logout)
    app.router.add_get("/", overview.show)
    roster_import.routes(app.router)
    leaders_repair.routes(app.router)  # before /leaders/{id} so /leaders/claims is not an id
    leaders.routes(app.router)
    inbox.routes(app.router)
    results.routes(app.router)
    admission.routes(app.router)
    class_edit.routes(app.router)
    classes.routes(app.router)
    broadcasts.routes(app.router)
    downloads.routes(app.router)
    content_status.routes(app.router)
    staff_audit.routes(app.router)
    staff_manage.routes(app.router)
    static = resources.files("bot.web") / "static"
    app.router.add_static("/static/", str(static))
    return app


class WebServer:
    """The dashboard as a component of the bot (started and stopped with the channels)."""

    def __init__(self, services: Services, settings: WebSettings) -> None:
        self.services, self.settings = services, settings
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on the configured address."""
        self.runner = web.AppRunner(build_app(self.services, self.settings), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.settings.host, self.settings.port).start()
        log.info("web dashboard on %s:%s (links: %s)", self.settings.host, self.settings.port, self.settings.base_url)

    @property
    def port(self) -> int:
        """The port actually bound (a configured port 0 picks a free one)."""
        assert self.runner is not None and self.runner.addresses, "not started"
        return int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening and finish in-flight requests."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


def housekeeping(jobs: list[PeriodicJob], services: Services) -> Scheduler:
    """The scheduler of `caunoi web`: the HOUSEKEEPING jobs only (sending needs the bot's channels),
    the first run at start."""
    return Scheduler([job for job in jobs if job.name in HOUSEKEEPING], services, first_run_after=0.0)


async def serve_alone(config: Config, settings: WebSettings) -> None:
    """`caunoi web`: the dashboard on the database, no channels (queued answers wait for the bot)."""
    from bot.app import open_app

    app = await open_app(config)
    server = WebServer(app.services, settings)
    app.components.append(housekeeping(app.dispatcher.router.jobs, app.services))  # stopped by app.close()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # event loops without signal handlers (Windows)
            loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        for component in app.components:
            await component.start()
        print(f"Cầu Nối web: {settings.base_url} (caunoi web-login IDENTITY prints a login link)", flush=True)
        await stop.wait()
    finally:
        await server.stop()
        await app.close()
