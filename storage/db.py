"""Engines and sessions: SQLite file by default, PostgreSQL when the URL says so."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

ENV_DB = "DRILLWATCH_DB"
DEFAULT_DB = "sqlite:///drillwatch.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StorageError(Exception):
    """A database problem worded for the person at the keyboard."""


def database_url(explicit: str | None = None) -> str:
    """--db beats $DRILLWATCH_DB beats ./drillwatch.db; a bare path means a SQLite file."""
    url = explicit or os.environ.get(ENV_DB) or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


SQLITE_BUSY_TIMEOUT = 15.0  # seconds a writer waits out another's lock; `?timeout=N` on the URL changes it


def _sqlite_pragmas(dbapi_conn, _record, timeout: float = SQLITE_BUSY_TIMEOUT) -> None:
    # WAL lets readers (CLI, Datasette) work while a crawl writes; busy_timeout waits out short locks.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        timeout = float(make_url(url).query.get("timeout", SQLITE_BUSY_TIMEOUT))
        kwargs["connect_args"] = {"timeout": timeout, **kwargs.get("connect_args", {})}
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", partial(_sqlite_pragmas, timeout=timeout))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on a new database)."""
    if at_head(engine):  # the usual case: one query, and Alembic (a tenth of a second to import) stays unloaded
        return
    from alembic import command

    from storage.locks import migration_lock

    try:
        with migration_lock(engine):  # two processes starting together on a new database: one migrates
            command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise StorageError(describe_db_error(engine, exc)) from None


_REVISION = re.compile(r"""^(down_)?revision\s*(?::[^=]+)?=\s*(?:['"](\w+)['"]|(None))\s*$""", re.M)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest migrations, read from the version files as Alembic would (revisions no other revises).
    Empty, so that Alembic decides, when a file does not say plainly which revision it is and revises."""
    revisions, revised = set(), set()
    for file in (MIGRATIONS / "versions").glob("*.py"):
        if file.name == "__init__.py":
            continue
        found = _REVISION.findall(file.read_text(encoding="utf-8"))
        if sorted(bool(down) for down, _value, _none in found) != [False, True]:
            return frozenset()
        for down, value, _none in found:
            if value:
                (revised if down else revisions).add(value)
    return frozenset(revisions - revised)


def at_head(engine: Engine) -> bool:
    """Is the database already at the newest migration? False when in doubt (no table yet, unreadable)."""
    heads = head_revisions()
    if not heads:
        return False
    try:
        with engine.connect() as conn:
            current = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except (OperationalError, ProgrammingError):
        return False
    return current == heads


def describe_db_error(engine: Engine, exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc))
    where = engine.url.render_as_string(hide_password=True)
    if "locked" in text:
        return f"{where}: the database is locked by another process (a crawl or a writer); retry in a moment"
    if "unable to open" in text:
        return f"{where}: cannot open the database file; check the directory exists and is writable"
    if "Connection refused" in text or "could not connect" in text.lower():
        return f"{where}: cannot connect to the database server ({text.strip().splitlines()[0]})"
    return f"{where}: {text.strip().splitlines()[0] if text.strip() else exc!r}"


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error so nothing half-written stays."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise StorageError(describe_db_error(engine, exc)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
