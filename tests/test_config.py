"""Config files are validated on load, and errors name the file, the outlet and the field."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from config import DEMO_DIR, PACKAGE_DIR
from config.load import ConfigError, load_outlets, load_settings
from tests.conftest import run_drillwatch

GOOD = """
outlets:
  - name: tass
    domains: [tass.com]
    feeds: ["https://tass.com/rss/v2.xml"]
    interval: 30m
"""


def write(tmp_path: Path, outlets: str, settings: str | None = None) -> Path:
    (tmp_path / "outlets.yaml").write_text(outlets, encoding="utf-8")
    if settings is not None:
        (tmp_path / "settings.yaml").write_text(settings, encoding="utf-8")
    return tmp_path


def error_for(tmp_path: Path, outlets: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_outlets(write(tmp_path, outlets))
    return str(info.value)


def test_shipped_outlets_and_settings_are_valid():
    outlets = load_outlets(PACKAGE_DIR)
    assert {"artifexnews", "spacewar", "tass", "xinhua"} <= {o.name for o in outlets}
    assert all(o.feeds or o.sitemaps or o.listings for o in outlets)
    assert load_settings(PACKAGE_DIR).daemon.crawl_timeout == 1800


def test_a_good_outlet_loads_with_durations_in_seconds(tmp_path):
    (outlet,) = load_outlets(write(tmp_path, GOOD))
    assert outlet.name == "tass" and outlet.interval == 1800 and outlet.max_pages == 200


def test_unknown_key_names_file_outlet_field_and_allowed_keys(tmp_path):
    message = error_for(tmp_path, GOOD + "    feed_url: https://tass.com/x\n")
    assert message.startswith(f"{tmp_path / 'outlets.yaml'}: outlet 'tass' field 'feed_url': unknown key")
    assert "allowed keys: name, title, domains" in message


def test_bad_url_names_the_list_position(tmp_path):
    message = error_for(tmp_path, GOOD.replace("https://tass.com/rss/v2.xml", "tass.com/rss"))
    assert "outlet 'tass' field 'feeds[0]': 'tass.com/rss' is not an http(s) URL" in message


def test_missing_field_and_missing_entry_point(tmp_path):
    assert "outlet 'tass' field 'domains': required field is missing" in error_for(
        tmp_path, GOOD.replace("    domains: [tass.com]\n", ""))
    no_entry = "outlets:\n  - name: x\n    domains: [x.org]\n"
    assert "outlet 'x': an outlet needs at least one of feeds, sitemaps or listings" in error_for(tmp_path, no_entry)


def test_bad_regex_duration_and_duplicate_names(tmp_path):
    listing = GOOD + "    listings:\n      - url: https://tass.com/\n        links: '(unclosed'\n"
    assert "field 'listings[0].links'" in error_for(tmp_path, listing)
    assert "is not a duration" in error_for(tmp_path, GOOD.replace("30m", "half an hour"))
    twice = GOOD + GOOD.replace("outlets:\n", "")
    assert "outlet names must be unique; repeated: tass" in error_for(tmp_path, twice)


def test_yaml_syntax_error_gives_line(tmp_path):
    message = error_for(tmp_path, "outlets:\n  - name: [unclosed\n")
    assert "not valid YAML" in message and "line" in message


def test_environment_variables_are_expanded_and_missing_ones_named(tmp_path, monkeypatch):
    text = GOOD.replace("https://tass.com/rss/v2.xml", "${FEED_BASE}/rss.xml")
    monkeypatch.delenv("FEED_BASE", raising=False)
    assert "environment variable FEED_BASE is not set" in error_for(tmp_path, text)
    monkeypatch.setenv("FEED_BASE", "https://example.org")
    assert load_outlets(tmp_path)[0].feeds == ("https://example.org/rss.xml",)


def test_settings_unknown_key_and_defaults(tmp_path):
    write(tmp_path, GOOD, "crawl:\n  download_timeout: 5\n")
    assert load_settings(tmp_path).crawl.download_timeout == 5
    write(tmp_path, GOOD, "crawl:\n  timeout: 5\n")
    with pytest.raises(ConfigError, match=r"field 'crawl.timeout': unknown key"):
        load_settings(tmp_path)


def test_cli_reports_a_config_error_in_one_line(tmp_path, sqlite_url):
    write(tmp_path, GOOD + "    colour: red\n")
    proc = run_drillwatch("outlets", db=sqlite_url, config=tmp_path, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "outlet 'tass' field 'colour': unknown key" in proc.stderr


def test_demo_config_needs_the_demo_url(monkeypatch):
    monkeypatch.setenv("DRILLWATCH_DEMO_URL", "http://127.0.0.1:9")
    names = {o.name for o in load_outlets(DEMO_DIR)}
    assert {"artifex", "spacewar", "kremlinwire", "socialrepost", "brokenfeed"} <= names


def test_gazetteer_is_shared_until_its_file_changes(tmp_path):
    from config.load import load_gazetteer

    shipped = PACKAGE_DIR / "exercises.yaml"
    write(tmp_path, GOOD)
    (tmp_path / "exercises.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_gazetteer(tmp_path)
    assert load_gazetteer(tmp_path) is first
    os.utime(tmp_path / "exercises.yaml", ns=(1, 1))  # an edit: the file's time changes
    assert load_gazetteer(tmp_path) is not first
    (tmp_path / "exercises.yaml").write_text("series: [", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_gazetteer(tmp_path)
