"""`drillwatch serve`: Datasette over the SQLite database, started as a real process (issue 7)."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from scheduler.cmd_query import DATASETTE_DIR, datasette_metadata
from storage.db import init_db, make_engine
from tests.conftest import ROOT
from tests.test_search import add_exercise, data, drillwatch, store, store_filler, utc


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def news_db(sqlite_url) -> str:
    engine = make_engine(sqlite_url)
    init_db(engine)
    store_filler(engine)
    main, _copy, bombers = store(
        engine,
        data("tass", "js", "Joint Sea-2024 begins", "Russian and Chinese warships opened Joint Sea-2024.",
             published=utc(2024, 7, 15)),
        data("rt", "js", "Joint Sea-2024 begins", "Russian and Chinese warships opened Joint Sea-2024.",
             published=utc(2024, 7, 15)),
        data("tass", "bombers", "Bombers patrol near Alaska", "Russian and Chinese bombers flew a joint patrol.",
             published=utc(2024, 7, 25), language="ru"))
    add_exercise(engine, [main], "joint-sea-2024", "Joint Sea-2024", "joint-sea")
    add_exercise(engine, [bombers], "air-patrol-2024-07", "Joint air patrol July 2024", "air-patrol")
    engine.dispose()
    return sqlite_url


class Server:
    def __init__(self, db_url: str, port: int):
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "--db", db_url, "serve", "--port", str(port)],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                self.get("/-/versions.json")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError("serve did not answer within 30 s")

    def get(self, path: str, **params) -> tuple[int, str]:
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def json(self, path: str, **params):
        status, body = self.get(path, **params)
        assert status == 200, f"{path} {params} -> {status}: {body[:500]}"
        return json.loads(body)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def server(news_db):
    server = Server(news_db, free_port())
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_serve_answers_html_search_facets_and_saved_queries(server):
    status, html = server.get("/drillwatch/articles")
    assert status == 200 and "Joint Sea-2024 begins" in html and 'name="_search"' in html

    rows = server.json("/drillwatch/articles.json", _search="bombers", _shape="array")
    assert [(r["outlet"], r["title"]) for r in rows] == [("tass", "Bombers patrol near Alaska")]

    page = server.json("/drillwatch/articles.json", _facet="outlet", _size="0")
    assert {f["value"]: f["count"] for f in page["facet_results"]["outlet"]["results"]} == {
        "filler": 6, "tass": 2, "rt": 1}

    page = server.json("/drillwatch/article_exercises.json", _size="0")
    assert {f["value"]: f["count"] for f in page["facet_results"]["exercise"]["results"]} == {
        "Joint Sea-2024": 1, "Joint air patrol July 2024": 1}

    stories = server.json("/drillwatch/latest_relevant_stories.json", _shape="array")
    assert [(s["title"], s["copies"]) for s in stories] == [
        ("Bombers patrol near Alaska", 1), ("Joint Sea-2024 begins", 2)]

    [hit] = server.json("/drillwatch/search_stories.json", q="warships", _shape="array")
    assert (hit["title"], hit["copies"]) == ("Joint Sea-2024 begins", 2) and "«warships»" in hit["snippet"]

    per_day = server.json("/drillwatch/articles_per_outlet_per_day.json", _shape="array")
    assert isinstance(per_day, list)  # the demo dates are older than 30 days; the query must still run


@pytest.mark.slow
def test_serve_sees_articles_stored_while_it_runs(server, news_db):
    assert server.json("/drillwatch/articles.json", _search="Zapad", _shape="array") == []
    engine = make_engine(news_db)
    store(engine, data("xinhua", "zapad", "Zapad observers", "Chinese officers observed Zapad drills."))
    engine.dispose()
    [row] = server.json("/drillwatch/articles.json", _search="Zapad", _shape="array")
    assert row["outlet"] == "xinhua"


@pytest.mark.slow
def test_serve_is_read_only(server, news_db):
    status, _body = server.get("/drillwatch.json", sql="delete from articles")
    assert status != 200
    with sqlite3.connect(news_db.removeprefix("sqlite:///")) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 9


def test_every_saved_query_runs_on_a_fresh_database(news_db):
    """Canned queries are SQL in a YAML file: run each one, so a typo fails here, not in a browser."""
    queries = datasette_metadata()["databases"]["drillwatch"]["queries"]
    assert {"new_exercises_this_week", "latest_relevant_stories", "articles_per_outlet_per_day",
            "search_stories"} <= set(queries)
    with sqlite3.connect(news_db.removeprefix("sqlite:///")) as conn:
        conn.execute("update exercise_instances set first_seen_at = '2024-07-01 00:00:00.000000' "
                     "where key = 'joint-sea-2024'")
        for name, query in queries.items():
            conn.execute(query["sql"], {"q": "warships", "place": "Sea of Japan"}).fetchall()
        for name, chart in datasette_metadata()["plugins"]["datasette-dashboards"]["exercises"]["charts"].items():
            if "query" in chart:
                assert conn.execute(chart["query"]).fetchall() is not None, name
        new = conn.execute(queries["new_exercises_this_week"]["sql"]).fetchall()
    assert [row[1] for row in new] == ["Joint air patrol July 2024"]


def test_metadata_names_only_tables_and_columns_that_exist(news_db):
    tables = datasette_metadata()["databases"]["drillwatch"]["tables"]
    with sqlite3.connect(news_db.removeprefix("sqlite:///")) as conn:
        existing = {row[0] for row in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
        for table, config in tables.items():
            assert table in existing, table
            columns = {row[1] for row in conn.execute(f"pragma table_info({table})")}
            named = set(config.get("facets", [])) | set(config.get("columns", {}))
            named |= {config[key] for key in ("sort_desc", "label_column", "fts_pk") if key in config}
            assert named <= columns, (table, named - columns)
    assert tables["articles"]["fts_table"] in existing


def test_serve_refuses_postgres_with_what_to_use_instead():
    pg_url = "postgresql://postgres@127.0.0.1:1/nowhere"  # refused before connecting
    result = drillwatch(pg_url, "serve")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the web view (Datasette) reads SQLite files only, and this database is "
                                    "postgresql+psycopg://")
    assert "Use `drillwatch search` and `drillwatch export`, or a PostgreSQL tool such as psql" in result.stderr


def test_serve_names_a_busy_port(sqlite_url):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = drillwatch(sqlite_url, "serve", "--port", str(port))
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"Error: cannot listen on 127.0.0.1:{port} (Address already in use); pick another port with --port")


def test_datasette_files_are_package_data():
    """pyproject.toml must ship scheduler/datasette/, or an installed drillwatch cannot serve."""
    import fnmatch
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"].get("scheduler", [])
    for file in DATASETTE_DIR.rglob("*"):
        if file.is_file() and "__pycache__" not in file.parts:
            relative = file.relative_to(DATASETTE_DIR.parent).as_posix()
            assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), \
                f"{relative} is not in [tool.setuptools.package-data] scheduler = {patterns}"
