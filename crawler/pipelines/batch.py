"""Items stored together: one transaction for many items instead of one each.

Opening and committing a transaction per item cost about as much as storing the item itself, on the
reactor thread that also fetches. A Batch holds items until it has `size` of them or the first has
waited `delay` seconds, then stores them all in one session and wakes each waiting item with its
result. If the batch fails, it is rolled back and every item is stored again on its own, so one bad
item fails alone and nothing else is lost.

With `in_thread`, batches are stored on one thread of their own, one after another: the reactor goes on
fetching and analysing while a batch waits on the database (on PostgreSQL, a dozen round trips per
article), instead of standing still for each of them.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.db import session_scope

Handler = Callable[[Session, Any], Any]


class Batch:
    def __init__(self, engine: Engine, handle: Handler, size: int = 50, delay: float = 0.2, in_thread: bool = False):
        self.engine, self.handle, self.size, self.delay = engine, handle, size, delay
        self.waiting: list[tuple[Any, asyncio.Future]] = []
        self.timer: asyncio.TimerHandle | None = None
        # one thread: batches keep their order, and one process never writes two transactions at once
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="store") if in_thread else None

    async def submit(self, value: Any) -> Any:
        """Store `value` with the next batch and return what `handle` returned for it."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append((value, future))
        if len(self.waiting) >= self.size:
            self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.delay, self.flush)
        return await future

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.waiting = self.waiting, []
        if not batch:
            return
        if self.thread is None:
            self._store(batch, _settle)
            return
        self.thread.submit(self._store, batch, partial(_settle_from_thread, batch[0][1].get_loop()))

    def close(self) -> None:
        """Store what waits and wait for the batch being stored (the crawl is closing)."""
        if self.thread is not None:
            self.thread.shutdown(wait=True)
            self.thread = None
        self.flush()

    def _store(self, batch: list[tuple[Any, asyncio.Future]], settle) -> None:
        try:
            with session_scope(self.engine) as session:
                results = [self.handle(session, value) for value, _ in batch]
        except Exception:
            for value, future in batch:  # rolled back: each on its own, so the failure stays with its item
                self._store_one(value, future, settle)
            return
        for (_, future), result in zip(batch, results):
            settle(future, result)

    def _store_one(self, value: Any, future: asyncio.Future, settle) -> None:
        try:
            with session_scope(self.engine) as session:
                result = self.handle(session, value)
        except Exception as exc:
            settle(future, error=exc)
        else:
            settle(future, result)


def _settle_from_thread(loop: asyncio.AbstractEventLoop, future: asyncio.Future, result: Any = None,
                        error: Exception | None = None) -> None:
    try:
        loop.call_soon_threadsafe(partial(_settle, future, result, error))
    except RuntimeError:  # the loop is closed: nobody waits any more
        pass


def _settle(future: asyncio.Future, result: Any = None, error: Exception | None = None) -> None:
    if future.done() or future.get_loop().is_closed():  # cancelled: the crawl is closing
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
