"""Plain-text rendering of bullets, as a person reads them in a terminal or chat."""

from __future__ import annotations

from collections.abc import Sequence

from briefings.models import Article, Bullet, Kind, Stance

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


def render_text(article: Article, bullets: Sequence[Bullet]) -> str:
    """The briefing of one article: its title, then one line per actor."""
    lines = [article.title or "(untitled)"]
    if article.url:
        lines.append(article.url)
    lines.append("")
    lines.extend(bullet_line(b) for b in bullets)
    if not bullets:
        lines.append("No attributed statements found.")
    return "\n".join(lines)
