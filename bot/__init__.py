"""Cầu Nối — how the bot runs: config, store, content loader, channels, scheduler, outbox, CLI."""
