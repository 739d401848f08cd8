"""The /stance picture: checked by its data (rows, marks, sides), and that it is a PNG."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chart import position_marks, positions_png
from bot.commands import ReplyKind, handle
from bot.service import StanceResult, StanceSummary, stance_stories
from briefings.models import Actor, Stance
from tests.bot.test_commands import text_request
from tests.fakes.service import sample_service, statement

GERMANY = Actor("DE", "Germany")


def result_of(*items: tuple[str, int, Stance], by_story: bool = True) -> StanceResult:
    said = tuple(
        statement(
            f"Words on {issue}, day {day}.",
            "Eva Lang",
            "Minister",
            GERMANY,
            day,
            stance=side,
            issue=issue,
        )
        for issue, day, side in items
    )
    summary = StanceSummary(len(said), None, None, {})
    stories = stance_stories(said) if by_story else ()
    return StanceResult(GERMANY, summary, said, "country", stories)


def test_one_row_per_issue_one_mark_per_dated_statement_coloured_by_side() -> None:
    result = result_of(
        ("troops in Ukraine", 2, Stance.OPPOSES),
        ("troops in Ukraine", 9, Stance.OPPOSES),
        ("gas prices", 5, Stance.SUPPORTS),
        ("gas prices", 12, Stance.NEUTRAL),
        by_story=False,
    )
    marks = position_marks(result)
    assert sorted((m.issue, m.when.day, m.side.value) for m in marks) == [
        ("Gas prices", 5, "supports"),
        ("Gas prices", 12, "neutral"),
        ("Troops in Ukraine", 2, "opposes"),
        ("Troops in Ukraine", 9, "opposes"),
    ]
    assert all(m.when.tzinfo is UTC and m.when.year == 2024 for m in marks)
    png = positions_png(result)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")


def test_reports_of_one_story_share_its_row() -> None:
    result = result_of(("gas prices", 5, Stance.SUPPORTS), ("gas price cap", 6, Stance.SUPPORTS))
    [story] = result.stories  # "Story of May 5" and "Story of May 6": one event
    assert {m.issue for m in position_marks(result)} == {story.issue[:1].upper() + story.issue[1:]}
    assert len(position_marks(result)) == 2


def test_one_statement_draws_no_picture() -> None:
    assert positions_png(result_of(("gas prices", 3, Stance.SUPPORTS))) is None


async def test_stance_replies_attach_the_picture_only_for_two_or_more_statements() -> None:
    service = sample_service()
    germany = await handle(service, text_request("stance", "Germany"))
    assert germany.kind is ReplyKind.STANCE
    [picture] = germany.files
    assert picture.filename == "positions.png" and picture.data.startswith(b"\x89PNG")
    france = await handle(service, text_request("stance", "France"))
    assert france.kind is ReplyKind.STANCE and france.files == ()


def test_stance_stories_newest_first_with_the_rest_counted() -> None:
    result = result_of(
        ("gas prices", 5, Stance.SUPPORTS),
        ("gas prices", 5, Stance.SUPPORTS),
        ("troops in Ukraine", 9, Stance.OPPOSES),
    )
    assert [s.published for s in result.stories] == sorted(
        (s.published for s in result.stories), key=lambda d: d or datetime.min, reverse=True
    )
    assert sum(s.statements for s in result.stories) == 3
