"""The console adapter: typed lines in, printed answers out, briefings printed."""

from __future__ import annotations

import io
import os

from adapters.console.bot import CONSOLE_CHANNEL, ConsoleBot, ConsolePublisher, read_lines
from tests.fakes.service import make_briefing, sample_service


async def test_typed_commands_are_answered_until_end_of_input() -> None:
    service = sample_service()
    stdin = io.StringIO("/stance Germany\n\n/briefing topics add gas\n/briefing status\n")
    stdout = io.StringIO()
    await ConsoleBot(service, stdin=stdin, stdout=stdout).run()
    out = stdout.getvalue()
    assert out.startswith("newsbrief console: type /newsbrief help")
    assert "Germany: 2 statements" in out
    assert "Topics: gas" in out  # the console user is the channel's manager
    assert service.channels[CONSOLE_CHANNEL].topics == ["gas"]


async def test_quit_ends_the_session_and_unknown_words_get_a_hint() -> None:
    stdin = io.StringIO("hello there\nquit\n/stance Germany\n")
    stdout = io.StringIO()
    await ConsoleBot(sample_service(), stdin=stdin, stdout=stdout, prompt=False).run()
    assert stdout.getvalue() == "Unknown command 'hello'. Type /newsbrief help.\n"


async def test_errors_print_one_line_never_a_traceback() -> None:
    service = sample_service()
    service.fail_with = RuntimeError("secret internals")
    bot = ConsoleBot(service, stdin=io.StringIO(), stdout=io.StringIO(), prompt=False)
    answer = await bot.answer("/briefing status")
    assert answer is not None and answer.startswith("error: Something went wrong")
    assert "secret internals" not in answer and "Traceback" not in answer


async def test_lines_from_a_pipe_are_read_by_the_loop() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "w") as writer:
        writer.write("/newsbrief help\n/stance France\n")
    with os.fdopen(read_fd, "r") as reader:
        lines = [line async for line in read_lines(reader)]
    assert lines == ["/newsbrief help\n", "/stance France\n"]


async def test_the_publisher_prints_the_briefing() -> None:
    out = io.StringIO()
    await ConsolePublisher(out).publish(CONSOLE_CHANNEL, make_briefing(actors=1))
    assert out.getvalue().startswith("═══ Morning briefing · 2024-05-06 ═══\n")
    assert "Speaker 000 (Country 000, Foreign Minister) said:" in out.getvalue()


async def test_a_long_line_is_refused_in_one_short_line() -> None:
    service = sample_service()
    bot = ConsoleBot(service, stdin=io.StringIO(), stdout=io.StringIO(), prompt=False)
    answer = await bot.answer("/stance " + "Germany " * 750)
    assert answer is not None and answer.count("\n") == 0
    assert "too long" in answer and len(answer) < 200
    assert service.calls == []
