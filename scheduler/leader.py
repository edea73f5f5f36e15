"""One leader daemon per cluster: a Redis lock with a lease (redis-py's Lock), renewed while it lives.

The leader seeds the shared queue on schedule; other daemons wait, saying who leads, and take over once
the leader's lease runs out (a crashed or killed leader stops renewing it). The lock's value is the
holder's name (host, pid, tag), so `drillwatch status` and a waiting daemon can say who leads.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from typing import Callable

import redis
from redis.exceptions import LockError

log = logging.getLogger("drillwatch.leader")


class Leadership:
    def __init__(self, server: redis.Redis, key: str, lease: float):
        self.server, self.key, self.lease = server, key, float(lease)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lock = server.lock(key, timeout=self.lease, thread_local=False)
        self._renewer: threading.Thread | None = None
        self._stop = threading.Event()

    def current(self) -> str | None:
        value = self.server.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    def try_acquire(self) -> bool:
        return bool(self.lock.acquire(blocking=False, token=self.holder))

    def wait(self, stopping: threading.Event, poll: float | None = None) -> bool:
        """Block until this process leads (True) or `stopping` is set (False); log while waiting."""
        poll = poll or max(0.5, self.lease / 5)
        said = None
        while not stopping.is_set():
            try:
                if self.try_acquire():
                    log.info("leader now: %s (lease %gs)", self.holder, self.lease)
                    return True
                holder = self.current()
                if holder != said:
                    ttl = self.server.pttl(self.key)
                    log.info("waiting: %s leads (lease %.0fs left); this daemon takes over if it stops renewing",
                             holder, max(ttl, 0) / 1000)
                    said = holder
            except redis.RedisError as exc:
                log.warning("waiting to lead: Redis: %s", exc)
            stopping.wait(poll)
        return False

    def keep(self, on_lost: Callable[[str], None]) -> None:
        """Renew the lease every third of it; call `on_lost(why)` once if it cannot be renewed."""
        def renew() -> None:
            while not self._stop.wait(self.lease / 3):
                try:
                    self.lock.reacquire()
                except (LockError, redis.RedisError) as exc:
                    if not self._stop.is_set():
                        on_lost(f"leadership lost: {type(exc).__name__}: {exc}")
                    return
        self._renewer = threading.Thread(target=renew, name="drillwatch-leader", daemon=True)
        self._renewer.start()

    def release(self) -> None:
        self._stop.set()
        try:
            self.lock.release()
        except (LockError, redis.RedisError):
            pass  # expired or taken over already
