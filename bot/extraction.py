"""Running the who-said-what engine off the event loop.

The engine is CPU-bound, so the bot runs it in a process pool whose workers load the spaCy
model once (the pool's initializer); ``InlineExtractor`` runs it in a thread of this process
instead (one process, for tests and small machines). Both take the known aliases with each
batch so later articles benefit from what earlier ones taught, and both answer per article:
its statements, or an ``ExtractionFailure`` saying why the engine could not read it
(``Engine.extract_each``), so one bad article never costs the others theirs.

``extract_in_processes`` is the CLI's way through many files at once: forked processes
that share the model already loaded (``gc.freeze``), an article whose process died failing
alone. It lives here, not in the engine: ``briefings/`` stays pure functions.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
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


def die_with_parent(parent: int) -> None:
    """Make this (worker) process die when ``parent`` does, even by SIGKILL: Linux's
    PR_SET_PDEATHSIG. Where it is not available the worker ends at its next task, when the
    pool's pipe is gone; if the parent died before this ran, end now."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
            log.debug("PR_SET_PDEATHSIG unavailable")
    if os.getppid() != parent:  # the parent is gone already: nobody will ask for work
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _init_worker(model_package: str | None, parent: int) -> None:
    """Pool initializer: die with the parent, and load the model once per worker process."""
    global _WORKER
    die_with_parent(parent)
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
            initargs=(self.model_package, os.getpid()),
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


# ------------------------------------------------------------- forked parser processes

# The least text a parser process takes at a time (see _chunks): the last chunks are this
# small so that both cores stay busy to the end.
MIN_CHUNK_CHARS = 8_000
# The most: a parser's memory grows with the text of its batch.
MAX_CHUNK_CHARS = 30_000


def _can_fork() -> bool:
    # Forking a process with other threads running can deadlock in the child; outside Linux
    # system libraries (macOS's among them) are not safe to use in a forked child.
    return sys.platform == "linux" and threading.active_count() == 1


# What forked workers find in their copy of this process's memory: set just before forking.
_FORKED: tuple[Engine, list[Article], int] | None = None
_DIED = "the parser process died on it (killed, or out of memory)"


def _work(indices: list[int]) -> list[Outcome]:
    assert _FORKED is not None, "not a forked worker"
    engine, articles, batch_size = _FORKED
    return engine.extract_each([articles[i] for i in indices], batch_size)


def _chunks(articles: Sequence[Article], n_process: int) -> list[list[int]]:
    """Article indices in chunks, longest articles first: each chunk a third of what is left
    per process (larger batches parse faster) within MIN_CHUNK_CHARS..MAX_CHUNK_CHARS, the
    last ones small so that no process is left parsing alone."""
    from briefings.engine import MAX_CHARS

    order = sorted(range(len(articles)), key=lambda i: -len(articles[i].text))
    left = sum(min(len(a.text), MAX_CHARS) for a in articles)
    chunks: list[list[int]] = []
    size = target = 0
    for i in order:
        if size >= target:
            chunks.append([])
            target = min(MAX_CHUNK_CHARS, max(MIN_CHUNK_CHARS, left // (3 * n_process)))
            size = 0
        chunks[-1].append(i)
        chars = min(len(articles[i].text), MAX_CHARS)
        size += chars
        left -= chars
    return chunks


def extract_in_processes(
    engine: Engine, articles: Sequence[Article], n_process: int, batch_size: int = 16
) -> list[Outcome]:
    """``engine.extract_each`` in ``n_process`` forked processes (the CLI's ``extract``),
    which share the loaded model with this one (a spawned process would load it again);
    each parses and resolves its own share and sends back only statements, and an article
    whose process died fails alone. Forking needs Linux and no other thread running;
    without them, or for one process, the work is done here."""
    if n_process <= 1 or len(articles) < 2 or not _can_fork():
        return engine.extract_each(articles, batch_size)
    return _each_forked(engine, list(articles), n_process, batch_size)


def _each_forked(
    engine: Engine, articles: list[Article], n_process: int, batch_size: int
) -> list[Outcome]:
    from briefings.engine import ExtractionFailure, failure_reason

    global _FORKED
    context = multiprocessing.get_context("fork")
    out: dict[int, Outcome] = {}
    orphans: list[int] = []  # articles of chunks lost with a dead process
    _FORKED = (engine, articles, batch_size)
    # What exists now (the model above all) is left out of the collector's passes in the
    # children, which would otherwise touch, and so copy, the pages they share with us.
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=n_process,
            mp_context=context,
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            futures = {pool.submit(_work, chunk): chunk for chunk in _chunks(articles, n_process)}
            for future, chunk in futures.items():
                try:
                    out.update(zip(chunk, future.result(), strict=True))
                except BrokenProcessPool:
                    orphans.extend(chunk)
                except Exception as exc:  # the results could not come back
                    out.update((i, ExtractionFailure(failure_reason(exc))) for i in chunk)
        if orphans:
            out.update(_isolated(sorted(orphans), context))
    finally:
        _FORKED = None
        gc.unfreeze()
    return [out[i] for i in range(len(articles))]


def _isolated(
    indices: list[int], context: multiprocessing.context.BaseContext
) -> dict[int, Outcome]:
    """After a process died: each remaining article in a process of its own, one at a time
    (no thread is running when it forks), so a death names its article and spares the rest."""
    from briefings.engine import ExtractionFailure

    out: dict[int, Outcome] = {}
    for index in indices:
        with ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            try:
                out[index] = pool.submit(_work, [index]).result()[0]
            except BrokenProcessPool:
                out[index] = ExtractionFailure(_DIED)
    return out
