"""Local text files as articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import UserInputError
from bot.ingest import read_article_file

BODY = (
    "The mayor of Northport said on Friday that the ferry would run all winter.\n"
    '"We will not leave the islands cut off," she told reporters.'
)


def test_first_line_is_the_title_when_it_looks_like_one(tmp_path: Path) -> None:
    path = tmp_path / "ferry.txt"
    path.write_text(f"Ferry to run all winter\n\n{BODY}\n", encoding="utf-8")
    item = read_article_file(path)

    assert item.title == "Ferry to run all winter"
    assert item.text == BODY
    assert item.outlet == ""
    assert item.url == path.resolve().as_uri()
    assert item.guid.startswith("sha256:")
    assert item.published is not None and item.published.tzinfo is not None


@pytest.mark.parametrize(
    "first_line",
    [
        "The mayor of Northport said on Friday that the ferry would run all winter.",
        '"We will not leave the islands cut off," she said.',
        "x" * 300,
    ],
)
def test_a_sentence_is_not_taken_for_a_title(tmp_path: Path, first_line: str) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{first_line}\nMore text follows here.", encoding="utf-8")
    item = read_article_file(path)
    assert item.title == ""
    assert item.text.startswith(first_line)


def test_a_single_line_file_is_all_text(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("Ferry to run all winter", encoding="utf-8")
    item = read_article_file(path)
    assert (item.title, item.text) == ("", "Ferry to run all winter")


def test_the_guid_depends_on_content_not_on_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"Title\n{BODY}", encoding="utf-8")
    (tmp_path / "b.txt").write_text(f"Title\r\n{BODY}\r\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text(f"Other title\n{BODY}", encoding="utf-8")
    a, b, c = (read_article_file(tmp_path / name) for name in ("a.txt", "b.txt", "c.txt"))
    assert a.guid == b.guid
    assert a.guid != c.guid


def test_invalid_utf8_and_bom_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xef\xbb\xbfHeadline\nThe minister said \xff it was fine.")
    item = read_article_file(path)
    assert item.title == "Headline"
    assert item.text == "The minister said \ufffd it was fine."


@pytest.mark.parametrize("content", ["", "  \n\n "])
def test_empty_files_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserInputError, match="is empty"):
        read_article_file(path)


def test_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="cannot read"):
        read_article_file(tmp_path / "nope.txt")
