"""Every text key the code names literally exists in content/texts/ (a missing one would crash a reply)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.content import load_content

ROOT = Path(__file__).resolve().parent.parent
# ctx.t("a.b"), ctx.reply("a.b"), ctx.option("a.b", …), t("a.b"), describe="a.b", router.menu("a.b", …)
KEY_USE = re.compile(
    r"""(?:\bt|\.reply|\.option|\.menu|texts)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']|describe=["']([a-z_]+\.[a-z0-9_.]+)["']"""
)


def test_literal_text_keys_exist() -> None:
    texts = load_content().texts
    missing: list[str] = []
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            for match in KEY_USE.finditer(source):
                key = match.group(1) or match.group(2)
                if key not in texts:
                    line = source.count("\n", 0, match.start()) + 1
                    missing.append(f"{path.relative_to(ROOT)}:{line}: {key}")
    assert not missing, "texts missing from content/texts/:\n" + "\n".join(missing)


def test_the_scan_finds_keys() -> None:
    source = (ROOT / "handlers" / "onboarding.py").read_text(encoding="utf-8")
    assert len(KEY_USE.findall(source)) > 20
