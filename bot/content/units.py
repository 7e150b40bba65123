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
# The kind each prefix names, and how it is written. A merged commune can hold both a village's
# "Thôn 3" and a former town's "Tổ dân phố 3": a numbered name keeps its kind in the key.
_KINDS = {"to dan pho": "tdp", "tdp": "tdp", "to": "tdp", "thon": "thon", "xom": "xom", "ban": "ban",
          "khu": "khu", "khu dan cu": "kdc", "kdc": "kdc"}
_KIND_NAMES = {"tdp": "Tổ dân phố", "thon": "Thôn", "xom": "Xóm", "ban": "Bản", "khu": "Khu", "kdc": "Khu dân cư"}
NUMBERED_KINDS = frozenset(_KIND_NAMES)
_NUMBER = re.compile(r"\b(?:so\s+)?0*(\d+)\b")


def _split_hamlet(text: str | None) -> tuple[str, str, str]:
    """(kind, folded rest, rest as typed) of a hamlet name: "tdp 03" -> ("tdp", "03", "03")."""
    typed = " ".join(nfc(text or "").split())
    words = " ".join("".join(ch if ch.isalnum() else " " for ch in fold(typed)).split())
    for prefix in HAMLET_PREFIXES:
        if words.startswith(prefix + " "):
            count = len(prefix.split())
            return _KINDS[prefix], words[len(prefix) + 1:], " ".join(typed.split()[count:])
    return "", words, typed


def tidy_hamlet(text: str) -> str:
    """A typed hamlet name written the usual way: "thon 2" -> "Thôn 2", "tdp 03" -> "Tổ dân phố 3",
    "thon trung thuy" -> "Thôn Trung Thuy"; a name without a known prefix is kept as typed."""
    kind, folded, rest = _split_hamlet(text)
    if not kind or not folded:
        return " ".join(nfc(text).split())
    number = _NUMBER.sub(lambda m: m.group(1), folded).strip()  # "03", "so 5"
    if number.isdigit():
        return f"{_KIND_NAMES[kind]} {int(number)}"
    return f"{_KIND_NAMES[kind]} {' '.join(w[:1].upper() + w[1:] for w in rest.split())}"


def hamlet_key(text: str | None) -> str:
    """How hamlet names are compared: "Tổ dân phố 03", "tdp 3", "to 3" -> "tdp 3" ("Thôn 3" -> "thon 3":
    a number keeps its kind); "Thôn Trung Thủy", "thon trung thuy", "Trung Thuỷ" -> "trung thuy"."""
    kind, words, _ = _split_hamlet(text)
    key = _NUMBER.sub(lambda m: m.group(1), words).strip()
    return f"{kind} {key}" if kind and key.isdigit() else key
