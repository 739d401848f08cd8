"""Imported only by the crash-safety tests' fork server (see PRELOAD there): the first
extraction of an article page pays trafilatura's one-time set-up, so it is paid here once
rather than in every child the tests fork and kill."""

from __future__ import annotations

from bot.ingest import extract_article
from tests.fakes.feed_server import article_page

extract_article(
    article_page("Warm-up", ["The minister said the bridge would be finished next year."]),
    "https://warm.example/up",
)
