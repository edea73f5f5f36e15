"""`drillwatch export`: every field, JSON Lines and CSV, filters, streaming (issue 7)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import tracemalloc
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from storage import search as searching
from storage.db import session_scope
from storage.models import Article
from tests.test_search import add_exercise, corpus, data, drillwatch, store, utc  # noqa: F401 (fixture)

TRICKY = 'Line one, with a comma.\nLine two "quoted" — and Cyrillic: учения «Восток».'


@pytest.fixture
def tricky(engine):
    [article_id] = store(engine, data("tass", "tricky", "Tricky, \"quoted\" title", TRICKY,
                                      published=utc(2024, 8, 1, 9, 30)))
    return article_id


def read_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_has_every_field_and_reads_back(db_url, engine, corpus, tricky, tmp_path):
    add_exercise(engine, [corpus["main"]], "joint-sea-2024", "Joint Sea-2024")
    add_exercise(engine, [corpus["main"]], "pacific-patrol-2024", "Pacific patrol 2024")
    out = tmp_path / "articles.jsonl"
    result = drillwatch(db_url, "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"exported 11 articles to {out}"
    rows = {row["id"]: row for row in read_jsonl(out.read_text(encoding="utf-8"))}
    assert len(rows) == 11
    assert all(list(row) == list(searching.EXPORT_FIELDS) for row in rows.values())
    main = rows[corpus["main"]]
    assert main["exercises"] == ["Joint Sea-2024", "Pacific patrol 2024"]
    assert (main["outlet"], main["url"], main["canonical_url"]) == (
        "tass", "https://tass.example/joint-sea", "https://tass.example/joint-sea")
    assert (main["published"], main["first_fetched"], main["last_fetched"]) == (
        "2024-07-15T00:00:00+00:00", "2024-07-02T00:00:00+00:00", "2024-07-02T00:00:00+00:00")
    assert (main["relevant"], main["score"], main["language"]) == (True, 0.9, "en")
    assert main["story_id"] == rows[corpus["copy"]]["story_id"] is not None
    assert rows[corpus["copy"]]["exercises"] == []
    assert (rows[tricky]["title"], rows[tricky]["text"]) == ('Tricky, "quoted" title', TRICKY)


def test_csv_reads_back_with_the_csv_module(db_url, engine, corpus, tricky, tmp_path):
    add_exercise(engine, [tricky], "vostok-2024", "Vostok-2024")
    add_exercise(engine, [tricky], "joint-sea-2024", "Joint Sea-2024")
    out = tmp_path / "articles.csv"
    result = drillwatch(db_url, "export", "--format", "csv", "-o", str(out), "--outlet", "tass")
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames) == searching.EXPORT_FIELDS
        rows = list(reader)
    assert [int(row["id"]) for row in rows] == sorted([corpus["main"], corpus["bombers"], tricky])
    row = next(r for r in rows if int(r["id"]) == tricky)
    assert row["text"] == TRICKY and row["title"] == 'Tricky, "quoted" title'
    assert row["exercises"] == "Joint Sea-2024; Vostok-2024"
    assert (row["published"], row["relevant"], row["author"]) == ("2024-08-01T09:30:00+00:00", "true", "")


def test_default_is_jsonl_on_stdout(db_url, engine, corpus):
    result = drillwatch(db_url, "export", "--language", "ru")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in read_jsonl(result.stdout)] == [corpus["bombers"]]


def test_filters_and_query_narrow_the_export(db_url, engine, corpus):
    add_exercise(engine, [corpus["main"], corpus["copy"]], "joint-sea-2024", "Joint Sea-2024")
    cases = [
        (["--query", '"joint sea"'], [corpus["main"], corpus["copy"], corpus["passing"]]),
        (["--query", '"joint sea"', "--relevant-only"], [corpus["main"], corpus["copy"]]),
        (["--exercise", "joint sea"], [corpus["main"], corpus["copy"]]),
        (["--since", "2024-06-01", "--until", "2024-06-30"], [corpus["bombers"]]),
        (["--outlet", "rt", "--outlet", "xinhua"], [corpus["copy"], corpus["passing"]]),
    ]
    for args, expected in cases:
        result = drillwatch(db_url, "export", *args)
        assert result.exit_code == 0, result.output
        assert [row["id"] for row in read_jsonl(result.stdout)] == sorted(expected), args


def test_csv_on_stdout_has_a_header_even_when_nothing_matches(db_url, engine, corpus):
    result = drillwatch(db_url, "export", "--format", "csv", "--query", "Zapad")
    assert result.exit_code == 0, result.output
    assert result.stdout == ",".join(searching.EXPORT_FIELDS) + "\n"


def test_bad_query_fails_before_the_file_is_created(sqlite_url, tmp_path):
    out = tmp_path / "out.csv"
    result = drillwatch(sqlite_url, "export", "--query", "AND AND", "-o", str(out))
    assert (result.exit_code, result.stderr.strip()) == (
        2, "Error: cannot read the search query 'AND AND' (syntax error near \"AND\"): " + searching.SQLITE_SYNTAX)
    assert not out.exists()


def test_unwritable_output_names_the_fix(sqlite_url, tmp_path):
    out = tmp_path / "missing-dir" / "out.jsonl"
    result = drillwatch(sqlite_url, "export", "-o", str(out))
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"Error: cannot write {out}: No such file or directory; check the directory exists and is writable")


def test_bad_date_is_one_line(sqlite_url):
    result = drillwatch(sqlite_url, "export", "--since", "yesterdayish")
    assert (result.exit_code, result.stderr.strip()) == (
        2, "Error: --since: 'yesterdayish' is not a date; use YYYY-MM-DD (2024-06-01) or a phrase like '7 days ago'")


def bulk_articles(engine, count: int, text_size: int) -> None:
    """Many long articles, inserted fast (the FTS index follows through its triggers)."""
    now = datetime(2024, 7, 1, tzinfo=timezone.utc)
    body = ("Joint naval drills continued in the Sea of Japan with destroyers and frigates. " * 60)[:text_size]
    with session_scope(engine) as session:
        for start in range(0, count, 1000):
            session.execute(insert(Article), [
                dict(outlet="bulk", url=f"https://bulk.example/{n}", canonical_url=f"https://bulk.example/{n}",
                     title=f"Article {n}", text=f"{n} {body}", content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
                     first_fetched_at=now, last_fetched_at=now, version_count=1, relevant=True,
                     relevance_score=0.5)
                for n in range(start, min(start + 1000, count))])


def test_export_streams_instead_of_loading_everything(engine):
    """8,000 articles of 4 kB (32 MB of text) export with a few MB of Python memory at most."""
    bulk_articles(engine, 8000, 4000)
    with session_scope(engine) as session:
        tracemalloc.start()
        try:
            count = sum(1 for _row in searching.export_articles(session, batch_size=200))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 8000
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB while exporting 32 MB of text"


def test_export_writes_row_by_row(engine):
    """The writer consumes the iterator lazily: one row read, one row written."""
    from scheduler.cmd_query import write_jsonl

    bulk_articles(engine, 50, 200)
    seen = []

    def rows():
        with session_scope(engine) as session:
            for row in searching.export_articles(session, batch_size=10):
                seen.append(row["id"])
                yield row

    class Stream(io.StringIO):
        def write(self, text):
            assert text.startswith(f'{{"id": {seen[-1]},'), "a row was written before it was read"
            return super().write(text)

    assert write_jsonl(rows(), Stream()) == 50
