"""Holding one request of a fake unanswered until the test lets it go: the one way both
platform fakes stop a poster in the middle of a briefing."""

from __future__ import annotations

import asyncio


class HoldsARequest:
    """For a fake whose n-th request of a kind (``hold_post``, 1-based; 0: none) waits
    until ``release``; ``held`` counts the requests held now, and every change sets
    ``_changed`` for whoever waits on the fake. The fake declares the fields."""

    hold_post: int
    held: int
    _release: asyncio.Event
    _changed: asyncio.Event

    def release(self) -> None:
        """Let the held request go on (call it on the fake's loop)."""
        self._release.set()

    async def _hold_if(self, nth: int) -> None:
        """Hold the request that is the ``nth`` of its kind, if it is the one to hold."""
        if self.hold_post != nth:
            return
        self.held += 1
        self._changed.set()
        try:
            await self._release.wait()
        finally:
            self.held -= 1
            self._changed.set()
