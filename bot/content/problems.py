"""A list of `file:line: problem` messages collected while loading content."""

from __future__ import annotations

from pathlib import Path


class Problems:
    """Collects content problems with paths relative to the content root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.messages: list[str] = []

    def add(self, path: Path, line: int, problem: str) -> None:
        """Record one problem at `path:line`."""
        try:
            shown = path.relative_to(self.root.parent)
        except ValueError:
            shown = path
        self.messages.append(f"{shown}:{line}: {problem}")

    def __bool__(self) -> bool:
        return bool(self.messages)

    def __len__(self) -> int:
        return len(self.messages)
