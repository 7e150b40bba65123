"""YAML loading that remembers line numbers, so content errors can say `file:line: problem`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.content.problems import Problems


class LineDict(dict[str, Any]):
    """A mapping from YAML with the line of the mapping and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Line of `key`, or of the mapping when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence from YAML with the line where it starts (1-based)."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[str(key)] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Load one YAML file; raises yaml.YAMLError (with its mark) on syntax errors."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)


def load_checked(path: Path, problems: Problems) -> Any:
    """Load one YAML file; a syntax error becomes a `file:line` problem and None."""
    try:
        return load_yaml(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(path, (mark.line + 1) if mark else 1, f"YAML syntax error: {exc}")
        return None


def line_of(value: Any, default: int = 1) -> int:
    """The remembered line of a loaded mapping or list."""
    return getattr(value, "line", default) or default
