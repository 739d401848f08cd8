"""The who-said-what engine: an article in, statements out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
        self, articles: Iterable[Article], batch_size: int = 16
    ) -> list[list[Statement]]:
        """The statements of many articles, parsed as one stream; the first failure raises."""
        items = list(articles)
        texts = [a.text[:MAX_CHARS] for a in items]
        docs = self.nlp.pipe(texts, batch_size=batch_size)
        return [self.statements(doc, article) for doc, article in zip(docs, items, strict=True)]

    def extract_each(self, articles: Sequence[Article], batch_size: int = 16) -> list[Outcome]:
        """The statements of each article, or why it failed: one article's failure never
        stops the others. (Several processes: ``bot.extraction.extract_in_processes``.)"""
        return _each_here(self, articles, batch_size)

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


def failure_reason(exc: BaseException) -> str:
    """Why the engine could not read an article, in one line for a person."""
    detail = str(exc).strip().splitlines()
    return f"the engine failed on it ({type(exc).__name__}{': ' + detail[0] if detail else ''})"


def _one_here(engine: Engine, article: Article) -> Outcome:
    try:
        return engine.statements(engine.nlp(article.text[:MAX_CHARS]), article)
    except Exception as exc:
        return ExtractionFailure(failure_reason(exc))


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
                out.append(ExtractionFailure(failure_reason(exc)))
    except Exception:
        out.extend(_one_here(engine, article) for article in articles[len(out) :])
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
        # a split quote's content runs from its first piece to its last, so the words
        # after the attribution are in it too; ``words`` joins the pieces alone
        content=_span(text, (att.parts[0][0], att.parts[-1][1]) if att.parts else att.content),
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
