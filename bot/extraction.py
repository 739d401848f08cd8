"""Running the who-said-what engine off the event loop.

The engine is CPU-bound, so the bot runs it in a process pool whose workers load the spaCy
model once (the pool's initializer); ``InlineExtractor`` runs it in a thread of this process
instead (one process, for tests and small machines). Both take the known aliases with each
batch so later articles benefit from what earlier ones taught, and both answer per article:
its statements, or an ``ExtractionFailure`` saying why the engine could not read it
(``Engine.extract_each``), so one bad article never costs the others theirs.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol

from briefings.models import Actor, Article, Statement

if TYPE_CHECKING:
    from spacy.language import Language

    from briefings.engine import Engine, Outcome

log = logging.getLogger(__name__)


class Extractor(Protocol):
    """Articles in, one outcome per article out: its statements, or why it failed."""

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> Sequence[Outcome]: ...

    async def aclose(self) -> None: ...


class _EngineCache:
    """One engine per process, rebuilt only when the aliases change."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.engine: Engine | None = None
        self.key: tuple[tuple[str, str], ...] | None = None

    def extract(self, articles: Sequence[Article], aliases: Mapping[str, Actor]) -> list[Outcome]:
        from briefings.engine import Engine

        key = tuple(sorted((name, actor.id) for name, actor in aliases.items()))
        if self.engine is None or key != self.key:
            self.engine = Engine(self.nlp, aliases=dict(aliases))
            self.key = key
        return self.engine.extract_each(articles)


_WORKER: _EngineCache | None = None


def _init_worker(model_package: str | None) -> None:
    """Pool initializer: load the model once per worker process."""
    global _WORKER
    from briefings.nlp import load_model

    _WORKER = _EngineCache(load_model(model_package))


def _extract_in_worker(
    articles: list[Article], aliases: dict[str, Actor]
) -> list[list[dict[str, Any]] | str]:
    """Each article's statements as dicts, or the reason it failed (a string)."""
    assert _WORKER is not None, "worker not initialised"
    return [
        [s.to_dict() for s in found] if isinstance(found, list) else found.reason
        for found in _WORKER.extract(articles, aliases)
    ]


class ProcessPoolExtractor:
    """The engine in ``processes`` worker processes (spawned: safe with threads running)."""

    def __init__(self, processes: int, model_package: str | None = None) -> None:
        self.processes = max(1, processes)
        self.model_package = model_package
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.model_package,),
        )

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[Outcome]:
        """Outcomes per article; a pool whose worker died (killed, out of memory) is
        replaced once and the batch tried again."""
        try:
            return await self._extract(articles, aliases)
        except BrokenProcessPool:
            log.warning("an engine worker died; starting a new pool")
            old, self._pool = self._pool, self._new_pool()
            await asyncio.to_thread(old.shutdown, False, cancel_futures=True)
            return await self._extract(articles, aliases)

    async def _extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[Outcome]:
        from briefings.engine import ExtractionFailure

        if not articles:
            return []
        loop = asyncio.get_running_loop()
        # One chunk per worker keeps every process busy on a large batch.
        size = max(1, -(-len(articles) // self.processes))
        chunks = [list(articles[i : i + size]) for i in range(0, len(articles), size)]
        futures = [
            loop.run_in_executor(self._pool, _extract_in_worker, chunk, dict(aliases))
            for chunk in chunks
        ]
        results: list[Outcome] = []
        for chunk_result in await asyncio.gather(*futures):
            results.extend(
                [Statement.from_dict(d) for d in found]
                if isinstance(found, list)
                else ExtractionFailure(found)
                for found in chunk_result
            )
        return results

    async def aclose(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, True, cancel_futures=True)


class InlineExtractor:
    """The engine in a thread of this process; the model is loaded on first use."""

    def __init__(self, nlp: Language | None = None, model_package: str | None = None) -> None:
        self._nlp = nlp
        self._model_package = model_package
        self._cache: _EngineCache | None = None
        self._lock = asyncio.Lock()

    def _extract(self, articles: Sequence[Article], aliases: Mapping[str, Actor]) -> list[Outcome]:
        if self._cache is None:
            if self._nlp is None:
                from briefings.nlp import load_model

                self._nlp = load_model(self._model_package)
            self._cache = _EngineCache(self._nlp)
        return self._cache.extract(articles, aliases)

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[Outcome]:
        if not articles:
            return []
        async with self._lock:  # one parse at a time: the model is not thread-safe
            return await asyncio.to_thread(self._extract, list(articles), dict(aliases))

    async def aclose(self) -> None:
        return None
