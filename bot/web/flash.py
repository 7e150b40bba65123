"""What a form did, shown after its redirect (POST → 303 → GET, so a reload never repeats the action).

The result is kept in memory for its session only, ten minutes at most, under a random id carried
in the URL (`?r=…`): a reload of the result page shows it again, another session finds nothing, and
nothing of it (a roster report names leaders and phones) reaches the database or the logs.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlencode

from aiohttp import web

from bot.web.render import VISIT, Visit

TTL = 600.0  # seconds a result stays visible
MOST = 2000  # results kept at once in all (the oldest go first)


@dataclass
class Flashes:
    """Results by (session, id), with when they stop being shown (monotonic seconds)."""

    kept: dict[tuple[str, str], tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def put(self, session_id: str, values: dict[str, Any], now: float | None = None) -> str:
        """Keep `values` for the session; return the id for the URL."""
        moment = time.monotonic() if now is None else now
        self.kept = {key: kept for key, kept in self.kept.items() if kept[0] > moment}
        while len(self.kept) >= MOST:
            del self.kept[next(iter(self.kept))]
        token = secrets.token_urlsafe(12)
        self.kept[(session_id, token)] = (moment + TTL, values)
        return token

    def get(self, session_id: str, token: str, now: float | None = None) -> dict[str, Any]:
        """The session's result under `token`, or {} when it is unknown, someone else's or expired."""
        moment = time.monotonic() if now is None else now
        found = self.kept.get((session_id, token))
        return dict(found[1]) if found and found[0] > moment else {}


FLASH: web.AppKey[Flashes] = web.AppKey("flash", Flashes)


def redirect(request: web.Request, location: str, **values: Any) -> NoReturn:
    """Answer a form with 303 to `location`, which shows `values` (notice=…, error=…, report=…)."""
    visit: Visit = request[VISIT]
    token = request.app[FLASH].put(visit.session_id, values)
    separator = "&" if "?" in location else "?"
    raise web.HTTPSeeOther(f"{location}{separator}{urlencode({'r': token})}")


def recall(request: web.Request) -> dict[str, Any]:
    """The result the URL's `r` names for this session ({} if none)."""
    token = request.query.get("r", "")
    visit: Visit | None = request.get(VISIT)
    if not token or visit is None:
        return {}
    return request.app[FLASH].get(visit.session_id, token)
