"""The commune filter every staff query applies: a SQL condition from a staff member's scope."""

from __future__ import annotations

from collections.abc import Iterable


def commune_in(column: str, communes: Iterable[str] | None) -> tuple[str, list[str]]:
    """(SQL condition, parameters) limiting `column` to `communes`; None = every commune (no limit).

    An empty scope matches nothing, so a staff member who lost every commune sees nothing."""
    if communes is None:
        return "1", []
    names = sorted(set(communes))
    if not names:
        return "0", []
    return f"{column} IN ({', '.join('?' * len(names))})", names


def audience_within(column: str, communes: Iterable[str] | None) -> tuple[str, list[str]]:
    """(SQL condition, parameters): the JSON audience in `column` names a commune list, and every
    commune in it is within `communes` (None = no limit). What commune staff may see of broadcasts
    and classes: those they (or someone over the same communes) sent to their communes only."""
    if communes is None:
        return "1", []
    names = sorted(set(communes))
    inside = f"j.value IN ({', '.join('?' * len(names))})" if names else "0"
    return (f"json_type({column}, '$.communes') = 'array'"
            f" AND json_array_length({column}, '$.communes') > 0"
            f" AND NOT EXISTS (SELECT 1 FROM json_each({column}, '$.communes') j WHERE NOT ({inside}))", names)
