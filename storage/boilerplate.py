"""Per-outlet line counts for boilerplate learning: a line on many pages of one outlet is template."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from storage.models import BoilerplateLine


def count_lines(session: Session, outlet: str, keys: Iterable[str]) -> None:
    """Add one page to the count of every line key it carries (an upsert, so concurrent crawls add up;
    keys in sorted order, so two crawls never lock each other's rows in opposite orders)."""
    keys = sorted(set(keys))
    if not keys:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_COUNT_PG, {"outlet": outlet, "keys": keys})
    else:  # SQLite: the driver's executemany, without SQLAlchemy's per-row work
        session.connection().exec_driver_sql(_COUNT_SQLITE, [(outlet, key) for key in keys])


_COUNT_SQLITE = ("INSERT INTO boilerplate_lines (outlet, line_key, pages) VALUES (?, ?, 1) "
                 "ON CONFLICT (outlet, line_key) DO UPDATE SET pages = boilerplate_lines.pages + 1")

# PostgreSQL: every line of a page in one statement (an array), not one executed row per line; the array
# keeps the sorted order, so concurrent crawls still lock rows in one order.
_COUNT_PG = text("INSERT INTO boilerplate_lines (outlet, line_key, pages) "
                 "SELECT :outlet, k, 1 FROM unnest(CAST(:keys AS varchar[])) WITH ORDINALITY AS t(k, n) ORDER BY n "
                 "ON CONFLICT (outlet, line_key) DO UPDATE SET pages = boilerplate_lines.pages + 1")


def template_keys(session: Session, outlet: str, min_pages: int) -> set[str]:
    return set(session.scalars(_TEMPLATE, {"outlet": outlet, "min_pages": min_pages}))


# re-read every few items while a crawl stores pages (crawler.pipelines.extract): built once
_LINES = BoilerplateLine.__table__
_TEMPLATE = select(_LINES.c.line_key).where(_LINES.c.outlet == bindparam("outlet"),
                                            _LINES.c.pages >= bindparam("min_pages"))
