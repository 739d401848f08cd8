"""Stories → a briefing people read: ranked, within a budget, with the split at a glance.

``build_briefing`` clusters the reports into stories (``briefings.stories``), makes one
bullet per person of each story (the same words in several outlets are one bullet that
counts them), finds the story's issue and who takes which side on it, ranks the stories
by coverage, sides, the channel's topics and recency, and keeps the best within the
channel's budget; the rest are one line each under "Also:".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from briefings.condense import (
    cue_of,
    importance,
    is_headline,
    named_speaker,
    pick_statements,
    trim,
    words_of,
)
from briefings.models import (
    Actor,
    Article,
    Briefing,
    Bullet,
    Kind,
    Said,
    Source,
    Split,
    Stance,
    Statement,
    StoryBrief,
)
from briefings.names import GROUPS, KnownName, SpeakerNames
from briefings.stance import aggregate, term_key
from briefings.stories import DEFAULT_WINDOW, Report, Story, cluster_reports

DEFAULT_STORIES = 8
DEFAULT_BULLETS = 4
# One article read on its own (``newsbrief digest``): its newsworthy people, and up to
# this many different things said in all (at most two direct quotes each), shared out
# so that whoever carries the article says most, up to eight things each.
DIGEST_BULLETS = 8
DIGEST_PIECES = 20
DIGEST_MOST_PER_PERSON = 8
DEFAULT_ALSO = 12
# A channel briefing's bullet: one person, up to two things they said that differ.
PER_PERSON = 2
MAX_STORIES = 20
MAX_BULLETS = 10
# Two reports of one statement: the words match this well (0-100, word-order blind).
SAME_WORDS = 80
_KIND_WEIGHT = {Kind.DIRECT: 3, Kind.MIXED: 2, Kind.INDIRECT: 1}
_PRONOUNS = frozenset(("he", "she", "they", "it", "we", "i", "you", "who"))
_WARNING = re.compile(r"^(warn|caution|threat)", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_STOP_WORDS = """a an the and or but of in on at to for from by with as over after before into
    about against between says say said will would could should may might must can is
    are was were be been being has have had do does did not no new more most than its
    their his her our this that these those it he she they we who what why how when
    where which amid after despite vs via up out off under plan plans deal talks s next
year years week weeks day days month first last highest lowest double new top"""
_ISSUE_STOP = frozenset(_STOP_WORDS.split())
_JOINERS = frozenset(("of", "in", "to", "for", "on", "over", "and", "across", "into"))


@dataclass(frozen=True, slots=True)
class Budget:
    """How much of a briefing a channel wants: stories shown in full, bullets each."""

    stories: int = DEFAULT_STORIES
    bullets: int = DEFAULT_BULLETS
    also: int = DEFAULT_ALSO  # one-line stories under "Also:"


def _score(st: Statement) -> tuple[int, int, int]:
    decided = 1 if st.stance in (Stance.SUPPORTS, Stance.OPPOSES) else 0
    return (decided, _KIND_WEIGHT[st.kind], len(st.words))


def _same_words(a: str, b: str) -> bool:
    return fuzz.token_set_ratio(a, b, processor=str.lower) >= SAME_WORDS


def _nested(st: Statement, report: Report) -> bool:
    """Whether the words lie inside another statement of the same speaker in the same
    report ("warned that France would reject X": the rejection is part of the warning,
    not a line of its own)."""
    return any(
        other is not st
        and other.speaker_name == st.speaker_name
        and other.content.start <= st.content.start
        and st.content.end <= other.content.end
        and (other.content.start, other.content.end) != (st.content.start, st.content.end)
        for other in report.statements
    )


@dataclass(frozen=True, slots=True)
class _Said:
    statement: Statement
    report: Report


def story_names(story: Story, names: SpeakerNames | None = None) -> SpeakerNames:
    """Who is who in a story: its own names first, then the briefing's (``names``)."""
    return SpeakerNames((st for report in story.reports for st in report.statements), parent=names)


def story_bullets(
    story: Story,
    max_chars: int = 280,
    per_person: int = 1,
    names: SpeakerNames | None = None,
    limit: int | None = None,
    pieces: int | None = None,
) -> list[Bullet]:
    """One bullet per person (or body) of the story that the engine could name, most
    important first (``briefings.condense.importance``: principals and officials, people
    in the headline, direct quotes and denials, then coverage). A person is one bullet
    under their fullest name whatever each report called them (``briefings.names``;
    ``names``: the briefing's, so a person has one name in every story). The words shown
    carry the person's overall side, with their cue verb; ``outlets`` counts the outlets
    that reported those same words; up to ``per_person`` - 1 other things they said that
    say something different follow as ``also``. With ``pieces``, the bullets share that
    many things in all, each up to ``per_person``: what one speaker has not to say goes
    to those who said more, the most important first. ``limit`` keeps the first bullets.
    The headline is never a statement."""
    headline = words_of(story.headline)
    scope = story_names(story, names)
    groups: dict[str, list[_Said]] = {}
    for report in story.reports:
        for st in report.statements:
            if named_speaker(st) and not is_headline(st, headline) and not _nested(st, report):
                groups.setdefault(scope.key(st), []).append(_Said(st, report))
    voices = [_voice(said, scope, headline, order) for order, said in enumerate(groups.values())]
    voices.sort(key=lambda v: v.rank)
    # A country or body speaking for itself adds little beside one of its people, and an
    # unnamed group ("analysts") little beside two named voices: such lines go.
    people_of = {v.actor.id for v in voices if v.person and v.actor}
    named_voices = sum(1 for v in voices if v.person or v.actor)
    kept = [
        v
        for v in voices
        if v.person
        or not (
            (v.actor and v.actor.id in people_of and v.name == v.actor.name)
            or (not v.actor and v.name.lower() in GROUPS and named_voices >= 2)
        )
    ][: limit if limit is not None else None]
    if pieces is None:
        shares = [per_person] * len(kept)
    else:
        shares = _share(
            [len({frozenset(words_of(s.statement.words)) for s in v.said}) for v in kept],
            pieces,
            per_person,
        )
    return [_bullet(v, max(1, share), max_chars) for v, share in zip(kept, shares, strict=True)]


def _share(wants: list[int], total: int, most: int) -> list[int]:
    """``total`` things shared out one at a time in rank order, each up to ``most`` and
    to what it has (``wants``), so what one has not goes to the others."""
    given = [0] * len(wants)
    left = total
    while left > 0:
        open_ = [i for i, want in enumerate(wants) if given[i] < min(want, most)]
        if not open_:
            break
        for i in open_[:left]:
            given[i] += 1
        left -= min(left, len(open_))
    return given


@dataclass(frozen=True, slots=True)
class _Voice:
    """One speaker of a story, before it becomes a bullet."""

    said: list[_Said]
    best: _Said
    name: str
    actor: Actor | None
    role: str | None
    stance: Stance
    outlets: set[str]
    person: bool
    rank: tuple[int, ...]


def _reported_by(one: _Said, said: list[_Said]) -> set[str]:
    words = one.statement.words
    return {s.report.outlet or s.report.url for s in said if _same_words(s.statement.words, words)}


def _voice(said: list[_Said], scope: SpeakerNames, headline: set[str], order: int) -> _Voice:
    statements = [s.statement for s in said]
    stance = aggregate(st.stance for st in statements)
    decided = stance in (Stance.SUPPORTS, Stance.OPPOSES)
    # the words most outlets carry, among those taking the person's overall side;
    # then what the report leads with (news puts the most important first)
    best = max(
        said,
        key=lambda s: (
            decided and s.statement.stance is stance,
            len(_reported_by(s, said)),
            -s.statement.content.start,
        ),
    )
    outlets = _reported_by(best, said)
    weight = importance(statements, headline)
    return _Voice(
        said=said,
        best=best,
        # the fullest name, an actor and a role, from whichever report has them
        name=max((scope.name(st) for st in statements), key=len),
        actor=best.statement.actor or next((st.actor for st in statements if st.actor), None),
        role=best.statement.role or next((st.role for st in statements if st.role), None),
        stance=stance,
        outlets=outlets,
        person=scope.is_person(best.statement),
        rank=(-weight, -len(outlets), -int(decided), order),
    )


def _bullet(voice: _Voice, per_person: int, max_chars: int) -> Bullet:
    best = voice.best.statement
    statements = [s.statement for s in voice.said]
    others = [st for st in statements if not _same_words(st.words, best.words)]
    also = pick_statements(others, per_person - 1, keep=[best.words])
    return Bullet(
        label=voice.name,
        actor=voice.actor,
        speaker_name=voice.name,
        role=voice.role,
        text=trim(best.words, max_chars),
        kind=best.kind,
        stance=voice.stance,
        statements=len(voice.said),
        outlets=len(voice.outlets),
        cue=cue_of(best),
        also=tuple(Said(cue_of(st), trim(st.words, max_chars), st.kind) for st in also),
    )


def _is_warning(st: Statement) -> bool:
    return st.cue is not None and bool(_WARNING.match(st.cue.text.strip()))


def story_split(story: Story, issue: str, names: SpeakerNames | None = None) -> Split | None:
    """Who takes which side on the story's issue, by actor (country or organisation, else
    the speaker, by the name ``names`` give them): "for", "against", and "warns" for an
    actor whose words are warnings rather than a position. None unless two or more actors
    take a side."""
    scope: SpeakerNames | None = None  # built only for a speaker with no actor
    said: dict[str, list[Statement]] = {}
    shown: dict[str, str] = {}
    for report in story.reports:
        for st in report.statements:
            if st.speaker_name.strip().lower() in _PRONOUNS:
                continue
            if st.actor:
                key, name = st.actor.id, st.actor.name
            else:
                scope = scope or story_names(story, names)
                key, name = scope.key(st), scope.name(st)
            said.setdefault(key, []).append(st)
            shown.setdefault(key, name)
    sides: dict[str, list[str]] = {"for": [], "against": [], "warns": []}
    for key, statements in said.items():
        stance = aggregate(st.stance for st in statements)
        warns = sum(_is_warning(st) for st in statements) * 2 > len(statements)
        if warns and stance is not Stance.SUPPORTS:
            sides["warns"].append(shown[key])
        elif stance is Stance.SUPPORTS:
            sides["for"].append(shown[key])
        elif stance is Stance.OPPOSES:
            sides["against"].append(shown[key])
    if sum(len(actors) for actors in sides.values()) < 2:
        return None
    return Split(issue, tuple((side, tuple(actors)) for side, actors in sides.items() if actors))


def issue_phrase(
    headline: str, texts: Iterable[str], exclude: Iterable[str] = (), places: Iterable[str] = ()
) -> str:
    """The story's issue as a short phrase of its headline: the headline's words that the
    statements keep using ("troops in Ukraine"), joined by the small words between them;
    the headline's first words when none recurs. ``exclude`` are names never the issue
    (the speakers); ``places`` (the actors) may join the phrase but never lead it
    ("troops in Ukraine", not "Ukraine")."""
    words = [m.group() for m in _WORD.finditer(headline)]
    if not words:
        return ""
    banned = {term_key(w) for name in exclude for w in _WORD.findall(name)}
    used: Counter[str] = Counter()
    for text in texts:
        used.update({term_key(w) for w in _WORD.findall(text)})
    keys = [term_key(w) for w in words]
    score = [0 if k in _ISSUE_STOP or k in banned or len(k) < 3 else used[k] for k in keys]
    top = max(score)
    if top == 0:
        content = [w for w, k in zip(words, keys, strict=True) if k not in _ISSUE_STOP]
        return _clean_phrase(content[:3] or words[:3])

    def strong(i: int) -> bool:
        return score[i] > 0 and score[i] * 3 >= top

    place = {term_key(w) for name in places for w in _WORD.findall(name)}
    seeds = [i for i in range(len(words)) if score[i] and keys[i] not in place]
    start = end = max(seeds or range(len(words)), key=lambda i: (score[i], -i))
    while end - start < 3:
        if end + 1 < len(words) and strong(end + 1):
            end += 1
        elif end + 2 < len(words) and keys[end + 1] in _JOINERS and strong(end + 2):
            end += 2
        elif start > 0 and strong(start - 1):
            start -= 1
        elif start > 1 and keys[start - 1] in _JOINERS and strong(start - 2):
            start -= 2
        else:
            break
    return _clean_phrase(words[start : end + 1])


def _clean_phrase(words: list[str]) -> str:
    while words and term_key(words[-1]) in _ISSUE_STOP | _JOINERS:
        words = words[:-1]
    return " ".join(w.replace("’s", "").replace("'s", "") for w in words)


def story_issue(story: Story) -> str:
    """The issue of a story: from its headline and what its reports and statements say."""
    texts: list[str] = []
    speakers: list[str] = []
    actors: list[str] = []
    for report in story.reports:
        texts.append(report.lead[:600])
        for st in report.statements:
            texts.append(st.words)
            speakers.append(st.speaker_name)
            if st.actor:
                actors.append(st.actor.name)
    return issue_phrase(story.headline, texts, exclude=speakers, places=actors)


def article_issue(title: str, lead: str, statements: Sequence[Statement]) -> str:
    """The issue of one article (what a /stance answer says a side is on)."""
    return story_issue(Story((Report(0, title, lead, statements=tuple(statements)),)))


def _matches_topics(story: Story, topics: Sequence[str]) -> int:
    if not topics:
        return 0
    text = " ".join(f"{r.title} {r.lead[:600]}" for r in story.reports).casefold()
    return sum(1 for topic in topics if topic.casefold() in text)


def brief_story(
    story: Story,
    bullets: int = DEFAULT_BULLETS,
    per_person: int = 1,
    names: SpeakerNames | None = None,
    pieces: int | None = None,
) -> StoryBrief:
    """One story as a briefing shows it: headline, sources, issue, split, bullets (each
    with up to ``per_person`` things its speaker said, under the name ``names`` give;
    with ``pieces``, that many things shared out among them)."""
    issue = story_issue(story)
    sources = tuple(
        Source(report.outlet, report.url) for report in story.reports if report.url or report.outlet
    )
    first = story.reports[0]
    return StoryBrief(
        title=story.headline,
        url=first.url,
        outlet=", ".join(story.outlets),
        published=story.published,
        bullets=tuple(
            story_bullets(
                story, per_person=per_person, names=names, limit=max(0, bullets), pieces=pieces
            )
        ),
        sources=sources,
        issue=issue,
        split=story_split(story, issue, names),
    )


def article_brief(article: Article, statements: Sequence[Statement]) -> StoryBrief:
    """One article as its own story, the way ``newsbrief digest`` shows it."""
    report = Report(
        0,
        article.title,
        article.text,
        article.url,
        article.outlet,
        article.published,
        tuple(statements),
    )
    return brief_story(
        Story((report,)), DIGEST_BULLETS, DIGEST_MOST_PER_PERSON, pieces=DIGEST_PIECES
    )


def rank_key(story: Story, topic_hits: int) -> tuple[int, int, int, int, float]:
    """Coverage (outlets) first, then the channel's topics, actors taking sides, anyone
    quoted at all, and recency."""
    split = story_split(story, "")
    sides = sum(len(actors) for _, actors in split.sides) if split else 0
    quoted = any(report.statements for report in story.reports)
    when = story.published.timestamp() if story.published else 0.0
    return (-len(story.outlets), -topic_hits, -sides, -int(quoted), -when)


def also_line(story: Story) -> StoryBrief:
    """A story beyond the budget: headline, date, outlets and links, no bullets."""
    sources = tuple(Source(r.outlet, r.url) for r in story.reports if r.url or r.outlet)
    return StoryBrief(
        title=story.headline,
        url=story.reports[0].url,
        outlet=", ".join(story.outlets),
        published=story.published,
        bullets=(),
        sources=sources,
    )


def build_briefing(
    reports: Sequence[Report],
    *,
    title: str,
    now: datetime | None = None,
    topics: Sequence[str] = (),
    budget: Budget | None = None,
    notices: Sequence[str] = (),
    known: Sequence[KnownName] = (),
) -> Briefing:
    """The channel's briefing of ``reports``: at most ``budget.stories`` stories with at
    most ``budget.bullets`` bullets each, best first; the next ``budget.also`` one line
    each under "Also:", and how many more there are. A story in which nobody is quoted is
    never shown in full. Only the stories shown are condensed (a busy day has thousands).

    A person has one name across the briefing, the fullest its reports (or ``known``, the
    full names the store learned for short ones) give them, and one bullet a story with
    up to ``PER_PERSON`` things they said that differ."""
    budget = budget or Budget()
    stories = cluster_reports(reports, window=DEFAULT_WINDOW)
    ranked = sorted(stories, key=lambda story: rank_key(story, _matches_topics(story, topics)))
    shown: list[Story] = []
    rest: list[Story] = []
    for story in ranked:
        # whether anyone can be named in it, whoever they turn out to be
        if len(shown) < budget.stories and story_bullets(story):
            shown.append(story)
        else:
            rest.append(story)
    # one person, one name across the stories shown
    names = SpeakerNames(
        (st for story in shown for r in story.reports for st in r.statements), known
    )
    full = [brief_story(story, budget.bullets, PER_PERSON, names) for story in shown]
    also = [also_line(story) for story in rest[: max(0, budget.also)]]
    return Briefing(
        title=title,
        stories=tuple(full),
        generated=now,
        notices=tuple(notices),
        also=tuple(also),
        more=max(0, len(rest) - len(also)),
    )
