"""Line counts for boilerplate learning add up on every engine (PostgreSQL counts a page's lines in one
statement over an array; SQLite row by row)."""
from __future__ import annotations

import pytest

from storage.boilerplate import count_lines, template_keys
from storage.db import init_db, make_engine, session_scope


def count_pages(url: str) -> set[str]:
    engine = make_engine(url)
    init_db(engine)
    pages = [["nav", "footer", "para-1"], ["footer", "nav", "para-2", "nav"], ["nav", "para-3"]]
    for keys in pages:
        with session_scope(engine) as session:
            count_lines(session, "wire", keys)
    with session_scope(engine) as session:
        count_lines(session, "other", ["nav"])  # another outlet's lines count apart
        count_lines(session, "wire", [])        # a page with no lines adds nothing
    with session_scope(engine) as session:
        found = {n: template_keys(session, "wire", n) for n in (2, 3)}
        other = template_keys(session, "other", 1)
    engine.dispose()
    assert other == {"nav"}
    return found


@pytest.mark.postgres
def test_line_counts_add_up_on_postgresql(pg_url):
    assert count_pages(pg_url) == {2: {"nav", "footer"}, 3: {"nav"}}


def test_line_counts_add_up_on_sqlite(tmp_path):
    assert count_pages(f"sqlite:///{tmp_path / 'lines.db'}") == {2: {"nav", "footer"}, 3: {"nav"}}
