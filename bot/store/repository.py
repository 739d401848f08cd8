"""The store behind one name: plain synchronous methods, one transaction each, split by
what they store:

- ``feeds.py``: the feeds polled and what each poll left (validators, failures, back-off);
- ``articles.py``: articles, refused when duplicate, stored with their statements at once;
- ``statements.py``: statements, the aliases they teach, running totals, /stance;
- ``channels.py``: channel settings, their feeds, their deliveries.

Each returns the plain dataclasses of ``records.py``. The service reaches them through
``Store`` (``store.py``), which runs them on the store's own threads; ingestion and the
CLI call them from a worker thread themselves.
"""

from __future__ import annotations

from bot.store.articles import ArticleStore
from bot.store.channels import ChannelStore
from bot.store.feeds import FeedStore
from bot.store.statements import StatementStore


class Repository(FeedStore, ArticleStore, StatementStore, ChannelStore):
    """Every query the bot makes, behind method names that say what they do. The four
    parts share one ``Database`` (sessions, dialect, transactions) and nothing else."""
