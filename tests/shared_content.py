"""The shipped content, loaded and checked once per test process: loading it takes ~0.1 s, and
the app fixtures and the Telegram rig open hundreds of apps. Nothing changes content at run time."""

from __future__ import annotations

import functools

from bot.content import Content, default_content_dir, load_content


@functools.cache
def shipped_content() -> Content:
    """The content/ folder shipped with the package, loaded once."""
    return load_content(default_content_dir())
