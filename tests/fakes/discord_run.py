"""``newsbrief run`` with discord.py pointed at a local fake Discord: the real entry point
in a process of its own, for tests that signal it.

    FAKE_DISCORD_API=http://127.0.0.1:PORT/api/v10 \\
    FAKE_DISCORD_GATEWAY=ws://127.0.0.1:PORT/gateway  python -m tests.fakes.discord_run

discord.py reads Discord's address from class attributes, not from the environment, and
the bot has no setting for it (Discord has one address); this launcher sets them before
handing over to ``bot.cli.main`` with ``run``, so the product keeps no test hook.
"""

from __future__ import annotations

import os
import sys

import discord
from yarl import URL

from bot.cli import main


def point_at_fake() -> None:
    discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = URL(os.environ["FAKE_DISCORD_GATEWAY"])


if __name__ == "__main__":
    point_at_fake()
    sys.argv = ["newsbrief", "run"]
    main()
