"""Items stored together: one transaction for many items instead of one each.

Opening and committing a transaction per item cost about as much as storing the item itself, on the
reactor thread that also fetches. A Batch holds items until it has `size` of them or the first has
waited `delay` seconds, then stores them all in one session and wakes each waiting item with its
result. If the batch fails, it is rolled back and every item is stored again on its own, so one bad
item fails alone and nothing else is lost.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.db import session_scope

Handler = Callable[[Session, Any], Any]


class Batch:
    def __init__(self, engine: Engine, handle: Handler, size: int = 50, delay: float = 0.2):
        self.engine, self.handle, self.size, self.delay = engine, handle, size, delay
        self.waiting: list[tuple[Any, asyncio.Future]] = []
        self.timer: asyncio.TimerHandle | None = None

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
        try:
            with session_scope(self.engine) as session:
                results = [self.handle(session, value) for value, _ in batch]
        except Exception:
            for value, future in batch:  # rolled back: each on its own, so the failure stays with its item
                self._store_one(value, future)
            return
        for (_, future), result in zip(batch, results):
            _settle(future, result)

    def _store_one(self, value: Any, future: asyncio.Future) -> None:
        try:
            with session_scope(self.engine) as session:
                result = self.handle(session, value)
        except Exception as exc:
            _settle(future, error=exc)
        else:
            _settle(future, result)


def _settle(future: asyncio.Future, result: Any = None, error: Exception | None = None) -> None:
    if future.done():  # cancelled: the crawl is closing
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
