"""Administrative units: `content/units.yaml`, communes (xã/phường) and their hamlets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.problems import Problems
from bot.content.yamlfile import LineDict, load_checked
from bot.textutil import fold, nfc


@dataclass(frozen=True)
class Commune:
    """A commune or ward and the hamlets (thôn, tổ dân phố) listed for it."""

    name: str
    hamlets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Units:
    """The communes the bot offers in onboarding, in order."""

    province: str = ""
    communes: tuple[Commune, ...] = field(default_factory=tuple)

    def find(self, typed: str) -> Commune | None:
        """The commune whose name matches `typed`, diacritics folded."""
        key = fold(typed)
        return next((c for c in self.communes if fold(c.name) == key), None)


def load_units(root: Path, problems: Problems) -> Units:
    """Read and check units.yaml: unique commune names, unique hamlets per commune."""
    path = root / "units.yaml"
    if not path.is_file():
        problems.add(path, 1, "units.yaml is missing")
        return Units()
    data = load_checked(path, problems)
    if data is None:
        return Units()
    if not isinstance(data, LineDict) or not isinstance(data.get("communes"), list):
        problems.add(path, 1, "expected 'province:' and a list 'communes:'")
        return Units()
    communes: list[Commune] = []
    seen: set[str] = set()
    for item in data["communes"]:
        line = getattr(item, "line", data.line_of("communes"))
        if not isinstance(item, LineDict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            problems.add(path, line, "each commune needs a 'name'")
            continue
        name = nfc(item["name"].strip())
        if fold(name) in seen:
            problems.add(path, line, f"commune '{name}' is listed twice")
        seen.add(fold(name))
        hamlets_raw = item.get("hamlets") or []
        if not isinstance(hamlets_raw, list):
            problems.add(path, item.line_of("hamlets"), f"hamlets of '{name}' must be a list")
            hamlets_raw = []
        hamlets: list[str] = []
        for hamlet in hamlets_raw:
            text = nfc(str(hamlet).strip())
            if not text:
                problems.add(path, item.line_of("hamlets"), f"empty hamlet name in '{name}'")
            elif hamlet_key(text) in {hamlet_key(h) for h in hamlets}:  # "Thôn 3" and "thon 03" are one
                problems.add(path, item.line_of("hamlets"), f"hamlet '{text}' is listed twice in '{name}'")
            else:
                hamlets.append(text)
        communes.append(Commune(name=name, hamlets=tuple(hamlets)))
    if not communes:
        problems.add(path, data.line_of("communes"), "no commune listed")
    return Units(province=nfc(str(data.get("province", "")).strip()), communes=tuple(communes))


# Words a hamlet name may start with, folded, longest first: "tổ dân phố 3", "tdp 3", "thôn 3".
HAMLET_PREFIXES = ("to dan pho", "khu dan cu", "tdp", "thon", "xom", "ban", "khu", "to", "kdc")
_NUMBER = re.compile(r"\b(?:so\s+)?0*(\d+)\b")


def hamlet_key(text: str | None) -> str:
    """How hamlet names are compared: "Tổ dân phố 03", "tdp 3", "to 3" -> "3";
    "Thôn Trung Thủy", "thon trung thuy", "Trung Thuỷ" -> "trung thuy"."""
    folded = fold(text or "")
    words = " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())
    for prefix in HAMLET_PREFIXES:
        if words == prefix:
            break
        if words.startswith(prefix + " "):
            words = words[len(prefix) + 1:]
            break
    return _NUMBER.sub(lambda m: m.group(1), words).strip()
