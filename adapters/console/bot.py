"""The console adapter: the embedded default when no chat token is configured.

Lines typed in the terminal are commands (``/stance Germany``), answered on standard
output; briefings print there too. End of input (Ctrl-D) ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
from collections.abc import AsyncIterator
from typing import TextIO

from adapters.console.render import render_briefing, render_reply
from bot.commands import TOP_LEVEL, CommandRequest, handle, parse_line
from bot.ports import ChannelRef
from bot.service import Service
from briefings.models import Briefing

log = logging.getLogger(__name__)

PLATFORM = "console"
CONSOLE_CHANNEL = ChannelRef(PLATFORM, "local", "terminal")
CONSOLE_USER = "console"
EXIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
GREETING = "newsbrief console: type /newsbrief help for the commands, Ctrl-D to leave."


class ConsolePublisher:
    """Prints briefings to the terminal."""

    platform = PLATFORM

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        self.out.write(render_briefing(briefing) + "\n")
        self.out.flush()


async def read_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines of ``stream`` without blocking the loop: a pipe or terminal is read by the
    loop itself (so Ctrl-C never waits on a thread); anything else in a worker thread."""
    reader = asyncio.StreamReader()
    protocol = asyncio.StreamReaderProtocol(reader)
    try:
        stream.fileno()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_read_pipe(lambda: protocol, stream)
    except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
        piped = False
    else:
        piped = True
    if not piped:
        while line := await asyncio.to_thread(stream.readline):
            yield line
        return
    try:
        while raw := await reader.readline():
            yield raw.decode("utf-8", "replace")
    finally:
        transport.close()
        # The loop made the descriptor non-blocking; give the terminal back as it was.
        with contextlib.suppress(OSError, ValueError):
            os.set_blocking(stream.fileno(), True)


class ConsoleBot:
    """Reads commands from ``stdin`` until it ends; the local user is the manager."""

    def __init__(
        self,
        service: Service,
        *,
        stdin: TextIO,
        stdout: TextIO,
        channel: ChannelRef = CONSOLE_CHANNEL,
        prompt: bool = True,
    ) -> None:
        self.service = service
        self.stdin = stdin
        self.stdout = stdout
        self.channel = channel
        self.prompt = prompt

    def _write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def answer(self, line: str) -> str | None:
        """The printed answer to one typed line (None for a blank line)."""
        if not line.strip():
            return None
        command, text = parse_line(line)
        if command not in TOP_LEVEL:
            return f"Unknown command {line.split()[0]!r}. Type /newsbrief help."
        request = CommandRequest.from_text(
            command, text, self.channel, CONSOLE_USER, is_manager=True
        )
        return render_reply(await handle(self.service, request))

    async def run(self) -> None:
        """Answer lines until end of input or "quit"."""
        if self.prompt:
            self._write(GREETING)
        async for line in read_lines(self.stdin):
            if line.strip().lower() in EXIT_WORDS:
                break
            answer = await self.answer(line)
            if answer is not None:
                self._write(answer)
        with contextlib.suppress(ValueError):
            self.stdout.flush()
