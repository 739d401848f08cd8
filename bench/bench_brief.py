"""Benchmark: a channel's briefing of 5,000 new articles (goal: under 2 s, clustering
included).

Fills a fresh database with articles of invented events, each told by one to six outlets
in words drawn from the event's own (names, places, the thing at issue) and from a
common vocabulary, with two to three statements each; then times the service's
``briefing_now`` for a channel as ``/briefing now`` calls it: the new statements read from
the store, the reports grouped into stories (TF-IDF), bullets, issues, split lines, the
ranking and the budget. Also times the pure ``build_briefing`` alone.

    .venv/bin/python -m bench.bench_brief [--articles 5000] [--runs 5] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.ports import ChannelRef
from bot.service import StoreService, reports_of
from bot.store import Repository, Store, open_database
from bot.store import models as m
from briefings.brief import build_briefing

START = datetime(2026, 11, 1, tzinfo=UTC)
CHANNEL = ChannelRef("console", "local", "bench")
OUTLETS = [f"Outlet {n}" for n in range(40)]
ACTORS = [("FR", "France"), ("DE", "Germany"), ("US", "United States"), ("NATO", "NATO")]
STANCES = ["supports", "opposes", "neutral", "unclear"]
SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "de",
    "ba",
    "pe",
    "gu",
    "ri",
    "no",
    "ha",
)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def fill(url: str, articles: int, seed: int = 11) -> None:
    """Bulk-insert ``articles`` articles of invented events, with their statements."""
    rng = random.Random(seed)
    engine, _ = open_database(url)
    common = [_word(rng) for _ in range(3000)]
    with engine.begin() as conn:
        conn.execute(insert(m.Actor), [{"id": a, "name": n, "kind": "country"} for a, n in ACTORS])
        # one feed per outlet, the channel subscribed to all of them
        conn.execute(
            insert(m.Feed),
            [
                {
                    "id": n + 1,
                    "url": f"https://feeds.example/{n}.xml",
                    "title": outlet,
                    "failures": 0,
                    "disabled": False,
                    "created": START,
                }
                for n, outlet in enumerate(OUTLETS)
            ],
        )
        conn.execute(
            insert(m.Channel),
            [
                {
                    "id": 1,
                    "platform": CHANNEL.platform,
                    "workspace": CHANNEL.workspace,
                    "channel": CHANNEL.channel,
                    "topics": [],
                    "timezone": "UTC",
                    "created": START,
                }
            ],
        )
        conn.execute(
            insert(m.ChannelFeed),
            [{"channel_id": 1, "feed_id": n + 1} for n in range(len(OUTLETS))],
        )
    art_rows: list[dict[str, object]] = []
    link_rows: list[dict[str, object]] = []
    stmt_rows: list[dict[str, object]] = []
    aid = sid = 0
    while aid < articles:
        event = [_word(rng).capitalize() for _ in range(6)]
        people = [f"{_word(rng).capitalize()} {_word(rng).capitalize()}" for _ in range(3)]
        day = START + timedelta(hours=rng.random() * 24 * 28)
        for outlet in rng.sample(OUTLETS, rng.choice((1, 1, 1, 2, 2, 3, 4, 6))):
            aid += 1
            published = day + timedelta(hours=rng.random() * 30)
            title = " ".join(rng.sample(event, 4) + rng.sample(common, 2))
            lead = " ".join(rng.sample(event, 5) + rng.sample(common, 25)) + "."
            feed_id = OUTLETS.index(outlet) + 1
            link_rows.append(
                {
                    "id": aid,
                    "feed_id": feed_id,
                    "article_id": aid,
                    "guid_hash": f"{aid:064x}",
                    "linked": published,
                }
            )
            art_rows.append(
                {
                    "id": aid,
                    "feed_id": feed_id,
                    "guid": f"bench-{aid}",
                    "url": f"https://news.example/{aid}",
                    "canonical_url": f"https://news.example/{aid}",
                    "content_hash": f"{aid:064x}",
                    "title": title,
                    "outlet": outlet,
                    "published": published,
                    "fetched": published,
                    "text": lead,
                }
            )
            for position, person in enumerate(rng.sample(people, rng.randint(2, 3))):
                sid += 1
                words = " ".join(rng.sample(event, 2) + rng.sample(common, 10))
                actor = rng.choice(ACTORS)[0]
                data = {
                    "speaker": {"start": 0, "end": len(person), "text": person},
                    "speaker_name": person,
                    "role": "Minister",
                    "cue": {"start": 0, "end": 4, "text": "said"},
                    "content": {"start": 0, "end": len(words)},
                }
                stmt_rows.append(
                    {
                        "id": sid,
                        "article_id": aid,
                        "position": position,
                        "actor_id": actor,
                        "actor_evidence": "title: bench",
                        "speaker_name": person,
                        "speaker_norm": person.casefold(),
                        "role": "Minister",
                        "kind": "direct",
                        "stance": rng.choice(STANCES),
                        "text": words,
                        "content_start": 0,
                        "content_end": len(words),
                        "speaker_text": person,
                        "speaker_start": 0,
                        "speaker_end": len(person),
                        "cue_text": "said",
                        "cue_start": 0,
                        "cue_end": 4,
                        "published": published,
                        "data": data,
                    }
                )
            if aid >= articles:
                break
    with engine.begin() as conn:
        conn.execute(insert(m.Article), art_rows)
        conn.execute(insert(m.FeedArticle), link_rows)
        conn.execute(insert(m.Statement), stmt_rows)
    engine.dispose()


async def measure(url: str, runs: int) -> None:
    engine, sessions = open_database(url)
    repo = Repository(sessions)
    service = StoreService(Store(repo), now=lambda: START + timedelta(days=30))
    channel = CHANNEL
    try:
        # the first briefing of a process also imports numpy and scipy.sparse: timed apart
        started = time.perf_counter()
        await service.briefing_now(channel)
        first = time.perf_counter() - started
        times: list[float] = []
        cpu: list[float] = []  # this process's CPU, every thread (the store's included)
        for _ in range(runs):
            started, used = time.perf_counter(), time.process_time()
            briefing = await service.briefing_now(channel)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        with repo.sessions() as session:
            stored, _ = repo.new_statements(session, channel)
        reports = reports_of(stored)
        pure: list[float] = []
        pure_cpu: list[float] = []
        for _ in range(runs):
            started, used = time.perf_counter(), time.process_time()
            build_briefing(reports, title="bench")
            pure.append(time.perf_counter() - started)
            pure_cpu.append(time.process_time() - used)
    finally:
        service.close()
        engine.dispose()
    wide = sum(1 for s in (*briefing.stories, *briefing.also) if s.outlets >= 3)
    print(f"articles read: {len(reports)}, statements: {len(stored)}")
    print(f"first briefing of the process (imports numpy, scipy.sparse): {first:.3f} s")
    print(
        f"stories: {len(briefing.stories)} in full, {len(briefing.also)} under Also "
        f"({wide} with 3+ outlets)"
    )
    print(
        f"briefing_now (store + clustering + briefing): median {statistics.median(times):.3f} s,"
        f" max {max(times):.3f} s over {runs} runs; CPU median {statistics.median(cpu):.3f} s"
    )
    print(
        f"build_briefing alone (clustering + briefing): median {statistics.median(pure):.3f} s,"
        f" max {max(pure):.3f} s; CPU median {statistics.median(pure_cpu):.3f} s"
    )
    print(f"load average {os.getloadavg()[0]:.1f}")
    goal = statistics.median(times) < 2.0
    print(f"goal (< 2 s): {'met' if goal else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        fill(url, args.articles)
        print(f"filled {args.articles} articles in {time.perf_counter() - started:.1f} s")
        asyncio.run(measure(url, args.runs))


if __name__ == "__main__":
    main()
