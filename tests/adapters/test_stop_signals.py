"""Issue 12, acceptance 3: SIGTERM during a briefing leaves nothing half-posted and nothing
lost, and the next start completes it once.

``newsbrief run`` runs as its own process in Socket Mode against the fake Slack Web API
(served from a thread of this process, on loopback). The channel's briefing is three
messages; the fake holds the second unanswered, the test sends SIGTERM, waits for the bot
to say it is stopping, and lets the second message through. The bot records it, posts no
third, and exits 0 with its clients closed. A second start posts the third message only.
Everything waited for is an event (a request the fake received, a line the bot logged);
nothing is timed.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from bot.ingest import FetchedItem
from bot.ports import ChannelRef
from bot.runtime import build_runtime
from briefings.models import Actor, Article, Kind, Span, Statement
from config.settings import load_settings
from tests.fakes.discord_api import FakeDiscordAPI
from tests.fakes.service import TOKEN_ENV
from tests.fakes.slack_api import TEAM, FakeSlackAPI
from tests.timing import PATIENT

ROOT = Path(__file__).resolve().parents[2]
NEWS = "C0000NEWS"
CHANNEL = ChannelRef("slack", TEAM, NEWS)
STORIES = 20
OUTLETS = 3  # each story reported by three outlets: its sources take sections of their own
SPEAKERS = 10
GERMANY = Actor("DE", "Germany")
DISCORD_CHANNEL = ChannelRef("discord", "100000000000000001", "200000000000000002")


class Served(Protocol):
    async def start(self) -> str: ...

    async def close(self) -> None: ...

    async def wait_for(self, predicate: Any) -> None: ...


F = TypeVar("F", bound=Served)


def _word(n: int, salt: int) -> str:
    """A made-up word of its own for each (n, salt): no two articles share vocabulary, so
    each is a story of its own."""
    letters = "bcdfghjklmnpqrstvwxz"
    vowels = "aeiou"
    out, value = [], n * 7919 + salt * 104729 + 17
    for _ in range(4):
        out.append(letters[value % 20] + vowels[(value // 20) % 5])
        value //= 100
    return "".join(out)


def _name(article: int, speaker: int) -> str:
    return f"{_word(article, speaker + 1).title()} {_word(speaker, article + 50).title()}"


def _article_text(article: int) -> str:
    sentences = []
    for speaker in range(SPEAKERS):
        words = " ".join(_word(article * 100 + speaker, k) for k in range(40))
        sentences.append(f"“{words},” said {_name(article, speaker)}.")
    return " ".join(sentences)


class SaidExtractor:
    """“words,” said Name Surname. → a direct statement for Germany (a stand-in engine)."""

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        import re

        pattern = re.compile(r"“(?P<content>[^”]+),” said (?P<name>[A-Z]\w+ [A-Z]\w+)\.")
        return [
            [
                Statement(
                    speaker=Span(m.start("name"), m.end("name"), m["name"]),
                    speaker_name=m["name"],
                    role=None,
                    actor=GERMANY,
                    cue=None,
                    content=Span(m.start("content"), m.end("content"), m["content"]),
                    kind=Kind.DIRECT,
                )
                for m in pattern.finditer(article.text)
            ]
            for article in articles
        ]

    async def aclose(self) -> None:
        return None


async def _prepare(data_dir: Path, channel: ChannelRef = CHANNEL) -> None:
    """The channel as a manager left it three hours ago (hourly briefings, 20 stories of 10
    bullets) and the news it has not had: a briefing of three Slack messages (more on
    Discord) is due."""
    started = datetime.now(UTC) - timedelta(hours=3)
    settings = load_settings(data_dir=data_dir, database_url=None)
    runtime = await build_runtime(settings, {}, now=lambda: started, extractor=SaidExtractor())
    try:
        # Long links (as some outlets have): a story's three sources need three sections.
        items = [
            FetchedItem(
                guid=f"a{n}-{o}",
                url=f"https://news{o}.example.org/{_word(n, o) * 150}/{n}",
                title=f"{_word(n, 900).title()} {_word(n, 901)} {_word(n, 902)}",
                published=started - timedelta(minutes=n),
                outlet=f"The Example Herald {o}",
                text=f"From our desk number {o}. " + _article_text(n),
            )
            for n in range(STORIES)
            for o in range(OUTLETS)
        ]
        summary = await runtime.ingest_items(items)
        assert summary.statements_new == STORIES * OUTLETS * SPEAKERS, summary
        await runtime.service.subscribe(channel, schedule="0 * * * *", timezone="UTC")
        await runtime.service.set_length(channel, 20, 10)
    finally:
        await runtime.aclose()


class FakeThread(Generic[F]):
    """A platform fake on an event loop of its own in a thread (the bot is another
    process)."""

    def __init__(self, fake: F) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, fn: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def wait_for(self, predicate: Callable[[F], bool]) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.wait_for(predicate), self.loop).result(
            PATIENT + 5
        )

    @contextmanager
    def served(self) -> Iterator[F]:
        self.thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(PATIENT)
            yield self.fake
        finally:
            asyncio.run_coroutine_threadsafe(self.fake.close(), self.loop).result(PATIENT)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(PATIENT)
            self.loop.close()


def slack_env(fake: FakeSlackAPI) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_APP_TOKEN": fake.app_token,
        "NEWSBRIEF_SLACK_API_URL": fake.base,
    }


def discord_env(fake: FakeDiscordAPI) -> dict[str, str]:
    # discord.py's address is set by the test-side launcher (tests/fakes/discord_run.py).
    return {
        "DISCORD_TOKEN": fake.token,
        "FAKE_DISCORD_API": fake.base,
        "FAKE_DISCORD_GATEWAY": fake.gateway,
    }


NEWSBRIEF_RUN = [str(Path(sys.executable).with_name("newsbrief")), "run"]
DISCORD_RUN = [sys.executable, "-m", "tests.fakes.discord_run"]


class Bot:
    """``newsbrief run`` as its own process; its log lines (stderr) read as they come."""

    def __init__(
        self,
        platform_env: Mapping[str, str],
        data_dir: Path,
        cwd: Path,
        command: Sequence[str] = NEWSBRIEF_RUN,
    ) -> None:
        env = {
            k: v for k, v in os.environ.items() if k not in TOKEN_ENV and "proxy" not in k.lower()
        }
        env.update(platform_env)
        env.update(
            {
                "NEWSBRIEF_DATA_DIR": str(data_dir),
                "NEWSBRIEF_NLP_PROCESSES": "0",
                "NEWSBRIEF_STOP_GRACE_SECONDS": str(PATIENT),
                # the launcher is imported from the project (the tests are not installed)
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            }
        )
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            for line in self.process.stderr:
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, text: str) -> str:
        while True:
            line = self._queue.get(timeout=PATIENT)
            assert line is not None, f"the bot ended before saying {text!r}:\n" + "\n".join(
                self.lines
            )
            self.lines.append(line)
            if text in line:
                return line

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self) -> int:
        code = self.process.wait(PATIENT)
        while (line := self._queue.get(timeout=PATIENT)) is not None:
            self.lines.append(line)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(PATIENT)


def _deliveries(data_dir: Path) -> list[tuple[str, int, int]]:
    with sqlite3.connect(data_dir / "newsbrief.db") as db:
        rows = db.execute(
            "SELECT status, sent, messages FROM deliveries WHERE messages > 0 ORDER BY slot"
        )
        return [(str(a), int(b), int(c)) for a, b, c in rows]


def test_sigterm_while_a_briefing_is_posted_finishes_its_message_and_the_next_start_the_rest(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    asyncio.run(_prepare(data_dir))
    slack = FakeThread(FakeSlackAPI())
    with slack.served() as fake:
        fake.hold_post = 2  # the briefing's second message waits for the test
        bot = Bot(slack_env(fake), data_dir, tmp_path)
        try:
            slack.wait_for(lambda f: f.held == 1)
            bot.process.send_signal(signal.SIGTERM)
            bot.wait_for_line("SIGTERM: stopping")
            bot.wait_for_line("finish their message first")
            slack.call(fake.release)  # the message being posted when SIGTERM came goes out
            assert bot.wait() == 0, "\n".join(bot.lines)
        finally:
            bot.kill()
        first_run = [p.body["text"] for p in fake.posted]
        log = "\n".join(bot.lines)
        assert "Traceback" not in log, log
        assert "stopped at message 3 of 3" in log
        assert "newsbrief stopped (SIGTERM)" in log
        slack.wait_for(lambda f: f.sockets_open == 0)  # the Socket Mode connection closed
        # Two messages out, the third not begun; the delivery kept to be finished.
        assert len(first_run) == 2 and first_run[0].endswith("(1/3)"), first_run
        assert first_run[1].endswith("(2/3)")
        assert _deliveries(data_dir) == [("sending", 2, 3)]

        fake.hold_post = 0
        again = Bot(slack_env(fake), data_dir, tmp_path)
        try:
            slack.wait_for(lambda f: len(f.posted) == 3)
            again.wait_for_line("newsbrief running")
            assert again.stop() == 0, "\n".join(again.lines)
        finally:
            again.kill()
        assert "Traceback" not in "\n".join(again.lines)

    texts = [p.body["text"] for p in fake.posted]
    title = texts[0].removesuffix(" (1/3)")
    # Every message of the briefing once, in order: none twice, none missing.
    assert texts == [f"{title} ({n}/3)" for n in (1, 2, 3)]
    blocks = [str(p.body["blocks"]) for p in fake.posted]
    assert len(set(blocks)) == 3
    assert _deliveries(data_dir) == [("delivered", 3, 3)]
    assert fake.violations == []


def _discord_expected(data_dir: Path) -> list[tuple[str, list[str]]]:
    """The delivery's messages as the renderer makes them from the stored briefing:
    (content, embed titles) each."""
    from adapters.discord.render import render_briefing
    from briefings.codec import briefing_from_json

    with sqlite3.connect(data_dir / "newsbrief.db") as db:
        [(stored,)] = db.execute("SELECT briefing FROM deliveries WHERE messages > 0")
    return [
        (m.content, [str(e.get("title")) for e in m.embeds])
        for m in render_briefing(briefing_from_json(stored))
    ]


def _discord_posted(fake: FakeDiscordAPI) -> list[tuple[str, list[str]]]:
    return [
        (p.body.get("content") or "", [str(e.get("title")) for e in p.body.get("embeds") or []])
        for p in fake.posted
    ]


def test_sigterm_on_discord_finishes_the_message_being_posted_and_the_next_start_the_rest(
    tmp_path: Path,
) -> None:
    """The same on Discord: the real ``newsbrief run`` (through a launcher that points
    discord.py at the fake), its gateway connection and its REST client."""
    data_dir = tmp_path / "data"
    asyncio.run(_prepare(data_dir, DISCORD_CHANNEL))
    discord = FakeThread(FakeDiscordAPI())
    with discord.served() as fake:
        fake.hold_post = 2  # the briefing's second message: created, its answer held
        bot = Bot(discord_env(fake), data_dir, tmp_path, DISCORD_RUN)
        try:
            discord.wait_for(lambda f: f.held == 1)
            bot.process.send_signal(signal.SIGTERM)
            bot.wait_for_line("SIGTERM: stopping")
            bot.wait_for_line("finish their message first")
            discord.call(fake.release)  # the message being posted is answered: recorded
            assert bot.wait() == 0, "\n".join(bot.lines)
        finally:
            bot.kill()
        log = "\n".join(bot.lines)
        assert "Traceback" not in log, log
        [(status, sent, total)] = _deliveries(data_dir)
        assert (status, sent) == ("sending", 2) and total >= 3, log
        assert f"stopped at message 3 of {total}" in log
        assert "newsbrief stopped (SIGTERM)" in log
        discord.wait_for(lambda f: f.gateway_open == 0)  # the gateway connection closed
        expected = _discord_expected(data_dir)
        assert _discord_posted(fake) == expected[:2]  # nothing half-posted, none begun

        fake.hold_post = 0
        again = Bot(discord_env(fake), data_dir, tmp_path, DISCORD_RUN)
        try:
            discord.wait_for(lambda f: len(f.posted) == total)
            again.wait_for_line("newsbrief running")
            assert again.stop() == 0, "\n".join(again.lines)
        finally:
            again.kill()
        assert "Traceback" not in "\n".join(again.lines)

    # Every message of the briefing once, in order: none twice, none missing.
    assert _discord_posted(fake) == expected
    assert _deliveries(data_dir) == [("delivered", total, total)]
    assert fake.violations == []


def test_a_discord_message_cut_off_by_a_second_sigterm_is_not_posted_twice_after_a_restart(
    tmp_path: Path,
) -> None:
    """A second signal cuts the briefing off while Discord has created message 2 but not
    answered: the bot cannot know it is out, and the next start posts it again, with the
    same nonce (Discord's ``enforce_nonce``), so Discord answers with the message it made
    and creates no second one."""
    data_dir = tmp_path / "data"
    asyncio.run(_prepare(data_dir, DISCORD_CHANNEL))
    discord = FakeThread(FakeDiscordAPI())
    with discord.served() as fake:
        fake.hold_post = 2
        bot = Bot(discord_env(fake), data_dir, tmp_path, DISCORD_RUN)
        try:
            discord.wait_for(lambda f: f.held == 1)
            bot.process.send_signal(signal.SIGTERM)
            bot.wait_for_line("finish their message first")
            bot.process.send_signal(signal.SIGTERM)
            bot.wait_for_line("SIGTERM again: stopping now")
            assert bot.wait() == 0, "\n".join(bot.lines)
        finally:
            bot.kill()
            discord.call(fake.release)
        log = "\n".join(bot.lines)
        assert "Traceback" not in log, log
        assert "cut off while posting a message" in log
        [(status, sent, total)] = _deliveries(data_dir)
        assert (status, sent) == ("sending", 1), log
        expected = _discord_expected(data_dir)
        assert _discord_posted(fake) == expected[:2]  # message 2 is out, unbeknown to the bot

        fake.hold_post = 0
        again = Bot(discord_env(fake), data_dir, tmp_path, DISCORD_RUN)
        posts = r"/channels/\d+/messages"
        try:
            # messages 2 to the last asked for again: 2 + (total - 1) requests in all
            discord.wait_for(lambda f: len(f.matching("POST", posts)) == total + 1)
            again.wait_for_line("newsbrief running")
            assert again.stop() == 0, "\n".join(again.lines)
        finally:
            again.kill()
        assert "Traceback" not in "\n".join(again.lines)

    assert _discord_posted(fake) == expected  # message 2 once
    assert _deliveries(data_dir) == [("delivered", total, total)]
    assert fake.violations == []
