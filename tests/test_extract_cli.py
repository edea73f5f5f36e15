"""`drillwatch extract FILE.html --url URL [--json]` runs the crawl's front door on a saved page."""
from __future__ import annotations

import json

from crawler.demo.server import SITES_DIR
from tests.conftest import run_drillwatch

PAGE = SITES_DIR / "spacewar/reports/Russian_defence_minister_in_Beijing_for_China_talks_999.html"
URL = "https://www.spacewar.com/reports/Russian_defence_minister_in_Beijing_for_China_talks_999.html"


def test_json_has_the_documented_keys_and_no_clutter(sqlite_url):
    proc = run_drillwatch("extract", str(PAGE), "--url", URL, "--json", db=sqlite_url)
    data = json.loads(proc.stdout)
    assert {"title", "text", "published", "author", "language", "agency", "canonical_url"} <= set(data)
    assert data["title"] == "Russian defence minister in Beijing for China talks"
    assert data["published"].startswith("2024-10-14")
    assert data["agency"] == "AFP" and data["language"] == "en"
    assert "Belousov" in data["text"]
    for clutter in ("ADVERTISEMENT", "All rights reserved", "Space News from SpaceDaily.com"):
        assert clutter not in data["text"]


def test_table_output_and_errors(sqlite_url, tmp_path):
    proc = run_drillwatch("extract", str(PAGE), "--url", URL, db=sqlite_url)
    assert "canonical_url" in proc.stdout and "Belousov" in proc.stdout
    missing = run_drillwatch("extract", str(tmp_path / "nope.html"), "--url", URL, db=sqlite_url, check=False)
    assert missing.returncode == 2 and "nope.html: no such file" in missing.stderr
    pdf = SITES_DIR / "spacewar/reports/Factsheet_Russia_China_arms_transfers_2019_2023.pdf"
    empty = run_drillwatch("extract", str(pdf), "--url", URL, db=sqlite_url, check=False)
    assert empty.returncode == 1 and "no article text found" in empty.stderr
