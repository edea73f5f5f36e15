"""Change monitoring: the decaying revisit schedule and the meaningful-change test (pure, time as an
argument), and what storing and revisiting leave in the database (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sqlalchemy import select

from config.load import ConfigError, load_settings
from crawler.text.dedup import compare_versions, content_hash
from storage.articles import ArticleData, StoreOptions, store_article
from storage.db import session_scope
from storage.models import Article, ArticleVersion
from storage.monitor import RevisitSchedule, due_among, due_revisits, next_visit, record_visit, record_visits

NOW = datetime(2024, 8, 1, 12, 0, tzinfo=timezone.utc)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SCHEDULE = RevisitSchedule()  # 1h .. 7d apart, a quarter of the quiet time, stop at 30 days


def visit(published=None, first_seen=None, last_changed=None, now=NOW, schedule=SCHEDULE):
    return next_visit(schedule, published=published, first_seen=first_seen or published or now,
                      last_changed=last_changed, now=now)


# --- the schedule (pure) ------------------------------------------------------------------------------

def test_fresh_articles_are_revisited_hourly():
    assert visit(published=NOW - 10 * 60 * timedelta(seconds=1)) == NOW + HOUR
    assert visit(published=NOW - 3 * HOUR) == NOW + HOUR


def test_the_interval_grows_with_the_quiet_time_up_to_a_week():
    assert visit(published=NOW - 2 * DAY) == NOW + 12 * HOUR
    assert visit(published=NOW - 20 * DAY) == NOW + 5 * DAY
    gaps = [visit(published=NOW - age * DAY) - NOW for age in (0.1, 1, 3, 7, 14, 21)]
    assert gaps == sorted(gaps)
    long = RevisitSchedule(max_age=timedelta(days=365))
    assert visit(published=NOW - 100 * DAY, schedule=long) == NOW + 7 * DAY


def test_a_recent_edit_brings_the_revisits_back_to_hourly():
    assert visit(published=NOW - 20 * DAY, last_changed=NOW - 2 * HOUR) == NOW + HOUR


def test_revisits_stop_at_max_age_and_never_go_past_it():
    assert visit(published=NOW - 31 * DAY) is None
    assert visit(published=NOW - 30 * DAY) is None
    assert visit(published=NOW - 29 * DAY - 12 * HOUR) == NOW + 12 * HOUR  # capped at the 30th day


def test_unknown_or_future_publication_dates_count_from_the_first_fetch():
    assert visit(published=None, first_seen=NOW - 2 * DAY) == NOW + 12 * HOUR
    assert visit(published=NOW + 300 * DAY, first_seen=NOW - 2 * DAY) == NOW + 12 * HOUR


# --- the meaningful-change test (pure) ----------------------------------------------------------------

TEXT = ("Russian and Chinese bombers flew a joint patrol near Alaska on Wednesday.\n"
        "NORAD said the aircraft stayed in international airspace and were not regarded as a threat.\n"
        "Moscow said the flight was not aimed at third countries.\n"
        "It released video of the bombers taking off and landing.")


def test_whitespace_case_quotes_and_timestamps_are_not_a_change():
    noisy = "Updated 10:32 GMT\n" + TEXT.replace(" near ", "  near ").replace("Moscow", "MOSCOW") + "\n5 comments"
    change = compare_versions(TEXT, "Bombers near Alaska", noisy, "bombers near  Alaska")
    assert not change.meaningful and change.diff == ""


def test_a_corrected_figure_is_a_small_edit_with_a_diff():
    edited = TEXT.replace("on Wednesday", "on Tuesday")
    change = compare_versions(TEXT, "Bombers near Alaska", edited, "Bombers near Alaska")
    assert change.meaningful and change.text_changed and not change.title_changed and not change.large_edit
    assert "-Russian and Chinese bombers flew a joint patrol near Alaska on Wednesday." in change.diff
    assert "+Russian and Chinese bombers flew a joint patrol near Alaska on Tuesday." in change.diff


def test_a_new_headline_is_flagged_and_shows_in_the_diff():
    change = compare_versions(TEXT, "Bombers near Alaska", TEXT, "US jets intercept bombers near Alaska")
    assert change.meaningful and change.title_changed and not change.text_changed
    assert "+US jets intercept bombers near Alaska" in change.diff


def test_a_rewritten_paragraph_is_a_large_edit():
    rewritten = TEXT.rsplit("\n", 2)[0] + ("\nThe Pentagon said it was watching the flights closely and would "
                                           "respond to any incursion, a spokesman told reporters in Washington.")
    change = compare_versions(TEXT, "t", rewritten, "t")
    assert change.large_edit and change.shingles_changed > 0.2


# --- storage --------------------------------------------------------------------------------------------

def article(text=TEXT, title="Bombers near Alaska", fetched_at=NOW, published=NOW - 2 * HOUR, **kw) -> ArticleData:
    return ArticleData(outlet="spacewar", url="https://spacewar.example/a", canonical_url="https://spacewar.example/a",
                       title=title, text=text, content_hash=content_hash(text), fetched_at=fetched_at,
                       published_at=published, etag='"v1"', **kw)


OPTIONS = StoreOptions(compare=compare_versions, schedule=SCHEDULE)


def test_storing_schedules_the_revisit_and_only_real_edits_make_versions(engine):
    with session_scope(engine) as session:
        first = store_article(session, article(), OPTIONS)
        assert session.get(Article, first.article_id).next_visit_at == NOW + HOUR
    later = NOW + 3 * HOUR
    with session_scope(engine) as session:
        noisy = store_article(session, article("Updated 14:02 GMT\n" + TEXT, fetched_at=later), OPTIONS)
        assert noisy.status == "unchanged"
    with session_scope(engine) as session:
        edited = store_article(session, article(TEXT.replace("Wednesday", "Tuesday"), title="Bombers off Alaska",
                                                fetched_at=later + HOUR), OPTIONS)
        assert (edited.status, edited.version, edited.title_changed, edited.large_edit) == ("updated", 2, True, False)
        stored = session.get(Article, first.article_id)
        assert stored.last_changed_at == later + HOUR and stored.next_visit_at == later + 2 * HOUR
        versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == stored.id)
                                   .order_by(ArticleVersion.number)).all()
        assert [(v.number, v.fetched_at) for v in versions] == [(1, NOW), (2, later + HOUR)]
        assert versions[0].diff is None and "+Russian and Chinese bombers flew a joint patrol near Alaska on Tuesday." \
            in versions[1].diff and versions[1].title_changed


def test_due_revisits_of_one_outlet_most_overdue_first_within_the_limit(engine):
    with session_scope(engine) as session:
        for i, due in enumerate([NOW - HOUR, NOW - DAY, NOW + HOUR, None]):
            session.add(Article(outlet="spacewar", url=f"https://s.example/{i}", canonical_url=f"https://s.example/{i}",
                                text="t", content_hash=str(i), next_visit_at=due, etag=f'"{i}"'))
        session.add(Article(outlet="artifex", url="https://a.example/x", canonical_url="https://a.example/x",
                            text="t", content_hash="a", next_visit_at=NOW - DAY))
    with session_scope(engine) as session:
        assert [r.url for r in due_revisits(session, "spacewar", NOW)] == ["https://s.example/1", "https://s.example/0"]
        assert [(r.url, r.etag) for r in due_revisits(session, "spacewar", NOW, limit=1)] == [("https://s.example/1", '"1"')]
        due = due_among(session, ["https://s.example/0", "https://s.example/2", "https://x.example/"], NOW)
        assert {url: r.article_id for url, r in due.items()} == {"https://s.example/0": due_revisits(session, "spacewar", NOW)[1].article_id}


def test_a_not_modified_revisit_moves_the_schedule_and_a_gone_article_stops(engine):
    with session_scope(engine) as session:
        stored = store_article(session, article(), OPTIONS)
    later = NOW + 2 * DAY
    with session_scope(engine) as session:
        record_visit(session, stored.article_id, 304, later, SCHEDULE, etag='"v1"')
        row = session.get(Article, stored.article_id)
        quiet = later - (NOW - 2 * HOUR)  # published two hours before the first fetch
        assert row.last_fetched_at == later and row.next_visit_at == later + quiet / 4 and row.version_count == 1
    with session_scope(engine) as session:
        record_visit(session, stored.article_id, 404, later + DAY, SCHEDULE)
        assert session.get(Article, stored.article_id).next_visit_at is None


def test_not_modified_revisits_recorded_in_a_batch_move_each_schedule_as_one_at_a_time_would(engine):
    with session_scope(engine) as session:
        stored = [store_article(session, ArticleData(
            outlet="spacewar", url=f"https://spacewar.example/{n}", canonical_url=f"https://spacewar.example/{n}",
            title="t", text=TEXT + f" {n}", content_hash=content_hash(TEXT + f" {n}"), fetched_at=NOW,
            published_at=NOW - n * HOUR, etag='"v1"'), OPTIONS).article_id for n in range(3)]
    later = NOW + 2 * DAY
    with session_scope(engine) as session:
        record_visits(session, [(stored[0], 304, later, '"v2"', None), (stored[1], 304, later, None, None),
                                (stored[2], 410, later, None, None)], SCHEDULE)
    with session_scope(engine) as session:
        rows = [session.get(Article, article_id) for article_id in stored]
        assert [r.last_fetched_at for r in rows] == [later] * 3
        assert [r.etag for r in rows] == ['"v2"', '"v1"', '"v1"']
        assert rows[0].next_visit_at == later + (later - NOW) / 4
        assert rows[1].next_visit_at == later + (later - (NOW - HOUR)) / 4 and rows[2].next_visit_at is None


# --- settings ---------------------------------------------------------------------------------------------

def test_monitor_and_dedup_settings_take_durations_and_reject_unknown_backends(tmp_path):
    (tmp_path / "settings.yaml").write_text("monitor:\n  revisit_min: 2h\n  max_age: 90d\ndedup:\n  lsh: redis://h:6379/2\n")
    settings = load_settings(tmp_path)
    assert (settings.monitor.revisit_min, settings.monitor.max_age, settings.dedup.lsh) == (7200, 90 * 86400,
                                                                                           "redis://h:6379/2")
    (tmp_path / "settings.yaml").write_text("dedup:\n  lsh: mysql://x\n")
    with pytest.raises(ConfigError, match=r"dedup\.lsh.*write sql, or a Redis URL"):
        load_settings(tmp_path)
