"""``newsbrief extract`` and ``digest`` as a user runs them: bad inputs, the JSON contract, a
parser process that dies. Each runs the real command in a child process (a timeout stands for
a hang) on texts written here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import cli_engine
from bot.cli_engine import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
# Generous: the model loads in a few seconds; only a hang comes near it.
TIMEOUT = 300

RUN = "import sys; from bot.cli import main; sys.argv[0] = 'newsbrief'; main()"
# The same command with a pipeline component that fails on planted markers: it raises an
# exception on one, and kills the process it runs in (as the OOM killer would) on another.
RUN_FAULTY = """
import os, sys
from spacy.language import Language
import briefings.nlp

@Language.component("planted_fault")
def planted_fault(doc):
    if "KILL-THE-PARSER" in doc.text:
        os._exit(9)
    if "RAISE-IN-THE-PARSER" in doc.text:
        raise ValueError("a fault planted by the test")
    return doc

real_load = briefings.nlp.load_model

def load_model(*args, **kwargs):
    nlp = real_load(*args, **kwargs)
    nlp.add_pipe("planted_fault", last=True)
    return nlp

briefings.nlp.load_model = load_model
from bot.cli import main
sys.argv[0] = "newsbrief"
main()
"""

GOOD = (
    "Ministers meet on the border plan\n\n"
    "“We will not send soldiers to the front, not now and not later,” the Swedish foreign "
    "minister, Anna Lindqvist, told reporters on Tuesday.\n\n"
    "The French president said that Europe must be ready to do more for its own defence.\n"
)
OTHER = (
    "Port strike enters second week\n\n"
    "“The docks will stay closed until the offer improves,” said Tomas Berg, a union leader.\n"
)


@dataclass(frozen=True)
class Run:
    code: int
    records: list[dict[str, Any]]
    stderr: str

    def record(self, path: Path | str) -> dict[str, Any]:
        matching = [r for r in self.records if r["file"] == str(path)]
        assert len(matching) == 1, f"{path}: {len(matching)} records"
        return matching[0]

    def lines_about(self, path: Path | str) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith(f"newsbrief: {path}:")]


def newsbrief(
    *args: str | Path, script: str = RUN, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )


def extract(*files: str | Path, script: str = RUN, processes: int = 0) -> Run:
    done = newsbrief("extract", "--jsonl", "--processes", str(processes), *files, script=script)
    out = done.stdout.decode("utf-8")
    return Run(
        done.returncode, [json.loads(line) for line in out.splitlines()], done.stderr.decode()
    )


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- bad inputs

# name -> (how to make it under a directory, the words its error line must contain)
BAD_INPUTS: dict[str, tuple[Any, str]] = {
    "missing": (lambda d: d / "nowhere.txt", "no such file"),
    "directory": (lambda d: (d / "folder").mkdir() or d / "folder", "directory"),
    "nul-bytes": (lambda d: write(d / "nul.txt", b"Title\n\nSome\x00text said he.\n"), "binary"),
    "invalid-utf8": (
        lambda d: write(d / "latin1.txt", "Caf\u00e9 owners said it is bad.\n".encode("latin-1")),
        "not UTF-8",
    ),
    "empty": (lambda d: write(d / "empty.txt", b""), "empty"),
    "whitespace-only": (lambda d: write(d / "blank.txt", " \r\n\t\n  \n"), "empty"),
    "over-size-cap": (
        lambda d: write(d / "huge.txt", b"word " * (MAX_FILE_BYTES // 5 + 1)),
        "larger than",
    ),
}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, dict[str, Path], list[Path]]:
    """One run over every bad input with good files before and after them."""
    base = tmp_path_factory.mktemp("bad")
    bad = {name: make(base) for name, (make, _) in BAD_INPUTS.items()}
    good = [write(base / "good.txt", GOOD), write(base / "other.txt", OTHER)]
    return extract(good[0], *bad.values(), good[1]), bad, good


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_clear_line_and_an_error_record(
    bad_run: tuple[Run, dict[str, Path], list[Path]], case: str
) -> None:
    run, bad, _ = bad_run
    path = bad[case]
    lines = run.lines_about(path)
    assert len(lines) == 1, run.stderr
    assert BAD_INPUTS[case][1] in lines[0]
    record = run.record(path)
    assert record == {"file": str(path), "error": record["error"], "statements": []}
    assert record["error"] in lines[0]


def test_bad_inputs_leave_the_good_files_processed(
    bad_run: tuple[Run, dict[str, Path], list[Path]],
) -> None:
    run, bad, good = bad_run
    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == len(bad)
    # one line per argument, in the order given
    assert [r["file"] for r in run.records] == [str(good[0]), *map(str, bad.values()), str(good[1])]
    for path in good:
        record = run.record(path)
        assert "error" not in record
        assert record["statements"], path


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", GOOD)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("this user (root) reads a file whatever its mode")
        run = extract(path, write(tmp_path / "good.txt", OTHER))
    finally:
        path.chmod(0o644)
    assert run.code == 1
    assert [line.endswith("permission denied") for line in run.lines_about(path)] == [True]
    assert run.record(path)["error"] == "permission denied"
    assert run.record(tmp_path / "good.txt")["statements"]


def test_permission_denied_reads_as_one_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same branch in-process, for when the tests run as root (who reads any file)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli_engine, "open", refuse, raising=False)
    with pytest.raises(cli_engine.ArticleFileError, match=r"^permission denied$"):
        cli_engine.read_article(str(write(tmp_path / "a.txt", GOOD)))


def test_all_good_files_exit_zero(tmp_path: Path) -> None:
    run = extract(write(tmp_path / "a.txt", GOOD), write(tmp_path / "b.txt", OTHER))
    assert (run.code, run.stderr) == (0, "")
    assert [len(r["statements"]) > 0 for r in run.records] == [True, True]


# ------------------------------------------------------------------------ JSON contract

STATEMENT_KEYS = {
    "speaker",
    "speaker_name",
    "role",
    "actor",
    "cue",
    "content",
    "kind",
    "stance",
    "parts",  # beyond the contract: every piece of a quote split by its attribution
    "party",  # beyond it too: the speaker's party, or null
}
SPAN_KEYS = {"start", "end", "text"}
ACTOR_KEYS = {"id", "name", "evidence"}

# Non-ASCII in and around the spans (accents, emoji outside the BMP, curly quotes) and CRLF
# line endings, which offsets must count as they stand in the file.
CRLF_TEXT = (
    "Caf\u00e9 talks stall \U0001f610 over troops\r\n\r\n"
    "\u201cWe will not send soldiers to the front, not now and not later,\u201d the Swedish "
    "foreign minister, Anna Lindqvist, told reporters in Malm\u00f6 on Tuesday.\r\n\r\n"
    "The French president said that Europe must be ready to do more for its own "
    "defence \U0001f680.\r\n\r\n"
    "\u201cThis is a mistake,\u201d said Ren\u00e9e Dupont, a spokeswoman. "
    "\u201cNobody wants it.\u201d\r\n"
)


def _spans(statement: dict[str, Any]) -> list[dict[str, Any]]:
    spans = [statement["speaker"], statement["content"], *statement["parts"]]
    return spans + ([statement["cue"]] if statement["cue"] is not None else [])


def test_json_contract_and_offsets_into_the_file_as_it_is(tmp_path: Path) -> None:
    path = write(tmp_path / "crlf.txt", CRLF_TEXT)
    run = extract(path)
    assert run.code == 0, run.stderr
    (record,) = run.records
    assert set(record) == {"file", "statements"}
    assert record["file"] == str(path)
    statements = record["statements"]
    assert len(statements) >= 2
    text = path.read_bytes().decode("utf-8")  # as is: CRLF kept
    assert "\r\n" in text
    for st in statements:
        assert set(st) == STATEMENT_KEYS
        assert st["kind"] in {"direct", "indirect", "mixed"}
        assert st["stance"] in {"supports", "opposes", "neutral", "unclear"}
        assert isinstance(st["speaker_name"], str)
        assert st["role"] is None or isinstance(st["role"], str)
        assert st["actor"] is None or set(st["actor"]) == ACTOR_KEYS
        for span in _spans(st):
            assert set(span) == SPAN_KEYS
            assert text[span["start"] : span["end"]] == span["text"]
    with_actor = [st for st in statements if st["actor"]]
    assert with_actor, "the Swedish foreign minister speaks for Sweden"
    assert {st["actor"]["id"] for st in with_actor} >= {"SE"}
    # spans after the emoji and the CRLFs still line up (checked above); and they lie there
    late = [st for st in statements if st["content"]["start"] > text.index("\U0001f680")]
    assert late


def test_extract_reads_stdin() -> None:
    done = newsbrief("extract", "--jsonl", "-", stdin=GOOD.encode("utf-8"))
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert record["file"] == "-"
    assert any(st["content"]["text"].startswith("We will not send") for st in record["statements"])


# ------------------------------------------------------------------------------ digest


def test_digest_reads_stdin() -> None:
    done = newsbrief("digest", "-", stdin=GOOD.encode("utf-8"))
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    assert "Sweden" in out
    assert "We will not send soldiers" in out


@pytest.mark.parametrize(
    ("data", "words"), [(b"", "empty"), (b"\xff\xfe bad", "not UTF-8"), (b"a\x00b", "binary")]
)
def test_digest_bad_stdin_is_one_line(data: bytes, words: str) -> None:
    done = newsbrief("digest", "-", stdin=data)
    assert done.returncode == 1
    assert done.stdout == b""
    (line,) = done.stderr.decode().splitlines()
    assert line.startswith("newsbrief: -: ")
    assert words in line


def test_digest_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    done = newsbrief("digest", path)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [f"newsbrief: {path}: no such file"]


# ------------------------------------------------------------- a parser process that fails


def _articles(tmp_path: Path, count: int) -> list[Path]:
    return [write(tmp_path / f"article{n}.txt", GOOD if n % 2 else OTHER) for n in range(count)]


@pytest.mark.parametrize("processes", [1, 2])
def test_an_exception_in_the_parser_fails_only_its_file(tmp_path: Path, processes: int) -> None:
    good = _articles(tmp_path, 5)
    faulty = write(tmp_path / "faulty.txt", OTHER + "\nRAISE-IN-THE-PARSER, said he.\n")
    run = extract(*good[:2], faulty, *good[2:], script=RUN_FAULTY, processes=processes)
    assert run.code == 1
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"newsbrief: {faulty}: ")
    assert "ValueError: a fault planted by the test" in line
    assert run.record(faulty)["statements"] == []
    assert all(run.record(path)["statements"] for path in good)


def test_a_parser_process_that_dies_fails_only_its_file(tmp_path: Path) -> None:
    """The process parsing one file is killed: the run ends (no hang), says which file was
    lost, and every other file is still extracted."""
    good = _articles(tmp_path, 6)
    killer = write(tmp_path / "killer.txt", OTHER + "\nKILL-THE-PARSER, said he.\n")
    run = extract(*good[:3], killer, *good[3:], script=RUN_FAULTY, processes=2)
    assert run.code == 1
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.splitlines()
    assert line == f"newsbrief: {killer}: the parser process died on it (killed, or out of memory)"
    assert run.record(killer)["error"]
    assert [bool(run.record(path)["statements"]) for path in good] == [True] * len(good)
