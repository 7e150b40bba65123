"""Every text key the dashboard's templates and modules name exists (a missing one is a 500 page),
including the keys built from a prefix and a known set of values."""

from __future__ import annotations

import re
from pathlib import Path

from bot.content import load_content
from bot.roles import ASSOCIATIONS, ROLES
from bot.store import voices

WEB = Path(__file__).resolve().parent.parent / "bot" / "web"
LITERAL = re.compile(r"""["']((?:web|feedback|broadcast|onboarding|aspiration|quiz)\.[a-z0-9_.]+[a-z0-9_])["']""")
AUDIT_ACTIONS = {"web.login", "web.link"}  # audit log action names, not texts
BUILT = {  # prefix ~ value in the templates: every value they can take
    "web.entry_": ("answer", "note"),
    "web.state_": ("sending", "done", "cancelled"),
    "web.report_list_": ("unreachable", "unknown", "unacked", "acked"),
    "web.duplicate_": ("phone", "name"),
    "web.class_": ("yes", "no", "none"),
    "web.field_": ("name", "hamlet", "phone", "birth_year"),
    "feedback.kinds.": voices.KINDS,
    "feedback.statuses.": voices.STATUSES,
    "onboarding.roles.": ROLES,
    "onboarding.associations.": ASSOCIATIONS,
    "aspiration.wishes.": ("yes", "maybe"),
    "broadcast.audience.": ("all", "commune", "role", "no_quiz", "no_rsvp"),
}


def test_every_key_the_dashboard_names_exists() -> None:
    texts = load_content().texts
    missing = []
    for path in sorted([*WEB.rglob("*.html"), *WEB.rglob("*.py")]):
        source = path.read_text(encoding="utf-8")
        for match in LITERAL.finditer(source):
            key = match.group(1)
            if key not in texts and key not in BUILT and key not in AUDIT_ACTIONS:
                missing.append(f"{path.name}: {key}")
    for prefix, values in BUILT.items():
        missing += [f"built: {prefix}{value}" for value in values if f"{prefix}{value}" not in texts]
    assert not missing, "texts missing from content/texts/:\n" + "\n".join(missing)


def test_the_scan_finds_the_keys() -> None:
    source = (WEB / "templates" / "base.html").read_text(encoding="utf-8")
    assert {"web.nav_overview", "web.nav_leaders", "web.logout"} <= set(LITERAL.findall(source))
