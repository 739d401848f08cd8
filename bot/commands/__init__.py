"""The platform-neutral command layer, in three parts:

- ``parse.py``: a platform's command (typed text or structured options) → ``CommandRequest``;
- ``dispatch.py``: ``handle(service, request)`` → a typed reply, the one place that checks
  rights and turns failures into user text;
- ``replies.py`` (the typed replies) and ``present.py`` (plain-text lines every renderer
  formats).

Adapters translate a platform event into a ``CommandRequest`` and the reply into messages.

Commands (names are a contract):
``stance`` · ``briefing now`` · ``briefing schedule`` · ``briefing topics add|remove|list``
· ``briefing feeds add|remove|list|defaults`` · ``briefing status`` · ``briefing length``
· ``newsbrief help``.
"""

from __future__ import annotations

from bot.commands.dispatch import DENIED, GENERIC_ERROR, HELP_TEXT, Acknowledge, handle
from bot.commands.parse import (
    COMMANDS,
    EXCERPT_CHARS,
    MANAGER_COMMANDS,
    MAX_DAYS,
    MAX_OPTION_CHARS,
    PUBLIC_COMMANDS,
    TOP_LEVEL,
    CommandRequest,
    excerpt,
    parse_days,
    parse_line,
    parse_text,
)
from bot.commands.present import (
    as_said,
    feed_line,
    fit,
    format_date,
    in_story,
    notice_lines,
    older_line,
    pack,
    shorten,
    side_on,
    split_text,
    stance_stories_of,
    stance_summary,
    status_lines,
)
from bot.commands.replies import (
    Attachment,
    BriefingReply,
    ErrorReply,
    FeedsReply,
    HelpReply,
    Reply,
    ReplyKind,
    StanceReply,
    StatusReply,
    TextReply,
    TopicsReply,
)

__all__ = [
    "COMMANDS",
    "DENIED",
    "EXCERPT_CHARS",
    "GENERIC_ERROR",
    "HELP_TEXT",
    "MANAGER_COMMANDS",
    "MAX_DAYS",
    "MAX_OPTION_CHARS",
    "PUBLIC_COMMANDS",
    "TOP_LEVEL",
    "Acknowledge",
    "Attachment",
    "BriefingReply",
    "CommandRequest",
    "ErrorReply",
    "FeedsReply",
    "HelpReply",
    "Reply",
    "ReplyKind",
    "StanceReply",
    "StatusReply",
    "TextReply",
    "TopicsReply",
    "as_said",
    "excerpt",
    "feed_line",
    "fit",
    "format_date",
    "handle",
    "in_story",
    "notice_lines",
    "older_line",
    "pack",
    "parse_days",
    "parse_line",
    "parse_text",
    "shorten",
    "side_on",
    "split_text",
    "stance_stories_of",
    "stance_summary",
    "status_lines",
]
