"""The analyst's views of `drillwatch serve` (issue 15), opened in headless Chromium: the exercise timeline
chart (datasette-dashboards, Vega-Lite) and the map of exercise places (datasette-cluster-map, Leaflet),
on the crawled demo database, on a new database, and with instances that lack dates or places.

Chromium is Debian's package (`apt-get install -y chromium`), driven by Playwright's Python package with
executable_path (Playwright never downloads a browser here). Absent Chromium skips with the reason, or
fails under DRILLWATCH_REQUIRE_SERVICES=1 (.ci/run). Screenshots go to the test's tmp dir, and also to
$DRILLWATCH_SCREENSHOTS when set (the README's docs/*.png are made that way).
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from config.load import load_places
from scheduler.cmd_query import datasette_metadata
from storage.db import make_engine, session_scope
from storage.places import sync_places
from tests.conftest import service_missing
from tests.test_serve import Server, free_port

CHROMIUM = os.environ.get("DRILLWATCH_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# The flags headless Chromium needs on this machine kind (no sandbox as root, no GPU, no calls home).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
TILES = re.compile(r"tile\.openstreetmap\.org")
CHART_MARKS = "#chart-timeline .role-mark.mark-symbol path"  # the circles, not the legend's symbols

pytestmark = pytest.mark.slow


# --- fixtures --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        service_missing(f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install -y chromium)")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:  # Playwright gives each launch a fresh, empty user-data-dir
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Error as exc:
            service_missing(f"Chromium at {CHROMIUM} does not start headless: {str(exc).splitlines()[0]}")
        yield browser
        browser.close()


class Page:
    """One browser tab that records script errors, and is offline: map tile requests are refused."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1200, "height": 800})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.tiles_refused = 0
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.route(TILES, self._refuse_tile)

    def _refuse_tile(self, route) -> None:
        self.tiles_refused += 1
        route.abort("internetdisconnected")

    def open(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response.status == 200, f"{path} -> {response.status}"
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser):
    pages = []

    def open_page(server: Server) -> Page:
        page = Page(browser, server.url)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


@pytest.fixture(scope="module")
def demo_db(crawled_demo) -> Path:
    """The crawled demo with places.yaml copied in (as `serve` does), so expected rows can be read first."""
    engine = make_engine(crawled_demo.url)
    with session_scope(engine) as session:
        sync_places(session, load_places().places)
    engine.dispose()
    return crawled_demo.path


def serve(db: Path):
    server = Server(f"sqlite:///{db}", free_port())
    server.wait_ready()
    return server


@pytest.fixture
def served(request):
    servers = []

    def start(db: Path) -> Server:
        servers.append(serve(db))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def copy_db(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def query(db: Path, name: str, **params) -> list[dict]:
    """A saved query of the web view run straight on the file: what the page should show."""
    sql = datasette_metadata()["databases"]["drillwatch"]["queries"][name]["sql"]
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def screenshot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    """Saved as a test artefact; copied to $DRILLWATCH_SCREENSHOTS (e.g. docs/) when that is set."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 5000
    if os.environ.get("DRILLWATCH_SCREENSHOTS"):
        target = Path(os.environ["DRILLWATCH_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / name)
    return path


def chart_marks(page, expected: int) -> list[dict]:
    """Wait for the chart's circles; each one's data (Vega's aria-label) and drawn width."""
    page.wait_for_function(f"document.querySelectorAll({CHART_MARKS!r}).length >= {expected}", timeout=20000)
    marks = []
    for element in page.locator(CHART_MARKS).all():
        label = element.get_attribute("aria-label") or ""
        fields = dict(part.split(": ", 1) for part in label.split("; ") if ": " in part)
        marks.append({**fields, "width": element.bounding_box()["width"]})
    return marks


def summary_text(page) -> str:
    page.wait_for_function("document.querySelector('#chart-summary p') !== null", timeout=20000)
    return page.locator("#chart-summary p").inner_text()


def map_markers(page) -> tuple[int, list]:
    """(markers on the map, counting each cluster's members; the single markers' elements)."""
    page.wait_for_selector(".leaflet-marker-icon", timeout=20000)
    page.wait_for_timeout(500)  # markercluster adds chunks; let it settle
    singles = page.locator("img.leaflet-marker-icon").all()
    clustered = sum(int(text) for text in page.locator(".marker-cluster span").all_inner_texts())
    return len(singles) + clustered, singles


# --- the demo database -----------------------------------------------------------------------------

def test_timeline_chart_draws_every_dated_demo_exercise_sized_by_stories(demo_db, served, open_page, tmp_path):
    expected = query(demo_db, "exercise_timeline")
    assert len(expected) >= 10 and {"Vostok-2022", "Joint Sea-2024"} <= {row["name"] for row in expected}
    page = open_page(served(demo_db))
    tab = page.open("/-/dashboards/exercises")

    marks = chart_marks(tab, len(expected))
    assert sorted(mark["exercise"] for mark in marks) == sorted(row["name"] for row in expected)
    assert {mark["series"] for mark in marks} == {row["series"] for row in expected}
    stories = {row["name"]: row["stories"] for row in expected}
    assert all(int(mark["stories"]) == stories[mark["exercise"]] for mark in marks)
    most = max(marks, key=lambda m: int(m["stories"]))
    least = min(marks, key=lambda m: int(m["stories"]))
    assert int(most["stories"]) > int(least["stories"]) and most["width"] > least["width"] * 1.3
    assert summary_text(tab) == f"{len(expected)} exercises, 2018–2024"
    screenshot(tab, tmp_path, "timeline.png")
    assert page.errors == []


def test_map_draws_the_demo_places_and_their_popups_offline(demo_db, served, open_page, tmp_path):
    places = query(demo_db, "exercise_places")
    assert {"Sea of Japan", "Alaska", "Zhanjiang"} <= {row["place"] for row in places}
    page = open_page(served(demo_db))
    tab = page.open("/drillwatch/exercise_places")

    total, singles = map_markers(tab)
    assert total == len(places)
    assert page.tiles_refused > 0  # it really was offline: no tile loaded, the markers are drawn all the same
    assert tab.locator(".leaflet-tile-loaded").count() == 0

    box = tab.locator(".leaflet-container").bounding_box()
    centre = box["x"] + box["width"] / 2
    nearest = min(singles, key=lambda m: abs(m.bounding_box()["x"] - centre))  # its popup fits on the map
    nearest.click()
    popup = tab.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10000)
    text = popup.inner_text()
    row = next(row for row in places if text.startswith(f"{row['place']} ({row['kind']})"))
    assert row["names"].split("; ")[0] in text
    tab.wait_for_timeout(600)  # the popup fades in and the map pans to it: let the artefact show it whole
    screenshot(tab, tmp_path, "map.png", full_page=False)

    link = popup.locator("a").get_attribute("href")
    assert link.startswith("/drillwatch/exercises_at_place?place=")
    tab = page.open(link)
    listed = tab.locator("table.rows-and-columns td.col-name").all_inner_texts()
    assert sorted(listed) == sorted(row["names"].split("; "))
    assert page.errors == []


def test_places_the_table_lacks_are_listed_not_drawn(demo_db, served, open_page):
    """The demo's Vostok-2018 names Tsugol, which places.yaml leaves without coordinates."""
    page = open_page(served(demo_db))
    tab = page.open("/drillwatch/places_without_coordinates")
    assert tab.locator("table.rows-and-columns td.col-place").all_inner_texts() == ["Tsugol"]
    assert "Tsugol" not in {row["place"] for row in query(demo_db, "exercise_places")}
    tab = page.open("/drillwatch/places?_size=max")
    total, _ = map_markers(tab)  # the places table itself has latitude/longitude: a map of every known place
    assert total == len(load_places().places)


# --- empty and incomplete databases ----------------------------------------------------------------

def test_a_new_database_shows_an_empty_state_without_errors(tmp_path, served, open_page):
    db = tmp_path / "new.db"
    page = open_page(served(db))  # serve creates the file and its schema
    tab = page.open("/-/dashboards/exercises")
    assert summary_text(tab) == "No exercises detected yet"
    tab.wait_for_selector("#chart-timeline svg", timeout=20000)
    assert tab.locator(CHART_MARKS).count() == 0
    assert "crawl first" in tab.locator("#chart-notes").inner_text()

    tab = page.open("/drillwatch/exercise_places")
    assert tab.locator("p.zero-results").inner_text() == "0 results"
    assert "No rows means no exercise with a known place has been detected yet" in tab.content()
    assert tab.locator(".leaflet-container").count() == 0
    for path in ("/drillwatch/places_without_coordinates", "/drillwatch/exercises_not_shown",
                 "/drillwatch/exercise_timeline"):
        page.open(path)
    assert page.errors == []


def test_instances_without_dates_or_places_never_break_the_views(demo_db, tmp_path, served, open_page):
    db = copy_db(demo_db, tmp_path / "incomplete.db")
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "insert into exercise_instances (key, name, series, kind, known, year, start_date, places, "
            "first_seen_at, mention_count) values (?, ?, ?, 'discovered', 0, ?, null, ?, '2026-11-30 10:00:00.000000', 0)",
            [("mystery-drill", "Mystery Drill", None, None, None),              # no date, no place
             ("nameless-2025", "Nameless-2025", None, 2025, "[]"),               # a year only, an empty list
             ("polar-watch-2026", "Polar Watch-2026", "polar-watch", 2026, '["Laptev Sea", "Nowhere Bay"]'),
             ("null-places", "Null Places", None, None, "null")])                # JSON null, not SQL NULL
        conn.execute("delete from places")  # serve copies places.yaml in again
    dated = query(db, "exercise_timeline")
    assert {"Nameless-2025", "Polar Watch-2026"} <= {row["name"] for row in dated}
    assert not {"Mystery Drill", "Null Places"} & {row["name"] for row in dated}

    page = open_page(served(db))
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from places").fetchone()[0] == len(load_places().places)
    tab = page.open("/-/dashboards/exercises")
    marks = chart_marks(tab, len(dated))
    assert len(marks) == len(dated)
    assert next(m for m in marks if m["exercise"] == "Polar Watch-2026")["dates"] == "2026 (year only)"
    assert summary_text(tab).endswith("· 2 without a date")

    tab = page.open("/drillwatch/exercise_places")
    total, _ = map_markers(tab)
    assert total == len(query(db, "exercise_places")) == len(query(demo_db, "exercise_places")) + 1  # Laptev Sea

    tab = page.open("/drillwatch/places_without_coordinates")
    assert sorted(tab.locator("td.col-place").all_inner_texts()) == ["Nowhere Bay", "Tsugol"]
    tab = page.open("/drillwatch/exercises_not_shown")
    shown = dict(zip(tab.locator("td.col-name").all_inner_texts(), tab.locator("td.col-missing").all_inner_texts()))
    assert shown == {"Mystery Drill": "no date; no place", "Null Places": "no date; no place",
                     "Nameless-2025": "no place"}
    assert page.errors == []
