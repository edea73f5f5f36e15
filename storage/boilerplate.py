"""Per-outlet line counts for boilerplate learning: a line on many pages of one outlet is template."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import BoilerplateLine


LINES = BoilerplateLine.__table__


@lru_cache(maxsize=4)
def _count_upsert(dialect_name: str):
    # one statement for every page, run once per line (executemany): its compiled form is cached
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(LINES)
    return stmt.on_conflict_do_update(index_elements=[LINES.c.outlet, LINES.c.line_key],
                                      set_={"pages": LINES.c.pages + 1})


def count_lines(session: Session, outlet: str, keys: Iterable[str]) -> None:
    """Add one page to the count of every line key it carries (an upsert, so concurrent crawls add up;
    keys in sorted order, so two crawls never lock each other's rows in opposite orders)."""
    keys = sorted(set(keys))
    if not keys:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_COUNT_PG, {"outlet": outlet, "keys": keys})
    elif session.get_bind().dialect.name == "sqlite":  # the driver's executemany, without SQLAlchemy's per-row work
        session.connection().exec_driver_sql(_COUNT_SQLITE, [(outlet, key) for key in keys])
    else:
        session.execute(_count_upsert(session.get_bind().dialect.name),
                        [{"outlet": outlet, "line_key": key, "pages": 1} for key in keys])


_COUNT_SQLITE = ("INSERT INTO boilerplate_lines (outlet, line_key, pages) VALUES (?, ?, 1) "
                 "ON CONFLICT (outlet, line_key) DO UPDATE SET pages = boilerplate_lines.pages + 1")

# PostgreSQL: every line of a page in one statement (an array), not one executed row per line; the array
# keeps the sorted order, so concurrent crawls still lock rows in one order.
_COUNT_PG = text("INSERT INTO boilerplate_lines (outlet, line_key, pages) "
                 "SELECT :outlet, k, 1 FROM unnest(CAST(:keys AS varchar[])) WITH ORDINALITY AS t(k, n) ORDER BY n "
                 "ON CONFLICT (outlet, line_key) DO UPDATE SET pages = boilerplate_lines.pages + 1")


def template_keys(session: Session, outlet: str, min_pages: int) -> set[str]:
    query = select(BoilerplateLine.line_key).where(BoilerplateLine.outlet == outlet,
                                                   BoilerplateLine.pages >= min_pages)
    return set(session.scalars(query))
