"""`caunoi web` (the staff dashboard alone on the database) and `caunoi web-login IDENTITY` (a one-time
login link for a staff member, printed for the server's operator)."""

from __future__ import annotations

import argparse
import asyncio
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    """`caunoi web` and `caunoi web-login`."""
    web = sub.add_parser("web", help="run only the staff web dashboard on the database (no bot token needed)")
    web.add_argument("--listen", metavar="HOST:PORT",
                     help="address to serve on (default: CAUNOI_WEB or 127.0.0.1:8080)")
    login = sub.add_parser("web-login", help="print a one-time web dashboard login link for a staff identity"
                                             " (operator's command: the identity must be staff)")
    login.add_argument("identity", help="tg:123, zalo:abc or console:NAME")
    login.add_argument("--base-url", help="public address of the dashboard (default: CAUNOI_WEB_URL or CAUNOI_WEB)")


def cmd_web(args: argparse.Namespace, config: object) -> int:
    """`caunoi web [--listen HOST:PORT]`: the dashboard alone until Ctrl-C."""
    from bot.config import Config
    from bot.content import ContentError
    from bot.web.server import serve_alone
    from bot.web.settings import load_web_settings

    assert isinstance(config, Config)
    settings = load_web_settings(config, args.listen or config.extra.get("CAUNOI_WEB") or "127.0.0.1:8080")
    assert settings is not None
    try:
        asyncio.run(serve_alone(config, settings))
    except ContentError as exc:
        print("caunoi: content has problems:\n" + str(exc), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"caunoi: cannot listen on {settings.host}:{settings.port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def cmd_web_login(args: argparse.Namespace, config: object) -> int:
    """`caunoi web-login IDENTITY`: print a login link (single use, 10 minutes) for a staff member."""
    from bot.config import Config

    assert isinstance(config, Config)
    return asyncio.run(_web_login(config, args.identity, args.base_url))


async def _web_login(config: object, raw: str, base_url: str | None) -> int:
    from bot.config import Config
    from bot.staff import lookup, parse_identity
    from bot.store import audit, web
    from bot.store.db import Database
    from bot.web.settings import load_web_settings

    assert isinstance(config, Config)
    settings = load_web_settings(config, None)
    base = (base_url or "").rstrip("/") or (settings.base_url if settings else "")
    base = base or config.extra.get("CAUNOI_WEB_URL", "").strip().rstrip("/")
    if not base:
        print("caunoi: set CAUNOI_WEB_URL (or CAUNOI_WEB), or give --base-url", file=sys.stderr)
        return 2
    identity = parse_identity(raw.strip())
    async with Database(config.db_path) as db:
        staff = await lookup(db, config, identity) if identity else None
        if staff is None:
            print(f"caunoi: {raw} is not staff (CAUNOI_ADMINS or caunoi staff add)", file=sys.stderr)
            return 2
        from datetime import UTC, datetime

        from bot.clock import iso

        now = datetime.now(UTC)
        token = await web.create_link(db, str(identity), now)
        await audit.record(db, iso(now), "cli", "web.link", audit.scope_label(staff.commune_filter), str(identity))
    print(f"{base}/login/{token}")
    return 0
