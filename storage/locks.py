"""Locks that keep several processes on one database from stepping on each other.

* `store_locks`: PostgreSQL transaction-level advisory locks taken before a new article's story is
  settled, one per thing two copies of a story share (canonical URL, text fingerprint, LSH band key).
  Two workers storing copies of one story at once then queue up: the second sees the first's committed
  row and joins its story instead of starting another.
* `migration_lock`: schema upgrades one at a time (PostgreSQL advisory lock per schema; a lock file next
  to a SQLite database), so two processes started together on a new database do not race Alembic.
* `DaemonLock`: one daemon per database (PostgreSQL session advisory lock; SQLite: an flock'ed file
  beside the database). Both are released by the server or the kernel when the holder dies, however it
  dies; the holder's identity is kept so that a refused second daemon can say who holds it.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


def lock_id(name: str) -> int:
    """A signed 64-bit advisory lock key for a name."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


# In ascending order, so two transactions taking overlapping sets cannot deadlock on one item's keys.
_LOCK_ALL = text("SELECT count(pg_advisory_xact_lock(k)) FROM "
                 "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS keys")


def takes_store_locks(session: Session) -> bool:
    """Whether store_locks locks anything here: a caller need not build the names when it does not."""
    return session.get_bind().dialect.name == "postgresql"


def store_locks(session: Session, names: Iterable[str]) -> None:
    """Hold these names until the transaction ends (PostgreSQL; SQLite has one writer at a time)."""
    if not takes_store_locks(session):
        return
    keys = sorted({lock_id(name) for name in names})
    if keys:
        session.execute(_LOCK_ALL, {"keys": keys})


# --- migrations -----------------------------------------------------------------------------------

def sqlite_path(engine: Engine) -> Path | None:
    database = engine.url.database
    return Path(database).resolve() if engine.dialect.name == "sqlite" and database and database != ":memory:" else None


@contextmanager
def _flock(path: Path, blocking: bool = True) -> Iterator[object]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        yield handle
    finally:
        handle.close()  # closing releases the lock


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = conn.execute(text("SELECT current_schema()")).scalar()
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_id(f"drillwatch-migrate:{key}")})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id(f"drillwatch-migrate:{key}")})
                conn.commit()
        return
    path = sqlite_path(engine)
    if path is None:
        yield
        return
    with _flock(path.with_name(path.name + ".migrate.lock")):
        yield


# --- one daemon per database ------------------------------------------------------------------------

class DaemonLockHeld(Exception):
    """Another daemon runs on this database."""


def holder_text() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"


class DaemonLock:
    """Held from `acquire()` to `release()` (or the holder's death)."""

    def __init__(self, engine: Engine, what: str = "daemon"):
        self.engine, self.what = engine, what
        self._conn = None
        self._file = None

    def acquire(self) -> "DaemonLock":
        if self.engine.dialect.name == "postgresql":
            self._acquire_pg()
        else:
            self._acquire_file()
        return self

    def _acquire_pg(self) -> None:
        conn = self.engine.connect()
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        key = lock_id(f"drillwatch-{self.what}:{schema}")
        # the holder's name travels with its session: pg_stat_activity tells a refused daemon who it is
        conn.execute(text("SELECT set_config('application_name', :n, false)"),
                     {"n": f"drillwatch {self.what}, {holder_text()}"[:63]})
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.commit()
            self._conn = conn
            return
        holder = conn.execute(text(
            "SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::text::bigint = :hi "
            "AND l.objid::text::bigint = :lo AND l.objsubid = 1"),
            {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).first()
        conn.invalidate()  # a pooled connection would keep our application_name
        conn.close()
        who = (f"{holder.application_name or 'a session'} (server pid {holder.pid}"
               + (f", from {holder.client_addr}" if holder.client_addr else "") + ")") if holder else "another session"
        raise DaemonLockHeld(f"another {self.what} runs on this database: {who}")

    def _acquire_file(self) -> None:
        path = sqlite_path(self.engine)
        if path is None:
            return
        lock_file = path.with_name(path.name + f".{self.what}.lock")
        handle = open(lock_file, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            info = handle.read().strip()
            handle.close()
            try:
                who = json.loads(info)["holder"]
            except (ValueError, KeyError):
                who = "an unknown process"
            raise DaemonLockHeld(f"another {self.what} runs on this database: {who} (lock file {lock_file})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"holder": holder_text(), "pid": os.getpid(), "host": socket.gethostname()}))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._conn is not None:
            self._conn.invalidate()  # closes the session (not back to the pool), and with it the lock
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.close()
            self._file = None
