"""Logging for the bot: one stream handler, quiet third-party loggers, and no secrets.

Tokens must never reach a log, even inside a traceback or a library's debug line, so
every record passes a filter that redacts the configured secrets and anything shaped
like a Discord or Slack token.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

REDACTED = "[redacted]"
TOKEN_PATTERNS = (
    re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{8,}"),  # Slack bot/user/config tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),  # Slack app-level tokens
    # Discord bot tokens: base64 user id . timestamp . HMAC
    re.compile(r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}\b"),
    re.compile(r"(?i)(\bBot\s+|\bBearer\s+)[A-Za-z0-9._-]{16,}"),  # Authorization headers
)
# Third-party loggers at WARNING whatever the bot's level: their INFO lines (a request's
# body, each connection, each job) are for their own debugging, not for an operator.
QUIET = {
    "discord": logging.WARNING,
    "discord.gateway": logging.WARNING,
    "discord.http": logging.WARNING,
    "discord.client": logging.WARNING,
    "slack_bolt": logging.WARNING,
    "slack_sdk": logging.WARNING,
    "apscheduler": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "asyncio": logging.WARNING,
    "alembic": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "urllib3": logging.WARNING,
    "matplotlib": logging.WARNING,
    "PIL": logging.WARNING,
    "trafilatura": logging.WARNING,
    "htmldate": logging.WARNING,
    "charset_normalizer": logging.WARNING,
    "websockets": logging.WARNING,
}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret and token-shaped string replaced by "[redacted]"."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    for pattern in TOKEN_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (arguments merged in) and its traceback text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class RedactingFormatter(logging.Formatter):
    """A last pass over the final line, for anything a filter could not see."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def configure_logging(
    level: str = "INFO", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Install the one handler on the root logger (called by the composition root)."""
    secrets = tuple(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "newsbrief", False)]:
        root.removeHandler(old)
    handler.newsbrief = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    return handler
