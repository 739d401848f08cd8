"""An actor's positions over time as a small picture: one row per issue, a mark per dated
statement, coloured by side. Drawn off-screen with matplotlib's Agg renderer (no display,
no pyplot state), returned as PNG bytes for the platforms that can show it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from briefings.models import Stance

if TYPE_CHECKING:
    from bot.service import StanceResult

COLOURS = {
    Stance.SUPPORTS: "#2f855a",
    Stance.OPPOSES: "#c53030",
    Stance.NEUTRAL: "#718096",
    Stance.UNCLEAR: "#cbd5e0",
}
MAX_ROWS = 8  # issues shown, the most recent first
ISSUE_CHARS = 32
FILENAME = "positions.png"


@dataclass(frozen=True, slots=True)
class Mark:
    """One dated statement on the picture."""

    issue: str
    when: datetime
    side: Stance


def position_marks(result: StanceResult) -> list[Mark]:
    """The marks of a /stance answer: its dated statements, each on the row of its story's
    issue (the title when the issue is unknown), at most ``MAX_ROWS`` issues."""
    # one row per story (its issue), so that reports of one event share a row
    grouped = [
        (story.issue or story.best.title, story.members or (story.best,))
        for story in result.stories
    ] or [(st.issue or st.title, (st,)) for st in result.statements]
    marks = [
        Mark(_row(issue or "other"), st.published, st.stance)
        for issue, members in grouped
        for st in members
        if st.published is not None
    ]
    rows: list[str] = []
    for mark in sorted(marks, key=lambda m: m.when, reverse=True):
        if mark.issue not in rows:
            rows.append(mark.issue)
    keep = set(rows[:MAX_ROWS])
    return [mark for mark in marks if mark.issue in keep]


def _row(issue: str) -> str:
    issue = " ".join(issue.split())
    issue = issue[:1].upper() + issue[1:]
    return issue if len(issue) <= ISSUE_CHARS else issue[: ISSUE_CHARS - 1] + "…"


def positions_png(result: StanceResult) -> bytes | None:
    """The picture as PNG bytes; None for an actor with fewer than two dated statements
    (one mark says nothing a line of text does not)."""
    marks = position_marks(result)
    if len(marks) < 2:
        return None
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    rows = sorted(
        {m.issue for m in marks}, key=lambda i: max(m.when for m in marks if m.issue == i)
    )
    figure = Figure(figsize=(6.4, 1.2 + 0.38 * len(rows)), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    for side, colour in COLOURS.items():
        mine = [m for m in marks if m.side is side]
        if mine:
            axes.scatter(
                [mdates.date2num(m.when) for m in mine],  # type: ignore[no-untyped-call]
                [rows.index(m.issue) for m in mine],
                c=colour,
                s=60,
                edgecolors="#1a202c",
                linewidths=0.5,
                label=side.value,
                zorder=3,
            )
    axes.set_yticks(range(len(rows)), rows, fontsize=8)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    # matplotlib.dates has no type hints
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]
    axes.tick_params(axis="x", labelsize=7)
    axes.grid(axis="x", color="#e2e8f0", zorder=0)
    axes.set_title(f"{result.actor.name}: positions over time", fontsize=9)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
