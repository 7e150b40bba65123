"""Channels: Telegram (python-telegram-bot), Zalo (httpx), console. They know only the model and a dispatch function."""
