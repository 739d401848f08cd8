"""Expected failures. Adapters turn these into user text; anything else is a bug and is logged.

NewsbriefError
 ├── UserInputError        bad arguments from a user (a malformed cron, an empty name)
 │    ├── UnknownActorError     no actor matches; carries suggestions
 │    └── UnsafeURLError        a URL that resolves to a non-public address
 ├── PermissionDeniedError a configuration command from a non-manager
 ├── NotFoundError         a feed or channel that is not configured
 ├── FetchError            a feed or page could not be fetched or parsed
 ├── PublishError          a platform refused a message (``rejected``: that message itself,
 │                         which it will never take; else the channel, for now or for good)
 ├── DeliveryStopped       the bot is stopping: a briefing stopped between two messages,
 │                         to be finished from its first unsent one at the next start
 └── ConfigurationError    settings are missing or wrong (a bad token, a bad database URL)
"""

from __future__ import annotations


class NewsbriefError(Exception):
    """Base of every failure that is expected and has a message fit for a user."""


class UserInputError(NewsbriefError):
    pass


class UnknownActorError(UserInputError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        # The name as typed, cut short: a reply never echoes a long input back.
        line = " ".join(name.split())
        shown = line if len(line) <= 40 else line[:39].rstrip() + "…"
        super().__init__(f"No actor matches {shown!r}.{hint}")


class UnsafeURLError(UserInputError):
    pass


class PermissionDeniedError(NewsbriefError):
    pass


class NotFoundError(NewsbriefError):
    pass


class FetchError(NewsbriefError):
    pass


class DeliveryStopped(NewsbriefError):
    pass


class PublishError(NewsbriefError):
    def __init__(self, message: str, *, rejected: bool = False) -> None:
        super().__init__(message)
        # The platform refused this message as it is (too long, malformed): sending it
        # again can never succeed, so a delivery skips it rather than stop on it forever.
        self.rejected = rejected


class ConfigurationError(NewsbriefError):
    pass
