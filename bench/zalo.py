"""How fast the Zalo channel answers, against the bare dispatcher in the same run.

    .venv/bin/python bench/zalo.py [--messages 300]

Three runs, each with N different users sending /help once (fresh database each time):
- baseline: the dispatcher called directly (router + SQLite, no network);
- polling: updates queued on the fake Zalo Bot API (loopback), fetched one per getUpdates
  as Zalo delivers them, answered with sendMessage;
- webhook: the same updates POSTed to the bot's webhook server, 20 at a time.
It prints messages answered per second and each channel's ratio to the baseline. The fake
server answers at once and runs in the same process and event loop as the bot (and, for the
webhook, as the client posting updates), so this measures our overhead, not Zalo's network.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App, build_channels, open_app
from bot.channels.zalo import ZaloChannel
from bot.config import Secret, load_config
from bot.model import Event, Identity
from tests.fake_zalo import TOKEN, FakeZalo


async def fresh_app(folder: Path, name: str, zalo: FakeZalo | None) -> App:
    config = load_config(env={"CAUNOI_DB": str(folder / f"{name}.sqlite3")}, dotenv=folder / "none.env")
    if zalo is not None:
        config = replace(config, zalo_token=Secret(TOKEN), zalo_api_url=zalo.url, zalo_rate=0.0)
    return await open_app(config)


async def baseline(folder: Path, count: int) -> float:
    app = await fresh_app(folder, "baseline", None)
    try:
        started = time.perf_counter()
        for i in range(count):
            await app.dispatch(Event(Identity("zalo", f"u{i}"), "text", "/help"))
        return time.perf_counter() - started
    finally:
        await app.close()


async def through_zalo(folder: Path, count: int, webhook: bool) -> float:
    async with FakeZalo(poll_cap=0.05) as zalo:
        app = await fresh_app(folder, "webhook" if webhook else "polling", zalo)
        options = {"webhook_url": "https://bench.example.org/hook", "listen": "127.0.0.1:0"} if webhook else {}
        app.channels = build_channels(app, options)
        channel = app.channels["zalo"]
        assert isinstance(channel, ZaloChannel)
        await channel.start()
        try:
            updates = [zalo.text(f"u{i}", "/help", queue=not webhook) for i in range(count)]
            started = time.perf_counter()
            if webhook:
                local = f"http://127.0.0.1:{channel.webhook_port}/hook"
                async with httpx.AsyncClient(timeout=10) as client:
                    for at in range(0, count, 20):
                        batch = updates[at:at + 20]
                        statuses = await asyncio.gather(*(zalo.post_webhook(u, url=local, client=client)
                                                          for u in batch))
                        assert set(statuses) == {200}, statuses
            await zalo.wait_sent(count, within=120)
            return time.perf_counter() - started
        finally:
            await app.close()


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = await baseline(folder, count)
        polling = await through_zalo(folder, count, webhook=False)
        hook = await through_zalo(folder, count, webhook=True)
    print(f"{count} users, one /help each")
    print(f"baseline (dispatcher only): {count / base:8.0f} msg/s")
    for name, seconds in (("zalo polling", polling), ("zalo webhook", hook)):
        print(f"{name:27s} {count / seconds:8.0f} msg/s  ratio to baseline {base / seconds:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    asyncio.run(main(parser.parse_args().messages))
