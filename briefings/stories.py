"""Articles → stories: reports of the same event from different outlets grouped as one.

Two reports are the same story when their title and lead say much the same thing
(TF-IDF cosine similarity), or somewhat the same and they quote the same people, and
they were published within a time window of each other. Stories are the connected
groups of such pairs.

Why scikit-learn's TF-IDF: reports of one event share few exact phrases but the same
rare words (names, places, the thing at issue), and inverse document frequency is what
weighs those above "said" or "government"; the vectorizer is a well-kept, fast
implementation, and the sparse matrix product scores thousands of reports in a fraction
of a second. rapidfuzz (character-level edit ratios) suits near-duplicate strings, which
is how it is used for bullets (the same quote in several outlets), not for stories told
in different words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from briefings.models import Statement

DEFAULT_WINDOW = timedelta(days=3)
# Cosine similarity above which two reports are one story on their words alone...
SAME_WORDS = 0.30
# ...and the lower bar when they also quote the same person.
SAME_WORDS_AND_PEOPLE = 0.15
_LEAD_CHARS = 600
_BLOCK = 512  # rows of the similarity matrix computed at a time (bounded memory)
_PRONOUNS = frozenset(("he", "she", "they", "it", "we", "i", "you"))


@dataclass(frozen=True, slots=True)
class Report:
    """One article as the story builder reads it: where it comes from, its title and
    lead, and the statements found in it."""

    key: int | str
    title: str
    lead: str
    url: str = ""
    outlet: str = ""
    published: datetime | None = None
    statements: tuple[Statement, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Story:
    """Reports of one event, oldest first."""

    reports: tuple[Report, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        """Distinct outlets in order of first report (a report without one counts as its
        own source, named by its link)."""
        seen: dict[str, None] = {}
        for report in self.reports:
            seen.setdefault(report.outlet or report.url or str(report.key), None)
        return tuple(seen)

    @property
    def published(self) -> datetime | None:
        """The newest report's date: how recent the story is."""
        dates = [r.published for r in self.reports if r.published is not None]
        return max(dates) if dates else None

    @property
    def headline(self) -> str:
        """The first report's title; else the first line of its lead (never empty when
        any report has text)."""
        for report in self.reports:
            if report.title.strip():
                return " ".join(report.title.split())
        for report in self.reports:
            line = first_line(report.lead)
            if line:
                return line
        return ""


def first_line(text: str, max_chars: int = 160) -> str:
    """The first non-empty line of ``text``, cut at a word boundary when long."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            if len(line) <= max_chars:
                return line
            cut = line.rfind(" ", 0, max_chars - 1)
            return line[: cut if cut > max_chars // 2 else max_chars - 1] + "…"
    return ""


def people(report: Report) -> frozenset[str]:
    """Who is quoted, by surname ("scholz"): full and short forms of a name meet."""
    names = set()
    for st in report.statements:
        name = st.speaker_name.strip().lower()
        if not name or name in _PRONOUNS or name.startswith(("the ", "a ", "an ")):
            continue
        names.add(name.split()[-1])
    return frozenset(names)


def _document(report: Report) -> str:
    # the title counts twice: it names the event, the lead adds context
    return f"{report.title} {report.title} {report.lead[:_LEAD_CHARS]}"


def same_story_pairs(
    reports: Sequence[Report],
    *,
    window: timedelta = DEFAULT_WINDOW,
    same_words: float = SAME_WORDS,
    same_words_and_people: float = SAME_WORDS_AND_PEOPLE,
) -> list[tuple[int, int]]:
    """Index pairs (i < j) of reports that tell the same story."""
    if len(reports) < 2:
        return []
    # Imported here, and only when there is something to compare: a command that never
    # groups two reports (``feeds list``, ``stance`` of a quiet actor) starts without them.
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, strip_accents="unicode", min_df=1
    )
    try:
        matrix = vectorizer.fit_transform([_document(r) for r in reports])
    except ValueError:  # nothing but stop words anywhere
        return []
    who: dict[int, frozenset[str]] = {}

    def quoted(i: int) -> frozenset[str]:
        if i not in who:
            who[i] = people(reports[i])
        return who[i]

    # Reports in time order, the undated last: a block of rows is compared only with
    # the reports after it that fall within the window (and with every undated one),
    # never with the whole day's news.
    hours = np.array([r.published.timestamp() / 3600 if r.published else np.nan for r in reports])
    order = np.argsort(hours, kind="stable")  # NaN (undated) sorts last
    ordered = matrix[order]
    when = hours[order]
    dated = int(np.count_nonzero(~np.isnan(when)))
    span = window.total_seconds() / 3600
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(reports), _BLOCK):
        end = min(start + _BLOCK, len(reports))
        if end <= dated:
            last = int(np.searchsorted(when[:dated], when[end - 1] + span, side="right"))
            columns = np.concatenate((np.arange(start, last), np.arange(dated, len(reports))))
        else:
            columns = np.arange(start, len(reports))
        block = (ordered[start:end] @ ordered[columns].T).tocoo()
        # the bar and the window for the whole block at once: most pairs share only a
        # common word or two and go here
        rows = block.row.astype(np.int64) + start
        cols = columns[block.col]
        gap = np.abs(when[rows] - when[cols])
        keep = (cols > rows) & (block.data >= same_words_and_people) & ~(gap > span)
        for a, b, score in zip(rows[keep], cols[keep], block.data[keep], strict=True):
            i, j = sorted((int(order[a]), int(order[b])))
            if score >= same_words or quoted(i) & quoted(j):
                pairs.append((i, j))
    return pairs


def cluster_reports(
    reports: Sequence[Report],
    *,
    window: timedelta = DEFAULT_WINDOW,
    same_words: float = SAME_WORDS,
    same_words_and_people: float = SAME_WORDS_AND_PEOPLE,
) -> list[Story]:
    """Reports grouped into stories (connected same-story pairs), each story's reports
    oldest first, stories in the order of their first report in ``reports``."""
    parent = list(range(len(reports)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = same_story_pairs(
        reports, window=window, same_words=same_words, same_words_and_people=same_words_and_people
    )
    for i, j in pairs:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[Report]] = {}
    for index, report in enumerate(reports):
        groups.setdefault(root(index), []).append(report)
    return [Story(tuple(sorted(group, key=_report_order))) for group in groups.values()]


def _report_order(report: Report) -> tuple[int, datetime | None, str]:
    # undated reports after dated ones; ties by key so the order is stable
    if report.published is None:
        return (1, None, str(report.key))
    return (0, report.published, str(report.key))
