"""The staff web dashboard: aiohttp + Jinja2 pages served by the bot (`caunoi run --web`) or alone
(`caunoi web`). Every page resolves the staff member through `bot.staff.lookup`, the same rule
the chat router uses, and filters with the same Staff rights."""
