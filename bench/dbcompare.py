"""Compare what two crawls stored, independently of row ids and fetch times.

    .venv/bin/python bench/dbcompare.py DB_A DB_B [--show N]

Every table a crawl writes (articles, versions, stories, seen URLs, LSH buckets, boilerplate line counts,
exercise instances, mentions, alerts) is read into rows whose ids are replaced by natural keys (an
article by its canonical URL, a story by its origin article's, an instance by its key) and whose clock
columns (fetch and creation times, the next visit) are left out; the two databases must hold the same
multiset of rows per table. Made to check that a speed change stores exactly what the code before it
stored (bench/crawl.py's outlet, the demo crawl). Exits 1 when they differ.

Order-dependent facts (which copy of an instance's first report was stored first) are compared only
when --strict: two crawls of the same pages fetch and store in different orders.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, inspect, text  # noqa: E402

from storage.db import database_url  # noqa: E402

# clock columns, and the validators the loopback server derives from its copy's file times
CLOCK = {"etag", "last_modified", "delivered", "fetched_at", "first_fetched_at", "last_fetched_at", "last_changed_at", "first_seen_at", "next_visit_at",
         "created_at", "analyzed_at", "sent_at", "claimed_until", "at", "started_at", "finished_at"}
SKIP_TABLES = {"alembic_version", "crawl_runs", "crawl_errors", "jobs", "places"}
SKIP_PREFIXES = ("articles_fts_",)  # the full-text index's internal pages (their layout follows insertion order)
LOOPBACK = re.compile(r"https?://127\.0\.0\.1:\d+")  # each crawl serves its pages on a port of its own
ORDER_DEPENDENT = {"exercise_instances": {"first_article_id", "first_outlet", "reported_starting_at"},
                   "alerts": {"article_id", "url", "outlet", "sentence", "details", "historical", "title"}}


def snapshot(url: str, strict: bool) -> dict[str, collections.Counter]:
    engine = create_engine(database_url(url))
    tables = {t for t in inspect(engine).get_table_names() if t not in SKIP_TABLES and not t.startswith(SKIP_PREFIXES)}
    out = {}
    with engine.connect() as conn:
        article = dict(conn.execute(text("SELECT id, canonical_url FROM articles")).all())
        story = {sid: article.get(origin) for sid, origin in conn.execute(text("SELECT id, origin_article_id FROM stories"))}
        instance = dict(conn.execute(text("SELECT id, key FROM exercise_instances")).all()) \
            if "exercise_instances" in tables else {}
        refs = {"article_id": article, "origin_article_id": article, "first_article_id": article, "story_id": story,
                "instance_id": instance, "merged_into_id": instance}
        for table in sorted(tables):
            result = conn.execute(text(f"SELECT * FROM {table}"))
            columns = list(result.keys())
            rows = collections.Counter()
            for row in result:
                values = []
                for name, value in zip(columns, row):
                    if name in CLOCK or (name == "id" and table != "seen_urls"):
                        continue
                    if not strict and name in ORDER_DEPENDENT.get(table, ()):
                        continue
                    if name in refs and value is not None:
                        value = ("ref", refs[name].get(value, f"missing:{value}"))
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    values.append((name, _portless(value)))
                rows[tuple(values)] += 1
            out[table] = rows
    engine.dispose()
    return out


def _portless(value):
    if isinstance(value, str):
        return LOOPBACK.sub("http://loopback", value)
    if isinstance(value, tuple):
        return tuple(_portless(v) for v in value)
    return value


def _closest(row: dict, others: list[dict]) -> dict | None:
    """The row of `others` sharing the most values with `row` (at least half of them)."""
    score = lambda other: sum(1 for k, v in row.items() if other.get(k) == v)
    best = max(others, key=score, default=None)
    return best if best is not None and score(best) * 2 >= len(row) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--show", type=int, default=3, help="differing rows shown per table")
    parser.add_argument("--strict", action="store_true", help="compare order-dependent facts too")
    args = parser.parse_args()
    a, b = snapshot(args.a, args.strict), snapshot(args.b, args.strict)
    same = True
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table, collections.Counter()), b.get(table, collections.Counter())
        only_a, only_b = ra - rb, rb - ra
        status = "same" if not only_a and not only_b else "DIFFERENT"
        print(f"{table:<20} {sum(ra.values()):>7} {sum(rb.values()):>7}  {status}")
        if only_a or only_b:
            same = False
            for row in list(only_a)[:args.show]:
                twin = _closest(dict(row), [dict(r) for r in only_b])
                if twin is None:
                    print(f"    only in A: {str(dict(row))[:400]}")
                else:  # the same row (most columns equal): show the columns that differ
                    diff = {k: (dict(row).get(k), twin.get(k)) for k in set(dict(row)) | set(twin)
                            if dict(row).get(k) != twin.get(k)}
                    print(f"    A vs B: {str(diff)[:600]}")
            if len(only_b) > len(only_a):
                for row in list(only_b)[:args.show]:
                    print(f"    only in B: {str(dict(row))[:400]}")
    print("identical" if same else "the databases differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
