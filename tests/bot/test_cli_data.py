"""``newsbrief feeds|ingest|stance|brief`` through the real command line (typer's runner),
on a SQLite database in a temporary data directory."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_data import parse_channel
from bot.errors import UserInputError
from bot.ports import ChannelRef
from bot.store import Repository
from briefings.models import Stance
from tests.bot.store.factories import GERMANY, T0, article, opened, statement
from tests.bot.store.pg import database_url
from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed

__all__ = ["database_url"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NEWSBRIEF_DATABASE_URL", raising=False)
    monkeypatch.setenv("NEWSBRIEF_NLP_PROCESSES", "0")
    monkeypatch.chdir(tmp_path)  # no stray .env file
    return tmp_path / "data"


@pytest.fixture
def repo(data_dir: Path) -> Iterator[Repository]:
    with opened(f"sqlite:///{data_dir}/newsbrief.db") as (_engine, repository):
        yield repository


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert not isinstance(result.exception, AssertionError), result.exception
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def store_scholz(repo: Repository, words: str = "We will not send more tanks.") -> None:
    body = f'German Chancellor Olaf Scholz said: "{words}" Talks on tariffs went on.'
    found = statement(
        body,
        "German Chancellor Olaf Scholz",
        words,
        name="Olaf Scholz",
        actor=GERMANY,
        role="Chancellor",
        stance=Stance.OPPOSES,
    )
    repo.store_article(
        article(body, title="Scholz on tanks", url="https://news.example/tanks"), [found], T0
    )


def test_channels_are_named_in_full_or_by_a_console_name() -> None:
    assert parse_channel("slack:T1:C2") == ChannelRef("slack", "T1", "C2")
    assert parse_channel("#news") == ChannelRef("console", "local", "news")
    with pytest.raises(UserInputError):
        parse_channel("a:b")


def test_feeds_add_list_remove(data_dir: Path) -> None:
    assert run("feeds", "add", "https://feeds.example/world.xml")[0] == 0
    code, out, _ = run("feeds", "add", "https://feeds.example/eu.xml", "--channel", "news")
    assert code == 0 and "for news" in out
    code, out, _ = run("feeds", "list")
    assert "https://feeds.example/world.xml" in out and "https://feeds.example/eu.xml" in out
    assert "polled never" in out
    code, out, _ = run("feeds", "list", "--channel", "news")
    assert "eu.xml" in out and "world.xml" not in out
    assert run("feeds", "remove", "https://feeds.example/world.xml")[0] == 0
    assert "world.xml" not in run("feeds", "list")[1]
    code, _, err = run("feeds", "remove", "https://feeds.example/world.xml")
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1


def test_unsafe_feed_urls_are_refused_in_one_line(data_dir: Path) -> None:
    code, _, err = run("feeds", "add", "file:///etc/passwd")
    assert code == 1
    assert "only http and https" in err and "Traceback" not in err
    code, _, err = run("feeds", "add", "http://169.254.169.254/latest/meta-data")
    assert code == 1 and "refused" in err
    assert run("feeds", "list")[1].strip() == "no feeds"


def test_feeds_export_and_import_opml(data_dir: Path, tmp_path: Path) -> None:
    run("feeds", "add", "https://feeds.example/a.xml", "--channel", "news")
    run("feeds", "add", "https://feeds.example/b.xml", "--channel", "news")
    run("feeds", "add", "https://feeds.example/c.xml")
    opml = tmp_path / "news.opml"
    code, out, _ = run("feeds", "export", str(opml), "--channel", "news")
    assert code == 0 and "exported 2 feeds" in out
    assert "a.xml" in opml.read_text() and "c.xml" not in opml.read_text()
    run("feeds", "remove", "https://feeds.example/a.xml")
    run("feeds", "remove", "https://feeds.example/b.xml")
    code, out, _ = run("feeds", "import", str(opml), "--channel", "other")
    assert code == 0 and "imported 2 feeds" in out
    listed = run("feeds", "list", "--channel", "other")[1]
    assert "a.xml" in listed and "b.xml" in listed
    bad = tmp_path / "bad.opml"
    bad.write_text("<!DOCTYPE x [<!ENTITY a 'b'>]><opml/>")
    code, _, err = run("feeds", "import", str(bad))
    assert code == 1 and "OPML" in err


def test_stance_json_is_the_contract(repo: Repository) -> None:
    store_scholz(repo)
    code, out, _ = run("stance", "Scholz", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"actor", "summary", "statements", "stories"}
    [story] = data["stories"]
    assert story["stance"] == {"side": "opposes", "issue": "tanks"} and story["statements"] == 1
    assert data["actor"]["id"] == "DE" and data["actor"]["name"] == "Germany"
    assert data["summary"]["statements"] == 1
    assert data["summary"]["stances"] == {"opposes": 1}
    (one,) = data["statements"]
    assert set(one) == {
        "text",
        "speaker_name",
        "role",
        "actor",
        "kind",
        "stance",
        "published",
        "outlet",
        "url",
    }
    assert one["text"] == "We will not send more tanks."
    assert (one["speaker_name"], one["role"], one["kind"], one["stance"]["side"]) == (
        "Olaf Scholz",
        "Chancellor",
        "direct",
        "opposes",
    )
    assert one["stance"] == {"side": "opposes", "issue": "tanks"}
    assert one["actor"]["id"] == "DE"
    assert one["published"] == T0.isoformat()
    assert one["url"] == "https://news.example/tanks"


def test_stance_filters_and_text_output(repo: Repository) -> None:
    store_scholz(repo)
    code, out, _ = run("stance", "germany", "--topic", "tariffs")
    assert code == 0
    assert "Germany" in out and "1 statements" in out and "We will not send more tanks." in out
    assert "no statements stored" in run("stance", "DE", "--topic", "weather")[1]
    assert "no statements stored" in run("stance", "DE", "--since", "7")[1]  # T0 is long ago
    assert run("stance", "DE", "--since", "0")[0] == 1


def test_an_unknown_actor_exits_1_with_suggestions_on_one_line(repo: Repository) -> None:
    store_scholz(repo)
    code, out, err = run("stance", "Scholzz-Berlinerz")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Did you mean" in err


def test_brief_dry_run_records_nothing_and_brief_records(repo: Repository) -> None:
    store_scholz(repo)
    code, out, _ = run("brief", "--channel", "news", "--dry-run")
    assert code == 0 and "Scholz on tanks" in out and "Germany" in out
    assert "Scholz on tanks" in run("brief", "--channel", "news", "--dry-run")[1]
    code, out, _ = run("brief", "--channel", "news")
    assert code == 0 and "Scholz on tanks" in out
    assert repo.delivery_count(ChannelRef("console", "local", "news")) == 1
    code, out, _ = run("brief", "--channel", "news")
    assert code == 0 and "Nothing new" in out


def test_ingest_needs_once_and_something_to_do(data_dir: Path) -> None:
    code, _, err = run("ingest")
    assert code == 1 and "--once" in err
    code, out, err = run("ingest", "--once")
    assert code == 1 and "no feeds configured" in err
    assert out.strip() == (
        "feeds polled: 0, not modified: 0, failed: 0, articles new: 0, statements new: 0"
    )


def test_ingest_files_once_prints_the_summary_and_deduplicates(
    data_dir: Path, tmp_path: Path
) -> None:
    first = tmp_path / "a.txt"
    first.write_text(
        "Ministers meet in Brussels\n"
        'The finance minister said: "We will cut the deficit next year." '
        "Talks continue on Friday.\n",
        encoding="utf-8",
    )
    missing = tmp_path / "missing.txt"
    code, out, _ = run("ingest", "--once", str(first), str(missing))
    assert code == 0
    assert out.startswith("feeds polled: 0, not modified: 0, failed: 0, articles new: 1,")
    assert "(1 unreadable)" in out
    code, out, _ = run("ingest", "--once", str(first))
    assert code == 0 and "articles new: 0, statements new: 0" in out


def test_ingest_once_polls_feeds_and_exits_0_even_when_some_fail(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBRIEF_ALLOW_PRIVATE_NETWORKS", "true")
    words = 'The finance minister said: "We will cut the deficit next year." Talks go on. '
    with FeedServer() as server:
        item = FeedItem("Deficit", "https://news.example/deficit", content=f"<p>{words * 12}</p>")
        server.route("/good.xml", rss_feed("Desk", [item]), etag='"g1"')
        server.route("/gone.xml", b"gone", status=404, content_type="text/plain")
        server.route("/error.xml", b"oops", status=500, content_type="text/plain")
        for path in ("/good.xml", "/gone.xml"):
            assert run("feeds", "add", server.url(path))[0] == 0

        code, out, err = run("ingest", "--once")
        assert (code, err) == (0, "")
        assert out.count("\n") == 1
        assert out.startswith("feeds polled: 2, not modified: 0, failed: 1, articles new: 1, ")
        listed = run("feeds", "list")[1]
        assert "last error (1 in a row): HTTP 404 Not Found" in listed

        # Again: the good feed answers 304, the failing one is backing off.
        code, out, _ = run("ingest", "--once")
        assert code == 0
        assert out == (
            "feeds polled: 1, not modified: 1, failed: 0, articles new: 0, statements new: 0\n"
        )

        # Only failing feeds due: nothing could be done, exit 1 with one line saying so.
        run("feeds", "remove", server.url("/good.xml"))
        run("feeds", "add", server.url("/error.xml"))
        code, out, err = run("ingest", "--once")
        assert code == 1
        assert out.startswith("feeds polled: 1, not modified: 0, failed: 1, articles new: 0")
        assert err.startswith("error: nothing could be ingested") and err.count("\n") == 1


@pytest.fixture
def any_database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The CLI's environment on SQLite and on a real PostgreSQL."""
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", database_url)
    monkeypatch.setenv("NEWSBRIEF_NLP_PROCESSES", "0")
    monkeypatch.chdir(tmp_path)
    yield database_url


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("stance", "Germany", "--since", "99999999"), "--since takes a number of days"),
        (("stance", "Germany", "--since", "0"), "--since takes a number of days"),
        (("stance", "Germany", "--limit", "0"), "--limit takes a number"),
        (("stance", "G" * 5000), "at most 300 characters"),
        (("feeds", "add", "https://feeds.example/" + "x" * 10_000), "characters long"),
        (("feeds", "add", "https://feeds.example/a b.xml"), "cannot hold spaces"),
        (("feeds", "add", "https://feeds.example/a\nb.xml"), "cannot hold spaces"),
        (("feeds", "add", "https://exa%20mple.example/feed"), "is not a host name"),
        (("feeds", "add", "http://[::1/feed"), "not a valid URL"),
        (("feeds", "add", "https://feeds.example/w.xml", "--channel", "c" * 5000), "at most"),
        (("brief", "--channel", "c" * 5000), "is not a channel"),
        (("brief", "--channel", "slack:T1:" + "C" * 300), "at most 200"),
        (("brief", "--channel", "news\x00"), "control characters"),
    ],
)
def test_every_input_error_is_one_line_and_exit_1(
    any_database: str, args: tuple[str, ...], reason: str
) -> None:
    code, out, err = run(*args)
    assert code == 1, out
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert reason in err and "Traceback" not in err
    assert len(err) < 400


def test_an_international_host_is_one_feed_in_either_form(data_dir: Path) -> None:
    assert run("feeds", "add", "https://bücher.example/feed.xml")[0] == 0
    assert run("feeds", "add", "https://XN--BCHER-KVA.example/feed.xml")[0] == 0
    lines = [line for line in run("feeds", "list")[1].splitlines() if "example" in line]
    assert len(lines) == 1 and lines[0].startswith("https://xn--bcher-kva.example/feed.xml")
    assert run("feeds", "remove", "https://bücher.example/feed.xml")[0] == 0
    assert run("feeds", "list")[1].strip() == "no feeds"


def test_a_data_directory_that_cannot_be_made_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(blocker / "sub" / "data"))
    monkeypatch.delenv("NEWSBRIEF_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run("feeds", "list")
    assert code == 1 and err.startswith("error: cannot create the data directory")
    assert err.count("\n") == 1


def test_commands_without_nlp_import_no_engine_and_no_network_stack(data_dir: Path) -> None:
    """What makes a command start slowly is what it imports: `feeds list` and `stance` load
    neither the model nor httpx, alembic, matplotlib or the numeric stack, even when the
    actor's statements are grouped into stories (a few reports are compared in plain
    Python; numpy and scipy only for hundreds)."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "sys.argv = ['newsbrief', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['spacy', 'httpx', 'alembic', 'sklearn', 'scipy', 'numpy', 'matplotlib',\n"
        "         'feedparser', 'trafilatura']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )

    def imported(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return done.stdout

    for args in (["feeds", "list"], ["stance", "Germany"]):
        for _ in range(2):  # the first run creates the database (alembic is needed then)
            out = imported(*args)
        assert out.strip().splitlines()[-1] == "[]", (args, out)
    with opened(f"sqlite:///{data_dir}/newsbrief.db") as (_engine, repository):
        for n, words in enumerate(("No more tanks.", "The budget stays balanced.")):
            body = f'German Chancellor Olaf Scholz said: "{words}"'
            found = statement(body, "German Chancellor Olaf Scholz", words, actor=GERMANY)
            page = article(body, title=f"Scholz {n}", url=f"https://news.example/{n}")
            repository.store_article(page, [found], T0)
    out = imported("stance", "Germany")
    assert "2 statements" in out and "No more tanks." in out  # two reports compared
    assert out.strip().splitlines()[-1] == "[]", out
