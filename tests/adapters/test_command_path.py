"""How many files a slash command crosses from the adapter to the store and back: a real
``/stance Germany`` on Slack (the bolt app over signed HTTP), Discord (discord.py's client
fed a gateway interaction) and the console, each against its local fake, over the real
service and store on SQLite.

What is counted (docs/architecture.md, "A slash command"): the files of the call chain
that carries the request, read off the stack, not every file the request touches.

- At every statement the request sends to the database, the stack of project frames,
  joined across the store's thread hop (the stack that handed the call to the store's
  thread continues the thread's own stack). From the adapter, its files up to and
  including the first file of the store (``bot/store/``) carry the request *to the
  store*; the rest of the stack is the store's inside (its door's thread, the name index,
  the SQL, the connection's BEGIN hook), pinned here but not part of the five.
- When the reply enters the platform's renderer, the stack again: the files that carry
  it *back*.

A helper that is called and returns (parsing the text, the engine's grouping into stories,
the text every renderer shares) is entered but carries nothing: the recorder collects every
project file entered as well (``PathRecorder.entered``), on every thread, and the chain is
always a part of it.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import discord
import pytest
from sqlalchemy import event

from adapters.console.bot import ConsoleBot
from adapters.discord.bot import build_client, login
from adapters.slack.app import build_app, web_client
from bot.service import StoreService
from bot.store import Repository, Store
from briefings.models import Stance
from tests.bot.store.factories import GERMANY, T0, article, opened, statement
from tests.fakes.discord_api import FakeDiscordAPI, interaction_payload
from tests.fakes.slack_api import FakeSlackAPI, served, signed_command

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = frozenset({"adapters", "bot", "briefings", "config"})
STORE = "bot/store/"
MAX_FILES = 5

_files: dict[str, str | None] = {}


def project_file(filename: str) -> str | None:
    """``filename`` relative to the checkout when it is the project's code (not a test)."""
    if filename not in _files:
        try:
            rel = Path(filename).resolve().relative_to(ROOT)
        except ValueError:
            _files[filename] = None
        else:
            _files[filename] = rel.as_posix() if rel.parts[0] in PACKAGES else None
    return _files[filename]


def distinct(files: list[str]) -> list[str]:
    return list(dict.fromkeys(files))


def door(stack: tuple[str, ...]) -> int:
    """Where ``stack`` (outermost first) enters the store: its first file there."""
    for n, name in enumerate(stack):
        if name.startswith(STORE):
            return n
    raise AssertionError(f"a statement sent to the database from outside the store: {stack}")


@dataclass
class PathRecorder:
    """The stacks of one command at the database and at the renderer, outermost frame
    first, and every project file entered while ``recording``."""

    at_database: list[tuple[str, ...]] = field(default_factory=list)
    at_renderer: list[tuple[str, ...]] = field(default_factory=list)
    entered: set[str] = field(default_factory=set)
    recording: bool = False
    _handed: threading.local = field(default_factory=threading.local)

    def stack(self, frame: FrameType | None) -> tuple[str, ...]:
        """Project files on the stack, outermost first: the stack that handed this thread
        its call (when the store did), then this thread's own down to ``frame``."""
        files: list[str] = []
        while frame is not None:
            name = project_file(frame.f_code.co_filename)
            if name is not None:
                files.append(name)
            frame = frame.f_back
        return (*getattr(self._handed, "stack", ()), *reversed(files))

    def to_the_store(self) -> list[str]:
        """The files that carry the request from the adapter to the store's first file."""
        files: list[str] = []
        for stack in self.at_database:
            files.extend(stack[: door(stack) + 1])
        return distinct(files)

    def inside_the_store(self) -> list[str]:
        """The files of the stacks at the database below the store's first file."""
        files: list[str] = []
        for stack in self.at_database:
            files.extend(stack[door(stack) + 1 :])
        return distinct(files)

    def chain(self) -> list[str]:
        """To the store and back: the distinct files, the adapter's first."""
        return distinct([*self.to_the_store(), *(n for s in self.at_renderer for n in s)])

    def _profile(self, frame: FrameType, what: str, _arg: Any) -> None:
        if what != "call" or not self.recording:
            return
        name = project_file(frame.f_code.co_filename)
        if name is None:
            return
        self.entered.add(name)
        if name.endswith("/render.py"):
            stack = self.stack(frame)
            if name not in stack[:-1]:  # the reply enters the renderer (not a call inside it)
                self.at_renderer.append(stack)

    def _statement(self, *_args: Any) -> None:
        if self.recording:
            self.at_database.append(self.stack(sys._getframe(1)))

    def hand_over(self, executor: Executor) -> None:
        """Join the stacks across ``executor``'s threads (the store's): each call submitted
        carries the stack that submitted it."""
        submit = executor.submit

        def submitting(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            handed = self.stack(sys._getframe(1))

            def run() -> Any:
                self._handed.stack = handed
                try:
                    return fn(*args, **kwargs)
                finally:
                    del self._handed.stack

            return submit(run)

        executor.submit = submitting  # type: ignore[method-assign]

    @contextmanager
    def watching(self, repo: Repository) -> Iterator[None]:
        """Profile this thread and every thread started from now on, and watch the
        statements sent to the database."""
        engine = repo.sessions.kw["bind"]
        event.listen(engine, "before_cursor_execute", self._statement)
        threading.setprofile(self._profile)
        sys.setprofile(self._profile)
        try:
            yield
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
            event.remove(engine, "before_cursor_execute", self._statement)

    async def record(self, command: Awaitable[None]) -> PathRecorder:
        """Run ``command`` recording, into a recorder of its own (this one's hooks)."""
        self.at_database, self.at_renderer, self.entered = [], [], set()
        self.recording = True
        try:
            await command
        finally:
            self.recording = False
        return PathRecorder(self.at_database, self.at_renderer, self.entered)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with opened(f"sqlite:///{tmp_path / 'path.db'}") as (_engine, repository):
        for day, words in enumerate(
            ("Our grid can carry the winter load.", "The new levy waits until prices fall.")
        ):
            body = f'The German Economy Minister said: "{words}" Talks resumed later.'
            said = statement(
                body, "The German Economy Minister", words, actor=GERMANY, stance=Stance.SUPPORTS
            )
            new = article(
                body,
                title=f"Energy talks, day {day}",
                url=f"https://news.example/energy/{day}",
                published=T0 + timedelta(days=day),
            )
            assert repository.store_article(new, [said], T0 + timedelta(days=day))
        yield repository


@pytest.fixture
def recorder(repo: Repository) -> Iterator[tuple[PathRecorder, StoreService]]:
    recorder = PathRecorder()
    with recorder.watching(repo):
        # made while watching: the store's threads are profiled from their start
        service = StoreService(Store(repo), now=lambda: T0 + timedelta(days=5))
        recorder.hand_over(service.store._calls)
        try:
            yield recorder, service
        finally:
            service.close()


# Each platform's /stance Germany, twice: the first builds the store's name index (a new
# process, or the first command after ingestion taught names), the second finds it built.


async def slack(
    recorder: PathRecorder, service: StoreService, _monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PathRecorder]:
    fake = FakeSlackAPI()
    await fake.start()
    client = web_client(fake.token, base_url=fake.base)
    app = build_app(service, client=client, signing_secret="path-secret")
    try:
        async with served(app) as url, aiohttp.ClientSession() as session:
            for n in (1, 2):

                async def stance(n: int = n) -> None:
                    body, headers = signed_command(
                        "path-secret",
                        command="/stance",
                        text="Germany",
                        response_url=fake.response_url(),
                    )
                    async with session.post(url, data=body, headers=headers) as response:
                        assert response.status == 200
                    # the answer posted, then its picture uploaded: the command is done
                    await fake.wait_for(lambda f: len(f.named("files.completeUploadExternal")) == n)

                yield await recorder.record(stance())
        posts = fake.named("chat.postMessage")
        assert [p.body["text"][:21] for p in posts] == ["Germany: 2 statements"] * 2
    finally:
        await fake.close()


async def discord_(
    recorder: PathRecorder, service: StoreService, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PathRecorder]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    client = build_client(service, guild_id=600000000000000001)
    webhook = r"/webhooks/\d+/interaction-token"
    try:
        await login(client, fake.token)
        for n in (1, 2):

            async def stance(n: int = n) -> None:
                payload = interaction_payload(
                    name="stance",
                    options=[{"name": "actor", "type": 3, "value": "Germany"}],
                    interaction_id=700000000000000000 + n,
                )
                client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
                await fake.wait_for(lambda f: len(f.matching("POST", webhook)) == n)

            yield await recorder.record(stance())
        titles = [r.body["embeds"][0]["title"][:21] for r in fake.matching("POST", webhook)]
        assert titles == ["Germany: 2 statements"] * 2
    finally:
        await client.close()
        await fake.close()


async def console(
    recorder: PathRecorder, service: StoreService, _monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PathRecorder]:
    bot = ConsoleBot(service, stdin=io.StringIO(), stdout=io.StringIO(), prompt=False)
    answers: list[str | None] = []

    async def stance() -> None:
        answers.append(await bot.answer("/stance Germany"))

    for _ in (1, 2):
        yield await recorder.record(stance())
    assert [(a or "")[:21] for a in answers] == ["Germany: 2 statements"] * 2


ADAPTERS = {
    "slack": ("adapters/slack/app.py", "adapters/slack/render.py", slack),
    "discord": ("adapters/discord/bot.py", "adapters/discord/render.py", discord_),
    "console": ("adapters/console/bot.py", "adapters/console/render.py", console),
}


@pytest.mark.parametrize("platform", list(ADAPTERS))
async def test_stance_crosses_at_most_five_files_from_the_adapter_to_the_store_and_back(
    platform: str,
    recorder: tuple[PathRecorder, StoreService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    watch, service = recorder
    adapter, renderer, run = ADAPTERS[platform]
    cold, warm = [recorded async for recorded in run(watch, service, monkeypatch)]
    for recorded in (cold, warm):
        assert recorded.at_database, "the request never reached the database"
        chain = recorded.chain()
        assert len(chain) <= MAX_FILES, chain
        assert chain == [
            adapter,
            "bot/commands/dispatch.py",
            "bot/service.py",
            "bot/store/store.py",
            renderer,
        ]
        assert set(chain) < recorded.entered  # helpers are entered, not crossed
    # Inside the store, for the record (docs/architecture.md): the store's thread runs the
    # SQL in statements.py; the connection's BEGIN comes from db.py's hook; a name index
    # not built yet is built from the store (the lookup calls back for the names).
    assert cold.inside_the_store() == [
        "bot/store/store.py",
        "bot/store/lookup.py",
        "bot/store/statements.py",
        "bot/store/db.py",
    ]
    assert warm.inside_the_store() == [
        "bot/store/store.py",
        "bot/store/statements.py",
        "bot/store/db.py",
    ]
