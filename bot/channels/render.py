"""Rendering shared by the text-only channels (Zalo, console): options as a numbered list."""

from __future__ import annotations

from bot.model import Reply


def numbered(reply: Reply, hint: str = "", start: int = 1) -> str:
    """The reply's text followed by numbered option lines and a hint.

    Numbers go on across the replies of one answer (`start`), as the router counts them.
    """
    if not reply.options:
        return reply.text
    lines = [numbered_label(i, option.label) for i, option in enumerate(reply.options, start=start)]
    tail = f"\n{hint}" if hint else ""
    return f"{reply.text}\n\n" + "\n".join(lines) + tail


def numbered_label(number: int, label: str) -> str:
    """"2. Vai trò…", or the label alone when it already starts with its own number."""
    return label if label.startswith(f"{number}. ") else f"{number}. {label}"
