"""Plain text, as a person reads it in a terminal: the one plain-text rendering of a
briefing, shared by the console, ``newsbrief brief --dry-run`` and ``newsbrief digest``;
and the parts every platform shows the same way (the split line, the outlets count)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from briefings.models import Article, Briefing, Bullet, Kind, Split, Stance, StoryBrief

MAX_NOTICES = 5  # a briefing shows this many notices, then how many more there are
_STANCE_MARK = {Stance.SUPPORTS: "▲ supports", Stance.OPPOSES: "▼ opposes"}


def bullet_line(bullet: Bullet) -> str:
    """ "• Germany — Chancellor Olaf Scholz: “…” (opposes)"."""
    name = bullet.speaker_name
    who = (
        f"{bullet.role} {name}" if bullet.role and bullet.role.lower() not in name.lower() else name
    )
    head = bullet.label if bullet.label == bullet.speaker_name else f"{bullet.label} — {who}"
    words = f"“{bullet.text}”" if bullet.kind is Kind.DIRECT else bullet.text
    mark = _STANCE_MARK.get(bullet.stance)
    tail = f"  ({mark})" if mark else ""
    more = f"  [+{bullet.statements - 1} more]" if bullet.statements > 1 else ""
    return f"• {head}: {words}{tail}{more}"


def split_line(split: Split) -> str:
    """ "Troops in Ukraine: for France · against Germany, NATO · warns Russia"."""
    issue = split.issue[:1].upper() + split.issue[1:]
    sides = " · ".join(f"{side} {', '.join(actors)}" for side, actors in split.sides)
    return f"{issue}: {sides}" if issue else sides


def outlets_tag(bullet: Bullet) -> str:
    """ " (3 outlets)" after words several outlets reported, else nothing."""
    return f" ({bullet.outlets} outlets)" if bullet.outlets > 1 else ""


def story_meta(story: StoryBrief) -> str:
    """ "2026-11-12 · 3 outlets: A, B, C" (or "· A" for one)."""
    count = story.outlets
    names = story.outlet or ""
    where = f"{count} outlets: {names}" if count > 1 else names
    return " · ".join(p for p in (date_text(story.published), where) if p)


def more_line(count: int) -> str:
    """What is left out even of "Also:"."""
    return f"… and {count} more {'story' if count == 1 else 'stories'}"


def date_text(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "undated"


def printable(text: str) -> str:
    """Control characters (terminal escape sequences) dropped from article text."""
    return "".join(c for c in text if c.isprintable() or c in "\n\t")


def render_briefing_text(briefing: Briefing) -> str:
    """A briefing as plain text: each story's headline, date and outlets with a link,
    its split line, its bullets; then "Also:", one line a story."""
    title = briefing.title
    if briefing.generated and date_text(briefing.generated) not in title:
        title += f" · {date_text(briefing.generated)}"
    lines = [f"═══ {title} ═══"]
    lines.extend(f"⚠ {' '.join(n.split())}" for n in briefing.notices[:MAX_NOTICES])
    if len(briefing.notices) > MAX_NOTICES:
        more = len(briefing.notices) - MAX_NOTICES
        lines.append(f"⚠ and {more} more: see /briefing status")
    if not briefing.stories and not briefing.also:
        lines.append("Nothing new since the last briefing.")
    for story in briefing.stories:
        lines.append("")
        link = f" {story.url}" if story.url else ""
        lines.append(f"■ {story.title or story.url} ({story_meta(story)}){link}")
        if story.split:
            lines.append(f"  {split_line(story.split)}")
        lines.extend(f"  {bullet_line(b)}{outlets_tag(b)}" for b in story.bullets)
    if briefing.also:
        lines.append("")
        lines.append("Also:")
        for story in briefing.also:
            lines.append(
                f"  • {story.title or story.url} ({story_meta(story)}) {story.url}".rstrip()
            )
        if briefing.more:
            lines.append(f"  {more_line(briefing.more)}")
    return "\n".join(printable(line) for line in lines)


def render_story_text(story: StoryBrief) -> str:
    """One story as ``render_briefing_text`` shows it (``newsbrief digest``)."""
    lines = render_briefing_text(Briefing(title="", stories=(story,))).splitlines()[2:]
    if not story.bullets:
        lines.append("  No attributed statements found.")
    return "\n".join(lines)


def render_text(article: Article, bullets: Sequence[Bullet]) -> str:
    """The briefing of one article and its bullets, as any briefing reads."""
    story = StoryBrief(
        title=article.title or article.text.strip().partition("\n")[0],
        url=article.url,
        outlet=article.outlet,
        published=article.published,
        bullets=tuple(bullets),
    )
    return render_story_text(story)
