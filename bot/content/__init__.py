"""The content loader: reads and validates `content/` (texts, units, topics, quizzes).

Every problem is reported as `file:line: problem`; start-up refuses broken content
with the same messages as `caunoi check-content`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bot.content.problems import Problems
from bot.content.texts import Texts, load_texts
from bot.content.units import Units, load_units


class ContentError(Exception):
    """Content that cannot be used; `problems` lists every `file:line: problem`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Content:
    """Everything the bot says, loaded once at start-up."""

    root: Path
    texts: Texts
    units: Units
    topics: list[Any] = field(default_factory=list)
    quizzes: dict[str, Any] = field(default_factory=dict)


def default_content_dir() -> Path:
    """The `content/` folder shipped with the package."""
    return Path(str(resources.files("content")))


def load_content(root: Path | None = None) -> Content:
    """Load and validate the content folder; raise ContentError listing every problem."""
    root = root or default_content_dir()
    problems = Problems(root)
    texts = load_texts(root, problems)
    units = load_units(root, problems)
    content = Content(root=root, texts=texts, units=units)
    _load_learning(content, problems)
    if problems:
        raise ContentError(problems.messages)
    return content


def _load_learning(content: Content, problems: Problems) -> None:
    """Topics and quizzes, when their loaders exist."""
    try:
        from bot.content.learning import load_learning
    except ImportError:
        return
    load_learning(content, problems)
