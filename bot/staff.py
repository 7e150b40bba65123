"""Who a staff member is and what they may see: the one authorization rule shared by every
staff screen, export and (later) the web dashboard.

A province admin (listed in CAUNOI_ADMINS) sees every commune and manages staff. Commune staff
see only leaders of their communes. Aspirations (political opinion: sensitive personal data
under Law 91/2025/QH15 and Decree 356/2025/NĐ-CP) reach only staff given `sensitive`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.config import CHANNEL_ALIASES, Config
from bot.model import Identity
from bot.store import staff as stored
from bot.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Staff:
    """One staff member's rights. `communes` is ignored for province admins (they see all)."""

    identity: Identity
    province: bool
    communes: frozenset[str] = frozenset()
    sensitive: bool = False

    @property
    def commune_filter(self) -> frozenset[str] | None:
        """The communes to filter on, or None for every commune (province admins)."""
        return None if self.province else self.communes

    def covers(self, commune: str | None) -> bool:
        """Whether this staff member may see or act on a leader of `commune`."""
        if self.province:
            return True
        return commune is not None and commune in self.communes

    def narrow(self, communes: Iterable[str] | None) -> frozenset[str] | None:
        """The communes asked for, cut to those this staff member covers (None = all of theirs)."""
        if communes is None:
            return self.commune_filter
        asked = frozenset(communes)
        return asked if self.province else asked & self.communes


def province_admin(identity: Identity) -> Staff:
    """A province admin from CAUNOI_ADMINS: every commune, aspirations included."""
    return Staff(identity=identity, province=True, sensitive=True)


async def lookup(db: Database, config: Config, identity: Identity) -> Staff | None:
    """The staff rights of `identity`, or None for a leader.

    CAUNOI_ADMINS is the bootstrap list of province admins; other staff are stored in the
    database (one primary-key probe per update, so a removal takes effect at the next press)."""
    if config.is_admin(identity):
        return province_admin(identity)
    member = await stored.get(db, str(identity))
    if member is None:
        return None
    return Staff(identity=identity, province=member.province, communes=member.communes, sensitive=member.sensitive)


def parse_identity(text: str) -> Identity | None:
    """`tg:123`, `zalo:abc`, `console:an` (channel aliases as in CAUNOI_ADMINS); None if malformed."""
    channel, sep, address = text.strip().partition(":")
    name = CHANNEL_ALIASES.get(channel.strip().lower())
    address = address.strip()
    if not sep or name is None or not address or len(address) > 64 or any(c.isspace() for c in address):
        return None
    if name == "tg" and not address.lstrip("-").isdigit():
        return None
    return Identity(name, address)


async def warn_orphaned(db: Database, communes: Iterable[str]) -> list[tuple[str, str]]:
    """At start-up: one log line per staff member assigned to a commune no longer in units.yaml
    (renamed or removed): they no longer see that commune's leaders under its new name."""
    found = await stored.orphaned(db, frozenset(communes))
    by_member: dict[str, list[str]] = {}
    for identity, commune in found:
        by_member.setdefault(identity, []).append(commune)
    for identity, names in by_member.items():
        log.warning("staff %s is assigned to communes not in units.yaml: %s (rename them with"
                    " `caunoi staff add %s --commune NEW`)", identity, ", ".join(names), identity)
    return found
