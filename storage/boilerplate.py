"""Per-outlet line counts for boilerplate learning: a line on many pages of one outlet is template."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import BoilerplateLine


def count_lines(session: Session, outlet: str, keys: Iterable[str]) -> None:
    """Add one page to the count of every line key it carries (an upsert, so concurrent crawls add up)."""
    rows = [{"outlet": outlet, "line_key": key, "pages": 1} for key in sorted(set(keys))]
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(BoilerplateLine).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=["outlet", "line_key"],
                                      set_={"pages": BoilerplateLine.pages + 1})
    session.execute(stmt)


def template_keys(session: Session, outlet: str, min_pages: int) -> set[str]:
    query = select(BoilerplateLine.line_key).where(BoilerplateLine.outlet == outlet,
                                                   BoilerplateLine.pages >= min_pages)
    return set(session.scalars(query))
