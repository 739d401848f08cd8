"""Articles → stories: reports of the same event from different outlets grouped as one.

Two reports are the same story when their title and lead say much the same thing
(TF-IDF cosine similarity), or somewhat the same and they quote the same people, and
they were published within a time window of each other. Stories are the connected
groups of such pairs.

Why TF-IDF: reports of one event share few exact phrases but the same rare words (names,
places, the thing at issue), and inverse document frequency is what weighs those above
"said" or "government". rapidfuzz (character-level edit ratios) suits near-duplicate
strings, which is how it is used for bullets (the same quote in several outlets), not
for stories told in different words.

Why our own TF-IDF and not scikit-learn's: importing ``sklearn.feature_extraction.text``
takes 1.2-2.5 s (scipy.stats and sklearn.utils come with it), and ``/stance`` groups a
page of up to 20 reports at every call, so ``newsbrief stance Germany`` started in 2.4 s
for a computation of a few milliseconds. The weights here are scikit-learn's
``TfidfVectorizer(stop_words="english", sublinear_tf=True, strip_accents="unicode")``
formula for formula (the same tokens, stop words, smoothed idf and L2 norm), and the same
pairs come out: checked against scikit-learn 1.9.1 on the fixture and on the 5,000
articles of ``bench/bench_brief.py`` and samples of them, both paths below. Up to
``_FEW`` reports every pair is compared in plain Python (nothing imported); more are
multiplied as a scipy sparse matrix a block at a time, as before (numpy and
``scipy.sparse`` load in 0.3-0.7 s once per process, against 6-7 s for scikit-learn on
the busy machine, and 5,000 reports score in about as long as with scikit-learn).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from briefings.models import Statement
from briefings.stop_words import ENGLISH_STOP_WORDS

DEFAULT_WINDOW = timedelta(days=3)
# Cosine similarity above which two reports are one story on their words alone...
SAME_WORDS = 0.30
# ...and the lower bar when they also quote the same person.
SAME_WORDS_AND_PEOPLE = 0.15
_LEAD_CHARS = 600
_BLOCK = 512  # rows of the similarity matrix computed at a time (bounded memory)
# Up to this many reports every pair is compared in plain Python (a /stance answer groups
# at most a page of 20): 150 reports of one day take about 0.05 s that way, less than
# importing numpy and scipy.sparse; more are multiplied as a sparse matrix.
_FEW = 150
_WORD = re.compile(r"(?u)\b\w\w+\b")
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


def terms(text: str) -> list[str]:
    """The words TF-IDF counts: lower case, accents stripped, two or more word characters,
    English stop words left out (scikit-learn's ``TfidfVectorizer(stop_words="english",
    strip_accents="unicode")`` word for word)."""
    text = text.lower()
    if not text.isascii():
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return [word for word in _WORD.findall(text) if word not in ENGLISH_STOP_WORDS]


def term_counts(documents: Sequence[str]) -> list[Counter[str]]:
    """How often each document uses each of its words (``terms``)."""
    return [Counter(terms(document)) for document in documents]


def tfidf_vectors(counts: Sequence[Counter[str]]) -> list[dict[str, float]]:
    """Each document's TF-IDF weights, L2-normalised, so that the dot product of two is
    their cosine similarity: sublinear term frequency (1 + ln tf) times the smoothed inverse
    document frequency (ln((1 + n) / (1 + df)) + 1), as scikit-learn's ``TfidfVectorizer(
    sublinear_tf=True)`` computes them. A document with no word gets an empty vector."""
    frequency: Counter[str] = Counter()
    for count in counts:
        frequency.update(count.keys())
    n = len(counts) + 1
    idf = {term: math.log(n / (df + 1)) + 1 for term, df in frequency.items()}
    vectors: list[dict[str, float]] = []
    for count in counts:
        weights = {term: (1 + math.log(tf)) * idf[term] for term, tf in count.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        vectors.append({term: w / norm for term, w in weights.items()} if norm else {})
    return vectors


def same_story_pairs(
    reports: Sequence[Report],
    *,
    window: timedelta = DEFAULT_WINDOW,
    same_words: float = SAME_WORDS,
    same_words_and_people: float = SAME_WORDS_AND_PEOPLE,
) -> list[tuple[int, int]]:
    """Index pairs (i < j) of reports that tell the same story, in order."""
    if len(reports) < 2:
        return []
    counts = term_counts([_document(r) for r in reports])
    hours = [r.published.timestamp() / 3600 if r.published else None for r in reports]
    span = window.total_seconds() / 3600
    similar = _similar_few if len(reports) <= _FEW else _similar_many
    who: dict[int, frozenset[str]] = {}

    def quoted(i: int) -> frozenset[str]:
        if i not in who:
            who[i] = people(reports[i])
        return who[i]

    return sorted(
        (i, j)
        for i, j, score in similar(counts, hours, span, same_words_and_people)
        if score >= same_words or quoted(i) & quoted(j)
    )


def _similar_few(
    counts: Sequence[Counter[str]], hours: Sequence[float | None], span: float, bar: float
) -> Iterator[tuple[int, int, float]]:
    """(i, j, cosine) of the pairs i < j within the window scoring at least ``bar``, in
    plain Python: every pair compared, from the shorter vector."""
    vectors = tfidf_vectors(counts)
    for j in range(1, len(vectors)):
        b, when = vectors[j], hours[j]
        for i in range(j):
            a, then = vectors[i], hours[i]
            if not a or not b:
                continue
            if when is not None and then is not None and abs(when - then) > span:
                continue
            short, long = (a, b) if len(a) <= len(b) else (b, a)
            score = sum(w * long.get(term, 0.0) for term, w in short.items())
            if score >= bar:
                yield i, j, score


def _similar_many(
    counts: Sequence[Counter[str]], hours: Sequence[float | None], span: float, bar: float
) -> Iterator[tuple[int, int, float]]:
    """The same as ``_similar_few`` for hundreds or thousands of reports: the TF-IDF
    weights (``tfidf_vectors``' formulas, over arrays) as a sparse matrix, each block of rows
    multiplied only with the reports within the window after it (and every undated one),
    the bar and the window applied to a block at once."""
    import numpy as np
    from scipy.sparse import csr_matrix

    n = len(counts)
    vocabulary: defaultdict[str, int] = defaultdict()
    vocabulary.default_factory = vocabulary.__len__  # a new word gets the next id
    ids = np.array([vocabulary[term] for count in counts for term in count], dtype=np.int64)
    tf = np.fromiter((k for count in counts for k in count.values()), np.float64, len(ids))
    lengths = np.fromiter((len(count) for count in counts), np.int64, n)
    row_of = np.repeat(np.arange(n), lengths)
    idf = np.log((n + 1) / (np.bincount(ids, minlength=len(vocabulary)) + 1)) + 1
    weights = (1 + np.log(tf)) * idf[ids]
    weights /= np.sqrt(np.bincount(row_of, weights * weights, minlength=n))[row_of]
    matrix = csr_matrix(
        (weights, ids, np.concatenate(([0], np.cumsum(lengths)))),
        shape=(n, max(len(vocabulary), 1)),
    )
    # Reports in time order, the undated last: a block of rows is compared only with
    # the reports after it that fall within the window (and with every undated one),
    # never with the whole day's news.
    when_all = np.array([np.nan if h is None else h for h in hours])
    order = np.argsort(when_all, kind="stable")  # NaN (undated) sorts last
    ordered = matrix[order]
    when = when_all[order]
    dated = int(np.count_nonzero(~np.isnan(when)))
    for start in range(0, n, _BLOCK):
        end = min(start + _BLOCK, n)
        if end <= dated:
            last = int(np.searchsorted(when[:dated], when[end - 1] + span, side="right"))
            columns = np.concatenate((np.arange(start, last), np.arange(dated, n)))
        else:
            columns = np.arange(start, n)
        block = (ordered[start:end] @ ordered[columns].T).tocoo()
        # most pairs share only a common word or two and go here
        rows = block.row.astype(np.int64) + start
        cols = columns[block.col]
        gap = np.abs(when[rows] - when[cols])
        keep = (cols > rows) & (block.data >= bar) & ~(gap > span)
        first, second = order[rows[keep]], order[cols[keep]]
        yield from zip(
            np.minimum(first, second).tolist(),
            np.maximum(first, second).tolist(),
            block.data[keep].tolist(),
            strict=True,
        )


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
