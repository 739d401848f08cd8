"""``newsbrief run`` / ``demo``: which adapters start, clean stops, fail-fast tokens,
secrets kept out of logs, and the demo end to end (no network)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.console.bot import CONSOLE_CHANNEL
from bot.cli_run import (
    OFFLINE,
    demo_items,
    plan_adapters,
    run_bot,
    secrets_of,
    stance_candidates,
)
from bot.defaults import default_feeds
from bot.errors import ConfigurationError
from bot.ports import Publisher
from config.logging import REDACTED, configure_logging, redact
from config.settings import Settings
from tests.fakes.discord_api import FakeDiscordAPI
from tests.fakes.service import TOKEN_ENV, FakeService, make_briefing, sample_service
from tests.fakes.slack_api import FakeSlackAPI


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def no_tokens_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TOKEN_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"NEWSBRIEF_{name}", raising=False)


@pytest.mark.parametrize(
    ("values", "plan"),
    [
        ({}, ["console"]),
        ({"DISCORD_TOKEN": "d"}, ["discord"]),
        ({"SLACK_BOT_TOKEN": "b", "SLACK_APP_TOKEN": "a"}, ["slack-socket"]),
        ({"SLACK_BOT_TOKEN": "b", "SLACK_SIGNING_SECRET": "s"}, ["slack-http"]),
        (
            {"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "i", "SLACK_CLIENT_SECRET": "c"},
            ["slack-oauth"],
        ),
        (
            {"DISCORD_TOKEN": "d", "SLACK_BOT_TOKEN": "b", "SLACK_APP_TOKEN": "a"},
            ["discord", "slack-socket"],
        ),
    ],
)
def test_plan_adapters_from_the_tokens(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], plan: list[str]
) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert plan_adapters(settings()) == plan


def test_a_half_configured_slack_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-only")
    with pytest.raises(ConfigurationError, match="SLACK_APP_TOKEN"):
        plan_adapters(settings())


def test_tokens_are_secret_and_redacted_from_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    discord_token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
    monkeypatch.setenv("DISCORD_TOKEN", discord_token)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1111-2222-abcdefabcdef")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A111-222-abcdef")
    loaded = settings()
    assert discord_token not in repr(loaded) and discord_token not in str(loaded.model_dump())
    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    handler = configure_logging("INFO", secrets_of(loaded), stream=stream)
    try:
        log = logging.getLogger("tests.redaction")
        log.info("connecting with %s", discord_token)
        log.warning("slack said no to xoxb-9999-8888-zzzzzzzzzzzz and %s", "xapp-1-A111-222-abcdef")
        try:
            raise RuntimeError(f"Authorization: Bot {discord_token}")
        except RuntimeError:
            log.exception("login failed")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        assert root.handlers == handlers
    text = stream.getvalue()
    assert discord_token not in text
    assert "xoxb-" not in text and "xapp-" not in text
    assert text.count(REDACTED) >= 4
    assert "login failed" in text and "RuntimeError" in text


def test_redact_leaves_ordinary_text_alone() -> None:
    line = "Germany: 2 statements, 2024-05-02 to 2024-05-04 · https://news.example.org/a.b.c"
    assert redact(line) == line


class FakeRuntime:
    """What run_bot needs of a Runtime, over the in-memory service."""

    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.publishers: dict[str, Publisher] = {}
        self.started = False
        self.closed = False

    async def start(self) -> None:
        self.started = True

    async def stop(self, grace: float, hurry: Any = None) -> None:
        self.stopped = True

    async def aclose(self) -> None:
        self.closed = True


async def test_run_with_no_tokens_is_the_console_until_end_of_input() -> None:
    runtime = FakeRuntime(sample_service(briefing=make_briefing(actors=1)))

    async def factory(_settings: Settings, _publishers: Any) -> Any:
        return runtime

    asked: list[str] = []

    async def online(urls: Sequence[str]) -> bool:
        asked.extend(urls)
        return True

    stdout = io.StringIO()
    await run_bot(
        settings(),
        stdin=io.StringIO("/stance France\n"),
        stdout=stdout,
        runtime_factory=factory,
        online=online,
    )
    assert runtime.started and runtime.closed
    assert "France: 1 statement" in stdout.getvalue()
    assert set(runtime.publishers) == {"console"}
    assert runtime.service.channels[CONSOLE_CHANNEL].schedule == "0 8 * * *"
    # the first run subscribes the console to the default feeds
    defaults = [url for url, _ in default_feeds()]
    assert asked == defaults
    assert list(runtime.service.channels[CONSOLE_CHANNEL].feeds) == defaults


async def test_a_first_run_without_network_says_so_in_one_line_and_shows_the_demo() -> None:
    runtime = FakeRuntime(sample_service())
    ingested: list[Any] = []

    async def ingest_items(items: Sequence[Any]) -> None:
        ingested.extend(items)

    runtime.ingest_items = ingest_items  # type: ignore[attr-defined]

    async def factory(_settings: Settings, _publishers: Any) -> Any:
        return runtime

    async def offline(_urls: Sequence[str]) -> bool:
        return False

    stdout = io.StringIO()
    await run_bot(
        settings(), stdin=io.StringIO(""), stdout=stdout, runtime_factory=factory, online=offline
    )
    lines = [line for line in stdout.getvalue().splitlines() if "No network" in line]
    assert lines == [OFFLINE]
    assert ingested and all(item.text for item in ingested)
    assert not runtime.service.channels[CONSOLE_CHANNEL].feeds


def test_the_default_feeds_are_public_world_desks_in_https() -> None:
    feeds = default_feeds()
    assert len(feeds) >= 10
    assert all(url.startswith("https://") and title for url, title in feeds)
    assert len({url.split("/")[2] for url, _ in feeds}) == len(feeds)  # one per outlet


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.close()


async def test_run_with_a_wrong_discord_token_fails_fast_and_cleans_up(
    monkeypatch: pytest.MonkeyPatch, discord_api: FakeDiscordAPI
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "wrong-token")
    runtime = FakeRuntime(sample_service())

    async def factory(_settings: Settings, _publishers: Any) -> Any:
        return runtime

    with pytest.raises(ConfigurationError, match="Discord refused the token"):
        await run_bot(settings(), runtime_factory=factory)
    assert runtime.closed and not runtime.started
    assert discord_api.matching("GET", "/users/@me")


def test_the_packaged_demo_feed_reads_without_network() -> None:
    items = demo_items()
    assert [i.guid for i in items] == ["energy-reserve", "grain-corridor", "climate-fund"]
    assert all(i.text.strip() and i.published and i.url.startswith("https://") for i in items)
    assert {i.outlet for i in items} == {"newsbrief sample wire"}


def test_stance_candidates_prefer_actors_then_named_speakers() -> None:
    briefing = make_briefing(actors=2)
    assert stance_candidates(briefing) == ["Country 000", "Country 001"]


def _no_network_prefix() -> list[str]:
    """``unshare -rn`` (a network namespace with no interfaces but loopback, down) when the
    machine allows it, so "no network" is enforced, not just hoped for."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, check=False)
    return [unshare, "-rn"] if probe.returncode == 0 else []


def _cli(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in TOKEN_ENV}
    env.update(
        {
            "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
            "NEWSBRIEF_NLP_PROCESSES": "0",
            # No network: any proxy use would fail rather than leave the machine.
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
        }
    )
    return subprocess.run(
        [*_no_network_prefix(), str(Path(sys.executable).with_name("newsbrief")), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )


def test_newsbrief_demo_prints_a_briefing_and_a_stance_answer(tmp_path: Path) -> None:
    result = _cli(["demo"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ingested the sample feed:" in out and "articles new: 3" in out
    assert "Leaders split over a shared energy reserve at Lisbon summit" in out
    # The /stance answer: its summary line and at least one statement with its source.
    stance = out.split("\n> /stance ", 1)[1]
    actor, summary = stance.splitlines()[:2]
    assert re.match(rf"{re.escape(actor)}: [1-9]\d* statements?, 2024-05-0\d", summary)
    assert "https://demo.newsbrief.invalid/2024/05/" in stance
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists(), "the demo leaves no database behind"


def test_newsbrief_run_without_tokens_answers_typed_commands_and_exits_at_eof(
    tmp_path: Path,
) -> None:
    result = _cli(["run"], tmp_path, stdin="/newsbrief help\n/stance France\n/briefing status\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    # No network here: one line says so, and the packaged demo feed stands in.
    assert out[0] == OFFLINE
    assert out[1].startswith("newsbrief console: type /newsbrief help")
    assert any(line.startswith("/stance <actor> [topic] [days] - what") for line in out)
    assert any(re.match(r"France: \d+ statements?.* · matched as country", line) for line in out)
    assert "Schedule: 0 8 * * * (UTC)" in out  # the console channel's embedded default
    assert "INFO bot.cli_run: newsbrief running: console" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "data" / "newsbrief.db").exists()


def test_newsbrief_run_says_a_bad_command_in_one_line(tmp_path: Path) -> None:
    result = _cli(["run"], tmp_path, stdin="/briefing schedule daily 25:00\n/launch rockets\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[2:] == [
        "error: 'daily 25:00' is not a time of day",
        "Unknown command '/launch'. Type /newsbrief help.",
    ]


@contextlib.contextmanager
def served_from_a_thread(fake: FakeDiscordAPI | FakeSlackAPI) -> Iterator[str]:
    """Serve ``fake`` on an event loop of its own in a thread (the command under test runs
    its own loop, or is another process); yields its base URL, stops it afterwards."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(fake.start(), loop).result(timeout=30)
    finally:
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def test_newsbrief_run_with_a_wrong_discord_token_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The real ``newsbrief run`` command (its own event loop) against the fake Discord API,
    served from a thread of its own: exit 2 and one line, no traceback, no token."""
    from bot.cli import app

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    fake = FakeDiscordAPI()
    try:
        with served_from_a_thread(fake) as base:
            # discord.py has no setting for its REST base: the test points it at the fake.
            monkeypatch.setattr(discord.http.Route, "BASE", base)
            monkeypatch.setenv(
                "DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.wrongwrongwrongwrongwrong0"
            )
            monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path))
            monkeypatch.setenv("NEWSBRIEF_NLP_PROCESSES", "0")
            monkeypatch.chdir(tmp_path)
            with pytest.raises(SystemExit) as exited:
                app(["run"])
    finally:
        # The command installed the bot's log handler; take it off again.
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    assert exited.value.code == 2
    err = capfd.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("newsbrief:")] == [
        "newsbrief: Discord refused the token (DISCORD_TOKEN): check it in the environment or .env."
    ]
    assert "Traceback" not in err and "wrongwrong" not in err
    assert [r.path for r in fake.requests] == ["/users/@me"]


def test_newsbrief_run_with_a_wrong_slack_token_stops_with_one_line(tmp_path: Path) -> None:
    """``newsbrief run`` as its own process, Socket Mode configured with tokens the fake Slack
    Web API (reached through NEWSBRIEF_SLACK_API_URL) refuses: exit 2 with one line, no
    traceback, no token in the output."""
    bot_token = "xoxb-1111-2222-wrongwrongwrong"
    app_token = "xapp-1-A1111-2222-wrongwrongwrong"
    fake = FakeSlackAPI()
    with served_from_a_thread(fake) as base:
        # Loopback only, and no proxy in the way (slack_sdk would send through one).
        env = {
            k: v for k, v in os.environ.items() if k not in TOKEN_ENV and "proxy" not in k.lower()
        }
        env.update(
            {
                "SLACK_BOT_TOKEN": bot_token,
                "SLACK_APP_TOKEN": app_token,
                "NEWSBRIEF_SLACK_API_URL": base,
                "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
                "NEWSBRIEF_NLP_PROCESSES": "0",
            }
        )
        result = subprocess.run(
            [str(Path(sys.executable).with_name("newsbrief")), "run"],
            input="",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("newsbrief:")] == [
        "newsbrief: Slack refused the bot token (SLACK_BOT_TOKEN): invalid_auth."
    ]
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "wrongwrong" not in output and "xoxb-" not in output and "xapp-" not in output
    # The fake was asked, with the token given: the setting reached the client.
    [asked] = fake.calls
    assert asked.method == "auth.test"
    assert asked.headers["Authorization"] == f"Bearer {bot_token}"


def _run_subprocess(
    env_values: dict[str, str], tmp_path: Path, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """``newsbrief run`` as its own process with ``env_values`` and no proxy."""
    env = {k: v for k, v in os.environ.items() if k not in TOKEN_ENV and "proxy" not in k.lower()}
    env.update(
        {"NEWSBRIEF_DATA_DIR": str(tmp_path / "data"), "NEWSBRIEF_NLP_PROCESSES": "0"} | env_values
    )
    return subprocess.run(
        [*prefix, str(Path(sys.executable).with_name("newsbrief")), "run"],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> list[str]:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "wrongwrong" not in output and "xoxb-" not in output and "xapp-" not in output
    return [line for line in result.stderr.splitlines() if line.startswith("newsbrief:")]


def test_newsbrief_run_with_a_wrong_slack_app_token_stops_with_one_line(tmp_path: Path) -> None:
    """Issue 12, finding 4: the bot token is right, the app token wrong. The app token is
    checked once at start (apps.connections.open), and the bot stops with exit 2 and one
    line instead of saying it runs and retrying every 10 s with a traceback."""
    fake = FakeSlackAPI()
    with served_from_a_thread(fake) as base:
        result = _run_subprocess(
            {
                "SLACK_BOT_TOKEN": fake.token,
                "SLACK_APP_TOKEN": "xapp-1-A1111-2222-wrongwrongwrong",
                "NEWSBRIEF_SLACK_API_URL": base,
            },
            tmp_path,
        )
    assert result.returncode == 2, result.stderr
    assert _one_line(result) == [
        "newsbrief: Slack refused the app token (SLACK_APP_TOKEN): invalid_auth."
    ]
    assert "newsbrief running" not in result.stderr
    assert [c.method for c in fake.calls] == ["auth.test", "apps.connections.open"]
    assert fake.sockets_open == 0


@pytest.mark.parametrize(
    ("tokens", "line"),
    [
        (
            {"DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.wrongwrongwrongwrongwrong0"},
            r"newsbrief: cannot reach Discord \(ClientConnectorDNSError: .*\): check the network\.",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1-wrongwrong", "SLACK_APP_TOKEN": "xapp-1-wrongwrong"},
            r"newsbrief: cannot reach Slack \(ClientConnectorDNSError: .*\): check the network\.",
        ),
    ],
    ids=["discord", "slack"],
)
def test_newsbrief_run_with_no_network_stops_with_one_line(
    tokens: dict[str, str], line: str, tmp_path: Path
) -> None:
    """Issue 12, finding 11: no network at start (a network namespace without one) is exit 2
    and one line, not a 70-line traceback."""
    prefix = _no_network_prefix()
    if not prefix:
        pytest.skip("this machine cannot make a network namespace (unshare -rn) to test in")
    result = _run_subprocess(tokens, tmp_path, prefix)
    assert result.returncode == 2, result.stderr
    [said] = _one_line(result)
    assert re.fullmatch(line, said), said


def test_newsbrief_run_whose_first_gateway_connection_fails_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Issue 12, finding 11: the token is right (REST login passes) but the gateway cannot
    be reached: exit 2 and one line, no AttributeError, no retry loop."""
    from yarl import URL

    from bot.cli import app

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    fake = FakeDiscordAPI()
    try:
        with served_from_a_thread(fake) as base:
            monkeypatch.setattr(discord.http.Route, "BASE", base)
            monkeypatch.setattr(
                discord.gateway.DiscordWebSocket,
                "DEFAULT_GATEWAY",
                URL(f"ws://127.0.0.1:{closed}/gateway"),
            )
            monkeypatch.setenv("DISCORD_TOKEN", fake.token)
            monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path))
            monkeypatch.setenv("NEWSBRIEF_NLP_PROCESSES", "0")
            monkeypatch.chdir(tmp_path)
            with pytest.raises(SystemExit) as exited:
                app(["run"])
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    assert exited.value.code == 2
    err = capfd.readouterr().err
    [said] = [line for line in err.splitlines() if line.startswith("newsbrief:")]
    assert re.fullmatch(
        r"newsbrief: cannot connect to Discord's gateway \(ClientConnectorError: .*\): "
        r"check the network\.",
        said,
    ), said
    assert "Traceback" not in err and "AttributeError" not in err
    assert "newsbrief running" not in err
