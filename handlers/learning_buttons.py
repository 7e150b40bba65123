"""Learning buttons: topics (handlers/topics.py) and quizzes (handlers/quiz.py), one declaration per
kind (bot.callback). Each module offers the other's buttons (read the topic again, take its quiz),
so both build them from here.

They live on in older messages (end of a topic, old questions): their form never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.callback import Payload


@dataclass(frozen=True)
class TopicSummary(Payload, head="tp"):
    """A topic's summary."""

    topic: str


@dataclass(frozen=True)
class TopicSection(Payload, head="tp"):
    """Section `section` (1-based) of a topic; kept as text so a bad number still names the topic."""

    topic: str
    section: str

    @classmethod
    def of(cls, topic: str, number: int) -> str:
        """The payload of section `number`."""
        return cls(topic, str(number)).pack()


@dataclass(frozen=True)
class Pick(Payload, head="qz:pick"):
    """Choose a quiz."""


@dataclass(frozen=True)
class NewQuiz(Payload, head="qz:new"):
    """Start a quiz: a topic id or MIX."""

    quiz: str


@dataclass(frozen=True)
class Resume(Payload, head="qz:go"):
    """Go on with an open attempt."""

    attempt_id: int


@dataclass(frozen=True)
class QuizAnswer(Payload, head="qa"):
    """Option number `shown` (as shown) for question number `position` of an attempt."""

    attempt_id: int
    position: int
    shown: int
