"""UI texts: `content/texts/<feature>.yaml`, looked up as `<feature>.<key>`."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from bot.content.problems import Problems
from bot.content.yamlfile import LineDict, load_checked


class Texts:
    """Vietnamese texts by key; `t("onboarding.done", name="An")` formats with str.format."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries

    def __call__(self, key: str, /, **values: Any) -> str:
        try:
            template = self.entries[key]
        except KeyError:
            raise KeyError(f"missing text '{key}' in content/texts/") from None
        return template.format(**values) if values else template

    def __contains__(self, key: str) -> bool:
        return key in self.entries


def _flatten(prefix: str, data: LineDict, path: Path, problems: Problems, out: dict[str, str]) -> None:
    for key, value in data.items():
        full = f"{prefix}.{key}"
        if isinstance(value, LineDict):
            _flatten(full, value, path, problems, out)
        elif isinstance(value, str) and value.strip():
            try:
                list(string.Formatter().parse(value))
            except ValueError as exc:
                problems.add(path, data.line_of(key), f"text '{full}': bad {{placeholder}}: {exc}")
                continue
            out[full] = value.rstrip("\n")
        else:
            problems.add(path, data.line_of(key), f"text '{full}' must be non-empty text")


def load_texts(root: Path, problems: Problems) -> Texts:
    """Read every `texts/*.yaml`; the file name (before the first dot) is the key prefix."""
    folder = root / "texts"
    entries: dict[str, str] = {}
    if not folder.is_dir():
        problems.add(folder, 1, "folder texts/ is missing")
        return Texts(entries)
    for path in sorted(folder.glob("*.yaml")):
        data = load_checked(path, problems)
        if data is None:
            continue
        if not isinstance(data, LineDict):
            problems.add(path, 1, "expected a mapping of text keys")
            continue
        _flatten(path.name.split(".")[0], data, path, problems, entries)
    return Texts(entries)
