"""Plain text, as a person reads it in a terminal: the one plain-text rendering of a
briefing, shared by the console, ``newsbrief brief --dry-run`` and ``newsbrief digest``;
and the parts every platform shows the same way (the split line, the outlets count).

A bullet reads ``Olaf Scholz (Germany, Chancellor) said: “there will be no ground
troops”`` or ``Ronald Reagan (United States, President) denied he had been told…``:
the speaker, whom they speak for and as what, then each thing they said with its cue
verb. Platforms format the pieces (bold names, escaping); the words are decided here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from briefings.models import Article, Briefing, Bullet, Kind, Said, Split, Stance, StoryBrief

MAX_NOTICES = 5  # a briefing shows this many notices, then how many more there are


@dataclass(frozen=True, slots=True)
class BulletParts:
    """A bullet in pieces: ``name``, ``qualifier`` ("Germany, Chancellor" or ""), and
    ``sayings`` ("said: “…”", "denied that …"), each a plain string to escape."""

    name: str
    qualifier: str
    sayings: tuple[str, ...]
    stance: str  # " (supports)", " (opposes)" or ""


def useful_role(bullet: Bullet) -> str | None:
    """The bullet's role unless it only repeats the speaker ("envoys, envoys")."""
    role = " ".join((bullet.role or "").split())
    if not role:
        return None
    low = role.lower()
    if low in (bullet.speaker_name.lower(), bullet.label.lower()):
        return None
    if bullet.actor and low == bullet.actor.name.lower():
        return None
    return role


def qualifier(bullet: Bullet) -> str:
    """ "Germany, Chancellor": whom the speaker stands for and as what, leaving out what
    the name already says ("the Italian government" needs no "Italy")."""
    name = bullet.speaker_name.lower()
    parts: list[str] = []
    if bullet.actor and bullet.actor.name.lower() not in name:
        parts.append(bullet.actor.name)
    role = useful_role(bullet)
    if role and role.lower() not in name:
        parts.append(role)
    return ", ".join(parts)


def saying(cue: str, text: str, kind: Kind) -> str:
    """ "said: “…”" for verbatim words, "warned that …" for reported ones: the cue is
    always there, so a denial never reads as what it denies."""
    cue = cue or "said"
    if kind is Kind.DIRECT:
        return f"{cue}: “{text}”"
    return f"{cue} {text}"


def stance_tag(bullet: Bullet) -> str:
    """ " (supports)" or " (opposes)" after a bullet that takes a side, else nothing."""
    return f" ({bullet.stance.value})" if bullet.stance in (Stance.SUPPORTS, Stance.OPPOSES) else ""


def bullet_parts(bullet: Bullet) -> BulletParts:
    """The pieces of a bullet, for a renderer to format."""
    said = [Said(bullet.cue, bullet.text, bullet.kind), *bullet.also]
    return BulletParts(
        name=bullet.speaker_name or bullet.label,
        qualifier=qualifier(bullet),
        sayings=tuple(saying(s.cue, s.text, s.kind) for s in said),
        stance=stance_tag(bullet),
    )


def bullet_text(bullet: Bullet) -> str:
    """A bullet as one plain line, without its leading mark."""
    parts = bullet_parts(bullet)
    who = f"{parts.name} ({parts.qualifier})" if parts.qualifier else parts.name
    return f"{who} {'; '.join(parts.sayings)}{parts.stance}"


def bullet_line(bullet: Bullet) -> str:
    """ "• Olaf Scholz (Germany, Chancellor) said: “…”"."""
    return f"• {bullet_text(bullet)}"


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
