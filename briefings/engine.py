"""The who-said-what engine: an article in, statements out."""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from briefings.models import Actor, Article, Span, Stance, Statement
from briefings.quotes import Attribution, extract_attributions, find_quotes
from briefings.resolve import ActorFinder
from briefings.speakers import PersonIndex, ResolvedSpeaker, resolve_speaker
from briefings.stance import IssueModel, stance_of

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Longer texts are cut before parsing: the model's memory grows with the text.
MAX_CHARS = 200_000
# The least text a parser process takes at a time (see _chunks): the last chunks are this
# small so that both cores stay busy to the end.
MIN_CHUNK_CHARS = 8_000
# The most: a parser's memory grows with the text of its batch.
MAX_CHUNK_CHARS = 30_000


@dataclass(frozen=True, slots=True)
class ExtractionFailure:
    """An article the engine could not read; ``reason`` is one line for a person."""

    reason: str


Outcome = list[Statement] | ExtractionFailure


class Engine:
    """Holds the model and the facts; ``aliases`` are learned or configured name → actor."""

    def __init__(self, nlp: Language, aliases: Mapping[str, Actor] | None = None) -> None:
        self.nlp = nlp
        self.actors = ActorFinder(aliases)

    def extract(self, article: Article) -> list[Statement]:
        """The statements of one article."""
        return self.extract_many([article])[0]

    def extract_many(
        self, articles: Iterable[Article], n_process: int = 1, batch_size: int = 16
    ) -> list[list[Statement]]:
        """The statements of many articles, parsed as one stream; the first failure raises."""
        items = list(articles)
        if n_process > 1:
            found = self.extract_each(items, n_process=n_process, batch_size=batch_size)
            for outcome in found:
                if isinstance(outcome, ExtractionFailure):
                    raise RuntimeError(outcome.reason)
            return [o for o in found if not isinstance(o, ExtractionFailure)]
        texts = [a.text[:MAX_CHARS] for a in items]
        docs = self.nlp.pipe(texts, batch_size=batch_size)
        return [self.statements(doc, article) for doc, article in zip(docs, items, strict=True)]

    def extract_each(
        self, articles: Sequence[Article], n_process: int = 1, batch_size: int = 16
    ) -> list[Outcome]:
        """The statements of each article, or why it failed: one article's failure (an
        exception, or a parser process that died) never stops the others.

        With ``n_process`` > 1 the work runs in that many forked processes, which share the
        loaded model with this one (a spawned process would load it again); each parses and
        resolves its own share and sends back only statements. Forking needs Linux and no
        other thread running; without them the work is done here.
        """
        if n_process <= 1 or len(articles) < 2 or not _can_fork():
            return _each_here(self, articles, batch_size)
        return _each_forked(self, list(articles), n_process, batch_size)

    def statements(self, doc: Doc, article: Article) -> list[Statement]:
        """Attributions of a parsed article, with names, actors and stances resolved."""
        text = doc.text
        quotes = find_quotes(text)
        found = extract_attributions(doc, quotes)
        inside = [False] * (len(text) + 1)
        for quote in quotes:
            for pos in range(quote.start, quote.end):
                inside[pos] = True
        persons = PersonIndex(doc, inside, self.actors.gazetteer.female)
        when = article.published.date() if article.published else None
        issue = IssueModel.from_article(doc, article.title)
        resolved: list[tuple[int, ResolvedSpeaker]] = []
        out: list[Statement] = []
        for att in found:
            head = doc[att.speaker_token]
            speaker = resolve_speaker(head, att.speaker, persons, resolved)
            resolved.append((att.content[0], speaker))
            actor, role = self.actors.find(speaker, when)
            statement = _statement(text, att, speaker, actor, role, stance_of(doc, att, issue))
            out.append(replace(statement, party=self.actors.party(speaker)))
        speakers = [speaker for _, speaker in resolved]
        return self.actors.from_context(doc, out, speakers)


def _reason(exc: BaseException) -> str:
    detail = str(exc).strip().splitlines()
    return f"the engine failed on it ({type(exc).__name__}{': ' + detail[0] if detail else ''})"


def _one_here(engine: Engine, article: Article) -> Outcome:
    try:
        return engine.statements(engine.nlp(article.text[:MAX_CHARS]), article)
    except Exception as exc:
        return ExtractionFailure(_reason(exc))


def _each_here(engine: Engine, articles: Sequence[Article], batch_size: int) -> list[Outcome]:
    """In this process: one ``nlp.pipe`` stream; when a component fails on a batch, the rest
    article by article, so that only the article at fault fails."""
    out: list[Outcome] = []
    texts = (a.text[:MAX_CHARS] for a in articles)
    try:
        for doc, article in zip(
            engine.nlp.pipe(texts, batch_size=batch_size), articles, strict=True
        ):
            try:
                out.append(engine.statements(doc, article))
            except Exception as exc:
                out.append(ExtractionFailure(_reason(exc)))
    except Exception:
        out.extend(_one_here(engine, article) for article in articles[len(out) :])
    return out


def _can_fork() -> bool:
    # Forking a process with other threads running can deadlock in the child; outside Linux
    # system libraries (macOS's among them) are not safe to use in a forked child.
    return sys.platform == "linux" and threading.active_count() == 1


# What forked workers find in their copy of this process's memory: set just before forking.
_FORKED: tuple[Engine, list[Article], int] | None = None
_DIED = "the parser process died on it (killed, or out of memory)"


def _work(indices: list[int]) -> list[Outcome]:
    assert _FORKED is not None, "not a forked worker"
    engine, articles, batch_size = _FORKED
    return _each_here(engine, [articles[i] for i in indices], batch_size)


def _chunks(articles: Sequence[Article], n_process: int) -> list[list[int]]:
    """Article indices in chunks, longest articles first: each chunk a third of what is left
    per process (larger batches parse faster) within MIN_CHUNK_CHARS..MAX_CHUNK_CHARS, the
    last ones small so that no process is left parsing alone."""
    order = sorted(range(len(articles)), key=lambda i: -len(articles[i].text))
    left = sum(min(len(a.text), MAX_CHARS) for a in articles)
    chunks: list[list[int]] = []
    size = target = 0
    for i in order:
        if size >= target:
            chunks.append([])
            target = min(MAX_CHUNK_CHARS, max(MIN_CHUNK_CHARS, left // (3 * n_process)))
            size = 0
        chunks[-1].append(i)
        chars = min(len(articles[i].text), MAX_CHARS)
        size += chars
        left -= chars
    return chunks


def _each_forked(
    engine: Engine, articles: list[Article], n_process: int, batch_size: int
) -> list[Outcome]:
    global _FORKED
    context = multiprocessing.get_context("fork")
    out: dict[int, Outcome] = {}
    orphans: list[int] = []  # articles of chunks lost with a dead process
    _FORKED = (engine, articles, batch_size)
    # What exists now (the model above all) is left out of the collector's passes in the
    # children, which would otherwise touch, and so copy, the pages they share with us.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=n_process, mp_context=context) as pool:
            futures = {pool.submit(_work, chunk): chunk for chunk in _chunks(articles, n_process)}
            for future, chunk in futures.items():
                try:
                    out.update(zip(chunk, future.result(), strict=True))
                except BrokenProcessPool:
                    orphans.extend(chunk)
                except Exception as exc:  # the results could not come back
                    out.update((i, ExtractionFailure(_reason(exc))) for i in chunk)
        if orphans:
            out.update(_isolated(sorted(orphans), context))
    finally:
        _FORKED = None
        gc.unfreeze()
    return [out[i] for i in range(len(articles))]


def _isolated(
    indices: list[int], context: multiprocessing.context.BaseContext
) -> dict[int, Outcome]:
    """After a process died: each remaining article in a process of its own, one at a time
    (no thread is running when it forks), so a death names its article and spares the rest."""
    out: dict[int, Outcome] = {}
    for index in indices:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            try:
                out[index] = pool.submit(_work, [index]).result()[0]
            except BrokenProcessPool:
                out[index] = ExtractionFailure(_DIED)
    return out


def _span(text: str, chars: tuple[int, int]) -> Span:
    return Span(chars[0], chars[1], text[chars[0] : chars[1]])


def _statement(
    text: str,
    att: Attribution,
    speaker: ResolvedSpeaker,
    actor: Actor | None,
    role: str | None,
    stance: Stance,
) -> Statement:
    return Statement(
        speaker=_span(text, att.speaker),
        speaker_name=speaker.name,
        role=role,
        actor=actor,
        cue=_span(text, att.cue) if att.cue else None,
        content=_span(text, att.content),
        kind=att.kind,
        stance=stance,
        parts=tuple(_span(text, p) for p in att.parts),
    )


def spans_verbatim(text: str, statements: Sequence[Statement]) -> bool:
    """Whether every span of every statement is the exact text at its offsets."""
    for st in statements:
        spans = [st.speaker, st.content, *st.parts] + ([st.cue] if st.cue else [])
        if any(text[s.start : s.end] != s.text for s in spans):
            return False
    return True
