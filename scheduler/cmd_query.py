"""`drillwatch search`, `export` and `serve`: read what drillwatch stored. Thin: validate, call storage, print."""
from __future__ import annotations

import csv
import json
import socket
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

import click
from sqlalchemy.engine import make_url

from config.load import load_outlets, load_places
from scheduler.context import Context
from scheduler.output import emit, fail, json_default, output_options
from storage import search as searching
from storage.db import session_scope
from storage.places import sync_places

DATASETTE_DIR = Path(__file__).resolve().parent / "datasette"
DATABASE_NAME = "drillwatch"  # the web view's path: /drillwatch/articles, whatever the file is called

QUERY_HELP = """\b
SQLite (the default database) takes FTS5 syntax:
  joint patrol          both words, anywhere in title or text
  "joint patrol"        the phrase
  Vostok OR Zapad       either word; AND, OR, NOT in capitals
  bombers NOT Alaska    NOT goes between words
  exerc*                words starting with exerc (matched on stems)
  title:Vostok          only in titles
PostgreSQL takes web-search syntax: "phrase", OR, -word.
Words are stemmed (patrols finds patrol). Dates are publication
dates, or when drillwatch first fetched an article without one."""


def filter_options(func: Callable) -> Callable:
    options = [
        click.option("--since", metavar="DATE", help="Published on or after DATE (2024-06-01, '7 days ago')."),
        click.option("--until", metavar="DATE", help="Published on or before DATE (a bare date includes that day)."),
        click.option("--outlet", "outlets", multiple=True, metavar="NAME", help="Only this outlet (repeatable)."),
        click.option("--exercise", metavar="NAME", help="Only articles mentioning this exercise (Vostok-2022, 'Joint Sea')."),
        click.option("--language", metavar="CODE", help="Only this language (en, ru, zh...)."),
        click.option("--relevant-only", is_flag=True, help="Only articles judged on topic."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def parse_filters(since, until, outlets, exercise, language, relevant_only) -> searching.Filters:
    """The filter options as Filters (before the database is opened), or a one-line error."""
    filters = searching.Filters(since=_date_option("--since", since), until=_date_option("--until", until, end=True),
                                outlets=tuple(dict.fromkeys(outlets)), exercise=exercise,
                                language=language, relevant_only=relevant_only)
    if filters.since and filters.until and filters.since >= filters.until:
        fail(f"--since {since} is not before --until {until}; swap them or widen the range", 2)
    if exercise is not None and not searching.squash(exercise):
        fail("--exercise needs a name, e.g. --exercise Vostok-2022 or --exercise 'Joint Sea'", 2)
    return filters


def check_filters(session, ctx: Context, filters: searching.Filters) -> None:
    """Outlets and exercises the database has never heard of are typos: say so, with the known ones."""
    _check_outlets(session, ctx, filters.outlets)
    if filters.exercise:
        _check_exercise(session, filters.exercise)


def _date_option(name: str, value: str | None, end: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        return searching.parse_date(value, end=end)
    except searching.SearchError as exc:
        fail(f"{name}: {exc}", 2)


def _check_outlets(session, ctx: Context, outlets: tuple[str, ...]) -> None:
    stored = set(searching.stored_outlets(session))
    missing = [o for o in outlets if o not in stored]
    if missing:
        missing = [o for o in missing if o not in {outlet.name for outlet in load_outlets(ctx.config)}]
    if missing:
        known = ", ".join(sorted(stored)) or "none yet"
        fail(f"no such outlet: {', '.join(missing)} (outlets with articles: {known}; `drillwatch outlets` "
             "lists the configured ones)")


def _check_exercise(session, name: str) -> None:
    if searching.matching_exercises(session, name, limit=1):
        return
    known = searching.exercise_names(session)
    if not known:
        fail(f"no exercise matches {name!r}: no exercises have been detected yet; "
             f"search the text instead: drillwatch search {json.dumps(name, ensure_ascii=False)}")
    fail(f"no exercise matches {name!r}; recent ones: {', '.join(known)} (`drillwatch exercises` lists them all)")


# --- search ---------------------------------------------------------------------------------------

@click.command(epilog=QUERY_HELP, short_help="Full-text search of stored articles, one row per story.")
@click.argument("query")
@filter_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="At most this many stories.")
@output_options
@click.pass_obj
def search(ctx: Context, query, limit, as_json, **filter_values):
    """Full-text search of stored articles: best matches first, one row per story.

    Each row is the best-matching copy of a story, with how many copies matched and a snippet
    with the matched words in «guillemets».
    """
    filters = parse_filters(**filter_values)
    try:
        searching.check_query(query)
        with session_scope(ctx.engine()) as session:
            check_filters(session, ctx, filters)
            rows = searching.search(session, query, filters, limit=limit)
    except searching.SearchError as exc:
        fail(str(exc), 2)
    emit(rows, [("rank", "#"), ("published", "published"), ("outlet", "outlet"), ("title", "title"),
                ("copies", "copies"), ("snippet", "snippet")], as_json,
         empty=f"no stored article matches {query!r}" + (" with these filters" if _any(filter_values) else ""))


def _any(filter_values: dict) -> bool:
    return any(filter_values.values())


# --- export ---------------------------------------------------------------------------------------

@click.command(short_help="Export stored articles as JSON Lines or CSV.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON Lines (one article per line) or CSV (exercises joined by '; ').")
@click.option("--query", metavar="QUERY", help="Only articles matching this full-text query (syntax as for search).")
@filter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write to FILE [default: standard output].")
@click.pass_obj
def export(ctx: Context, fmt, query, output, **filter_values):
    """Export stored articles with all their fields, streamed row by row in the order they were stored.

    Fields: id, story_id, outlet, url, canonical_url, title, author, agency, language, published,
    first_fetched, last_fetched, relevant, score, exercises, text.
    """
    filters = parse_filters(**filter_values)
    with session_scope(ctx.engine()) as session:
        check_filters(session, ctx, filters)
        try:
            rows = searching.export_articles(session, filters, query=query)
        except searching.SearchError as exc:
            fail(str(exc), 2)
        with _open_output(output, fmt) as stream:
            count = WRITERS[fmt](rows, stream)
    if output != "-":
        click.echo(f"exported {count} article{'s' if count != 1 else ''} to {output}", err=True)


@contextmanager
def _open_output(output: str, fmt: str) -> Iterator[IO[str]]:
    if output == "-":
        yield click.get_text_stream("stdout")
        return
    try:
        stream = open(output, "w", encoding="utf-8", newline="" if fmt == "csv" else None)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}; check the directory exists and is writable")
    with stream:
        yield stream


def write_jsonl(rows: Iterable[dict], stream: IO[str]) -> int:
    count = 0
    for count, row in enumerate(rows, 1):
        stream.write(json.dumps(row, default=json_default, ensure_ascii=False) + "\n")
    return count


def write_csv(rows: Iterable[dict], stream: IO[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=searching.EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for count, row in enumerate(rows, 1):
        writer.writerow(csv_row(row))
    return count


def csv_row(row: dict) -> dict:
    values = dict(row, exercises="; ".join(row["exercises"]))
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = value.isoformat()
        elif isinstance(value, bool):
            values[key] = "true" if value else "false"
    return values


WRITERS = {"jsonl": write_jsonl, "csv": write_csv}


# --- serve ----------------------------------------------------------------------------------------

@click.command(short_help="Browse the database in a read-only web view (Datasette).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.pass_obj
def serve(ctx: Context, host, port):
    """Browse the database in a read-only web view (Datasette): full-text search, facets, saved queries.

    Open http://127.0.0.1:8001/drillwatch (articles, article_exercises, exercise_instances, and saved
    queries such as latest_relevant_stories), the exercise timeline at /-/dashboards/exercises and the
    map of exercise places at /drillwatch/exercise_places. It reads the SQLite database and may run while
    crawls write to it; at start it copies places.yaml (coordinates for the map) into the `places` table.
    On PostgreSQL use `drillwatch search` / `drillwatch export` or a PostgreSQL tool.
    """
    url = make_url(ctx.db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        fail(f"the web view (Datasette) reads SQLite files only, and this database is "
             f"{url.render_as_string(hide_password=True)}. Use `drillwatch search` and `drillwatch export`, "
             "or a PostgreSQL tool such as psql, pgAdmin or Metabase (the view article_exercises and the "
             "column articles.search_vector are there for them)")
    _check_port(host, port)
    places = load_places(ctx.config)  # a bad places.yaml stops here, before anything is written
    with session_scope(ctx.engine()) as session:  # creates or migrates the file: the web view expects the full schema
        sync_places(session, places.places)
    click.echo(f"drillwatch web view of {url.database} at http://{host}:{port}/{DATABASE_NAME} "
               f"(read-only; Ctrl-C stops it); exercise timeline at http://{host}:{port}/-/dashboards/exercises, "
               f"map at http://{host}:{port}/{DATABASE_NAME}/exercise_places", err=True)
    run_datasette(Path(url.database), host, port)


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port} ({exc.strerror}); pick another port with --port")


def datasette_metadata() -> dict:
    import yaml

    return yaml.safe_load((DATASETTE_DIR / "metadata.yaml").read_text(encoding="utf-8"))


SETTINGS = {
    "sql_time_limit_ms": 3000,      # a search over 100,000 articles plus snippets stays well within this
    "facet_time_limit_ms": 500,
    "default_page_size": 50,
    "truncate_cells_html": 300,     # article texts are long; open a row to read one in full
    "allow_download": False,        # the file changes under a running crawl
    "suggest_facets": False,        # trying every column is slow on 100,000 articles; facets are configured
}


def build_datasette(db_file: Path):
    """A Datasette over one mutable SQLite file (opened read-only per query), named `drillwatch`."""
    from datasette.app import Datasette
    from datasette.database import Database

    ds = Datasette(files=[], metadata=datasette_metadata(), settings=SETTINGS)
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(db_file), is_mutable=True), name=DATABASE_NAME)
    return ds


def run_datasette(db_file: Path, host: str, port: int) -> None:
    import uvicorn
    from datasette.cli import check_databases, run_sync

    ds = build_datasette(db_file)
    run_sync(ds.invoke_startup)
    run_sync(lambda: check_databases(ds))
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)


COMMANDS = [search, export, serve]
