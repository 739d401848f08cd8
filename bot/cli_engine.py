"""``newsbrief extract`` and ``newsbrief digest``: the engine on local files."""

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from briefings.models import Article, Statement

MAX_FILE_BYTES = 2_000_000
# Below this much text a second process (forked: it shares the loaded model) saves too
# little to be worth it.
PARALLEL_FROM_CHARS = 20_000


class ArticleFileError(Exception):
    """A file that cannot be read as an article; the message says why."""


@dataclass(frozen=True, slots=True)
class LoadedFile:
    path: str
    article: Article


def read_article(path: str, max_bytes: int = MAX_FILE_BYTES) -> Article:
    """A UTF-8 text file (or ``-`` for stdin) as an article; the first line is its title."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ArticleFileError("no such file") from None
    except IsADirectoryError:
        raise ArticleFileError("is a directory, not an article file") from None
    except PermissionError:
        raise ArticleFileError("permission denied") from None
    except OSError as exc:
        raise ArticleFileError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ArticleFileError(f"larger than {max_bytes // 1_000_000} MB; not an article")
    if b"\x00" in data:
        raise ArticleFileError("binary data, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleFileError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise ArticleFileError("empty: no text to read")
    first = text.lstrip().split("\n", 1)[0].strip()
    title = first if 0 < len(first) <= 200 and len(text.split("\n", 1)) > 1 else ""
    return Article(text=text, title=title, url="" if path == "-" else Path(path).resolve().as_uri())


def contract(statement: Statement) -> dict[str, Any]:
    """One statement as ``extract --jsonl`` prints it: the actor is ``{id, name, evidence}``."""
    data = statement.to_dict()
    if data["actor"] is not None:
        data["actor"] = {key: data["actor"][key] for key in ("id", "name", "evidence")}
    return data


def _fail(path: str, reason: str) -> None:
    sys.stderr.write(f"newsbrief: {path}: {reason}\n")


def _failed(path: str, reason: str) -> dict[str, Any]:
    """Say why on stderr; the file's line on stdout carries the same reason."""
    _fail(path, reason)
    return {"file": path, "error": reason, "statements": []}


def cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _extract_all(items: list[LoadedFile], processes: int) -> list[list[Statement] | str]:
    """Each file's statements, or why the engine could not read it."""
    from bot.extraction import extract_in_processes
    from briefings.engine import Engine, ExtractionFailure
    from briefings.nlp import ModelNotInstalledError, load_model

    try:
        nlp = load_model()
    except ModelNotInstalledError as exc:
        _fail("model", str(exc))
        raise typer.Exit(2) from None
    chars = sum(len(item.article.text) for item in items)
    n_process = processes or (min(2, cpus()) if chars >= PARALLEL_FROM_CHARS else 1)
    articles = [item.article for item in items]
    outcomes = extract_in_processes(Engine(nlp), articles, n_process)
    return [o.reason if isinstance(o, ExtractionFailure) else o for o in outcomes]


def register(app: typer.Typer) -> None:
    @app.command()
    def extract(
        files: list[str] = typer.Argument(..., help="Article text files (UTF-8), or - for stdin."),  # noqa: B008
        jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per file (default)."),
        processes: int = typer.Option(0, "--processes", help="Parser processes; 0 = automatic."),
    ) -> None:
        """Print who said what in each article: one JSON object per file, in order."""
        records: list[dict[str, Any] | None] = []
        loaded: list[tuple[int, LoadedFile]] = []
        for path in files:
            try:
                loaded.append((len(records), LoadedFile(path, read_article(path))))
                records.append(None)
            except ArticleFileError as exc:
                records.append(_failed(path, str(exc)))
        if loaded:
            outcomes = _extract_all([item for _, item in loaded], processes)
            for (slot, item), outcome in zip(loaded, outcomes, strict=True):
                if isinstance(outcome, str):
                    records[slot] = _failed(item.path, outcome)
                else:
                    records[slot] = {
                        "file": item.path,
                        "statements": [contract(s) for s in outcome],
                    }
        out = sys.stdout
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        # The process ends here: spare the collector a last pass over the model's objects
        # (a tenth of a second at exit).
        gc.freeze()
        if any(record is None or "error" in record for record in records):
            raise typer.Exit(1)

    @app.command()
    def digest(
        file: str = typer.Argument(..., help="An article text file, or - for stdin."),
    ) -> None:
        """Print the who-said-what briefing of one article, as it reads in chat."""
        from briefings.brief import article_brief
        from briefings.engine import Engine
        from briefings.nlp import ModelNotInstalledError, load_model
        from briefings.render import render_story_text

        try:
            article = read_article(file)
        except ArticleFileError as exc:
            _fail(file, str(exc))
            raise typer.Exit(1) from None
        try:
            nlp = load_model()
        except ModelNotInstalledError as exc:
            _fail("model", str(exc))
            raise typer.Exit(2) from None
        statements = Engine(nlp).extract(article)
        typer.echo(render_story_text(article_brief(article, statements)))
