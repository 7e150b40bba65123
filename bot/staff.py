"""Who a staff member is and what they may see: the one authorization rule shared by every
staff screen, export and (later) the web dashboard.

A province admin (listed in CAUNOI_ADMINS) sees every commune and manages staff. Commune staff
see only leaders of their communes. Aspirations (political opinion: sensitive personal data
under Law 91/2025/QH15 and Decree 356/2025/NĐ-CP) reach only staff given `sensitive`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.config import Config
from bot.model import Identity
from bot.store.db import Database


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

    CAUNOI_ADMINS is the bootstrap list of province admins; commune staff are stored in the
    database (the staff-roles work extends this lookup)."""
    if config.is_admin(identity):
        return province_admin(identity)
    return None
