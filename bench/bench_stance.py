"""Benchmark: ``stance`` over 1,000,000 stored statements (goal: p95 under 50 ms on SQLite,
for every query shape).

Fills a fresh database with articles and statements spread over 200 actors the way news is
(a few actors say most: a Zipf distribution), then times the service's ``stance`` as /stance
calls it: name lookup, newest-first page of 20, summary over all matching statements.
Prints p50/p95 for names drawn by popularity, for the busiest actor, with ``--topic`` and
with ``--since``.

    .venv/bin/python -m bench.bench_stance [--statements 1000000] [--queries 300]
                                           [--database URL]   (default: SQLite in a temp dir)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bot.service import StoreService
from bot.store import Repository, Store, open_database
from bot.store import models as m

STATEMENTS_PER_ARTICLE = 5
ACTORS = 200
START = datetime(2023, 1, 1, tzinfo=UTC)
# Every article has one broad topic (an eighth of all articles each: the worst case for a
# topic filter) and one narrow one (one in 400, closer to what a channel follows).
TOPICS = ["tanks", "energy", "budget", "tariffs", "migration", "climate", "elections", "trade"]
NARROW = [f"subject{n:03d}" for n in range(400)]
STANCES = ["supports", "opposes", "neutral", "unclear"]


def _actors() -> list[tuple[str, str, str]]:
    import pycountry

    countries = sorted(pycountry.countries, key=lambda c: c.alpha_2)
    picked = [(c.alpha_2, getattr(c, "common_name", None) or c.name, "country") for c in countries]
    orgs = [
        ("NATO", "NATO", "organisation"),
        ("EU", "European Union", "organisation"),
        ("UN", "United Nations", "organisation"),
        ("IMF", "International Monetary Fund", "organisation"),
    ]
    return (orgs + picked)[:ACTORS]


def fill(
    url: str, statements: int, seed: int = 7
) -> tuple[list[tuple[str, str, str]], list[float]]:
    """Bulk-insert the corpus; returns the actors and their popularity weights."""
    rng = random.Random(seed)
    engine, sessions = open_database(url)
    actors = _actors()
    weights = [1 / (rank + 1) for rank in range(len(actors))]
    articles = statements // STATEMENTS_PER_ARTICLE
    span = timedelta(days=500).total_seconds()
    with engine.begin() as conn:
        conn.execute(insert(m.Actor), [{"id": a, "name": n, "kind": k} for a, n, k in actors])
    batch = 20_000
    sid = 0
    for first in range(0, articles, batch):
        art_rows = []
        stmt_rows = []
        for aid in range(first + 1, min(first + batch, articles) + 1):
            published = START + timedelta(seconds=rng.random() * span)
            topic = rng.choice(TOPICS)
            narrow = rng.choice(NARROW)
            body = (
                f"Ministers met on {published:%A} to discuss {topic} and {narrow}. "
                f"The talks on {topic} went on late into the night, officials said."
            )
            art_rows.append(
                {
                    "id": aid,
                    "feed_id": None,
                    "guid": f"bench-{aid}",
                    "url": f"https://news.example/{aid}",
                    "canonical_url": f"https://news.example/{aid}",
                    "content_hash": f"{aid:064x}",
                    "title": f"On {topic}, article {aid}",
                    "outlet": "Bench Times",
                    "published": published,
                    "fetched": published,
                    "text": body,
                }
            )
            for position, actor in enumerate(
                rng.choices(actors, weights=weights, k=STATEMENTS_PER_ARTICLE)
            ):
                sid += 1
                words = f"We have a clear position on {topic}, number {sid}."
                stance = rng.choice(STANCES)
                # The row shape the repository writes (content, actor, kind, stance in columns).
                data = {
                    "speaker": {"start": 0, "end": 8, "text": "Minister"},
                    "speaker_name": f"Speaker {sid % 5000}",
                    "role": "Minister",
                    "cue": {"start": 9, "end": 13, "text": "said"},
                    "content": {"start": 14, "end": 14 + len(words)},
                }
                stmt_rows.append(
                    {
                        "id": sid,
                        "article_id": aid,
                        "position": position,
                        "actor_id": actor[0],
                        "actor_evidence": "title: bench",
                        "speaker_name": data["speaker_name"],
                        "speaker_norm": str(data["speaker_name"]).casefold(),
                        "role": "Minister",
                        "kind": "direct",
                        "stance": stance,
                        "text": words,
                        "content_start": 14,
                        "content_end": 14 + len(words),
                        "speaker_text": "Minister",
                        "speaker_start": 0,
                        "speaker_end": 8,
                        "cue_text": "said",
                        "cue_start": 9,
                        "cue_end": 13,
                        "published": published,
                        "data": data,
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(m.Article), art_rows)
            conn.execute(insert(m.Statement), stmt_rows)
            if engine.dialect.name == "sqlite":
                conn.execute(
                    text(
                        "INSERT INTO article_fts(rowid, title, text) "
                        "SELECT id, title, text FROM articles WHERE id BETWEEN :a AND :b"
                    ),
                    {"a": first + 1, "b": first + batch},
                )
    Repository(sessions).rebuild_actor_stats()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return actors, weights


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _ms(samples: list[float]) -> str:
    p50 = statistics.median(samples) * 1000
    p95 = _p95(samples) * 1000
    return f"p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (n={len(samples)})"


async def measure(
    url: str, actors: list[tuple[str, str, str]], weights: list[float], queries: int, now: datetime
) -> dict[str, list[float]]:
    engine, sessions = open_database(url)
    service = StoreService(Store(Repository(sessions)), now=lambda: now)
    rng = random.Random(11)
    await service.stance(actors[0][1])  # builds the name index once, as a running bot has
    cases: dict[str, list[float]] = {
        "by popularity": [],
        "busiest actor": [],
        "--topic narrow": [],
        "--topic broad": [],
        "--since 30": [],
    }
    for _ in range(queries):
        name = rng.choices(actors, weights=weights)[0][1]
        for case, kwargs in (
            ("by popularity", {"name": name}),
            ("busiest actor", {"name": actors[0][1]}),
            ("--topic narrow", {"name": name, "topic": rng.choice(NARROW)}),
            ("--topic broad", {"name": name, "topic": rng.choice(TOPICS)}),
            ("--since 30", {"name": name, "since": timedelta(days=30)}),
        ):
            started = time.perf_counter()
            await service.stance(**kwargs)
            cases[case].append(time.perf_counter() - started)
    engine.dispose()
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stance-") as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        actors, weights = fill(url, args.statements)
        filled = time.perf_counter() - started
        engine, _ = open_database(url)
        with engine.connect() as conn:
            busiest = conn.execute(
                text("SELECT count(*) FROM statements WHERE actor_id = :a"), {"a": actors[0][0]}
            ).scalar()
        engine.dispose()
        size = ""
        if url.startswith("sqlite:///") and not args.database:
            db = Path(tmp) / "bench.db"
            size = f", {db.stat().st_size / 1e6:.0f} MB"
        print(
            f"stance benchmark: {args.statements:,} statements, {len(actors)} actors "
            f"(busiest: {actors[0][1]}, {busiest:,} statements){size}; filled in {filled:.1f} s"
        )
        now = START + timedelta(days=500)
        cases = asyncio.run(measure(url, actors, weights, args.queries, now))
        for case, samples in cases.items():
            print(f"  {case:<16} {_ms(samples)}")
        p95s = {case: _p95(samples) * 1000 for case, samples in cases.items()}
        worst = max(p95s, key=lambda case: p95s[case])
        met = "met" if p95s[worst] < 50 else "NOT met"
        print(
            f"  goal p95 < 50 ms, every query shape: {met} (worst: {worst}, {p95s[worst]:.2f} ms)"
        )
        print(
            json.dumps(
                {
                    "bench": "stance",
                    "statements": args.statements,
                    "p95_ms": {case: round(ms, 2) for case, ms in p95s.items()},
                }
            )
        )


if __name__ == "__main__":
    main()
