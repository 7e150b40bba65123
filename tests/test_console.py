"""The console channel: a real conversation over stdin/stdout, numbers counted on across replies."""

from __future__ import annotations

import io

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.model import Option, Reply
from bot.router import match_option


async def test_typing_numbers_onboards_through_the_console(app: App) -> None:
    out = io.StringIO()
    lines = "1\nNguyễn Văn An\n1\n2\nThôn Đông\n1\n1\n"
    console = ConsoleChannel(app.dispatch, user="an", stdin=io.StringIO(lines), stdout=out)
    await console.chat("/start")
    text = out.getvalue()
    assert "1. ✅ Tôi đồng ý" in text
    assert "• Xã/phường: Xã Hà Linh" in text and "Thôn Đông" in text
    assert "Đăng ký xong" in text and "Menu chính" in text


def test_numbers_go_on_across_replies_as_the_router_counts(app: App) -> None:
    out = io.StringIO()
    console = ConsoleChannel(app.dispatch, stdout=out)
    first = Reply("Lớp 1", [Option("Tôi sẽ tham dự", "a:1"), Option("Không", "b:1")])
    second = Reply("Lớp 2", [Option("Tôi sẽ tham dự", "a:2"), Option("Không", "b:2")])
    number = console.show(first, 1)
    console.show(second, number)
    assert "3. Tôi sẽ tham dự" in out.getvalue()
    assert match_option("3", [*first.options, *second.options]) == second.options[0]
