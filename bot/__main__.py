"""`python -m bot` is the same as `caunoi`."""

from bot.cli import main

raise SystemExit(main())
