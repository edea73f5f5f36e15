"""Exercise instances, mentions and alerts in storage, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from storage.articles import ArticleData, store_article
from storage.db import session_scope
from storage.exercises import MentionData, merge_discovered, record_mentions, timeline
from storage.models import Alert, ExerciseInstance, ExerciseMention

UTC = timezone.utc
VOSTOK = dict(exercise="vostok-2022", name="Vostok-2022", kind="named", known=True, series="vostok", year=2022,
              start=date(2022, 9, 1), end=date(2022, 9, 7), places=["Russian Far East"], participants=["RU", "CN"])


def add_article(engine, n: int, published: datetime | None, outlet: str = "tass", text: str | None = None) -> int:
    data = ArticleData(outlet=outlet, url=f"https://{outlet}.example/a/{n}", canonical_url=f"https://{outlet}.example/a/{n}",
                       title=f"Article {n}", text=text or f"Article {n} about joint drills.", content_hash=f"h{n}",
                       published_at=published, relevant=True, relevance_score=0.9)
    with session_scope(engine) as session:
        return store_article(session, data).article_id


def mention(sentence: str, **values) -> MentionData:
    return MentionData(**{**VOSTOK, "sentence": sentence, **values})


def record(engine, article_id: int, mentions: list[MentionData], now: datetime):
    with session_scope(engine) as session:
        result = record_mentions(session, article_id, mentions, now=now)
        return [(a.reason, a.title) for a in result.alerts], result


def alerts(engine) -> list[tuple[str, str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(select(ExerciseInstance.key, Alert.reason, Alert.title)
                               .join(Alert, Alert.instance_id == ExerciseInstance.id).order_by(Alert.id)).all()
    return [tuple(row) for row in rows]


def instance(engine, key: str) -> ExerciseInstance:
    with session_scope(engine) as session:
        return session.scalar(select(ExerciseInstance).where(ExerciseInstance.key == key))


def test_many_articles_about_one_new_exercise_raise_one_alert(engine):
    base = datetime(2022, 8, 20, 9, 0, tzinfo=UTC)
    for n in range(6):
        article = add_article(engine, n, base + timedelta(days=n), outlet=("tass", "afp", "xinhua")[n % 3])
        record(engine, article, [mention(f"Vostok-2022 will be held from September 1 (report {n}).")],
               now=base + timedelta(days=n, hours=1))
    assert alerts(engine) == [("vostok-2022", "new_instance", "New exercise reported: Vostok-2022")]
    vostok = instance(engine, "vostok-2022")
    assert vostok.mention_count == 6 and vostok.known
    assert (vostok.first_seen_at, vostok.first_outlet) == (base, "tass")
    with session_scope(engine) as session:
        alert = session.scalar(select(Alert))
        assert alert.sentence == "Vostok-2022 will be held from September 1 (report 0)."
        assert alert.url == "https://tass.example/a/0" and alert.outlet == "tass" and not alert.historical
        assert alert.details["places"] == ["Russian Far East"] and alert.details["start"] == "2022-09-01"


def test_first_seen_is_the_earliest_report_whatever_the_crawl_order(engine):
    late = add_article(engine, 1, datetime(2022, 9, 2, tzinfo=UTC), outlet="afp")
    early = add_article(engine, 2, datetime(2022, 8, 17, tzinfo=UTC), outlet="xinhua")
    now = datetime(2022, 9, 3, tzinfo=UTC)
    record(engine, late, [mention("Vostok-2022 is under way.")], now)
    record(engine, early, [mention("China will send troops to Vostok-2022.")], now)
    vostok = instance(engine, "vostok-2022")
    assert (vostok.first_seen_at.date(), vostok.first_outlet, vostok.first_article_id) == (date(2022, 8, 17), "xinhua", early)


def test_starting_raises_one_more_alert_once(engine):
    now = datetime(2022, 9, 2, tzinfo=UTC)
    announced = add_article(engine, 1, datetime(2022, 8, 20, tzinfo=UTC))
    started = [add_article(engine, n, datetime(2022, 9, 1, n, tzinfo=UTC)) for n in (2, 3)]
    assert record(engine, announced, [mention("Vostok-2022 will run from September 1.")], now)[0] == [
        ("new_instance", "New exercise reported: Vostok-2022")]
    assert record(engine, started[0], [mention("Vostok-2022 began on Thursday.", starting=True)], now)[0] == [
        ("starting", "Exercise under way: Vostok-2022")]
    assert record(engine, started[1], [mention("The Vostok-2022 drills opened.", starting=True)], now)[0] == []
    assert [reason for _, reason, _ in alerts(engine)] == ["new_instance", "starting"]
    assert instance(engine, "vostok-2022").reported_starting_at == datetime(2022, 9, 1, 2, tzinfo=UTC)


def test_a_first_report_that_it_started_is_a_single_alert(engine):
    now = datetime(2024, 7, 15, tzinfo=UTC)
    first, second = (add_article(engine, n, datetime(2024, 7, 14, n, tzinfo=UTC)) for n in (1, 2))
    sea = dict(exercise="joint-sea-2024", name="Joint Sea-2024", series="joint-sea", year=2024)
    record(engine, first, [mention("Joint Sea-2024 opened in Zhanjiang.", starting=True, **sea)], now)
    record(engine, second, [mention("Joint Sea-2024 has opened.", starting=True, **sea)], now)
    assert alerts(engine) == [("joint-sea-2024", "new_instance", "Exercise under way: Joint Sea-2024")]


def test_background_mention_of_a_past_edition_raises_nothing(engine):
    article = add_article(engine, 1, datetime(2024, 7, 14, tzinfo=UTC))
    past = mention("The previous edition, Joint Sea-2022, took place in December 2022.", exercise="joint-sea-2022",
                   name="Joint Sea-2022", series="joint-sea", start=date(2022, 12, 21), end=date(2022, 12, 27))
    record(engine, article, [past], now=datetime(2024, 7, 15, tzinfo=UTC))
    assert alerts(engine) == []
    assert instance(engine, "joint-sea-2022").mention_count == 1
    with session_scope(engine) as session:
        assert session.scalar(select(ExerciseMention.current)) is False


def test_archive_backfill_gives_one_historical_alert_per_exercise(engine):
    now = datetime(2026, 11, 21, tzinfo=UTC)  # crawling 2022 articles years later
    announced = add_article(engine, 1, datetime(2022, 8, 30, tzinfo=UTC))
    started = add_article(engine, 2, datetime(2022, 9, 1, tzinfo=UTC))
    record(engine, started, [mention("Vostok-2022 war games began.", starting=True)], now)
    record(engine, announced, [mention("Vostok-2022 will run from Sept. 1 to 7.")], now)
    assert alerts(engine) == [("vostok-2022", "new_instance", "Exercise under way: Vostok-2022")]
    with session_scope(engine) as session:
        assert session.scalar(select(Alert.historical)) is True


def test_recording_an_article_again_does_not_duplicate_mentions(engine):
    now = datetime(2022, 8, 31, tzinfo=UTC)
    article = add_article(engine, 1, datetime(2022, 8, 30, tzinfo=UTC))
    first = [mention("Vostok-2022 will run from Sept. 1 to 7."), mention("Vostok-2022 will run from Sept. 1 to 7."),
             mention("Some 50,000 troops will take part in Vostok-2022.")]
    record(engine, article, first, now)
    _, again = record(engine, article, first, now)
    assert (again.mentions, again.added, again.alerts) == (2, 0, [])
    edited = [mention("Vostok-2022 will run from Sept. 1 to 7."), mention("More than 2,000 Chinese troops join Vostok-2022.")]
    _, new_version = record(engine, article, edited, now)
    assert (new_version.mentions, new_version.added) == (2, 1)
    with session_scope(engine) as session:
        sentences = session.scalars(select(ExerciseMention.sentence).order_by(ExerciseMention.sentence)).all()
        assert sentences == ["More than 2,000 Chinese troops join Vostok-2022.", "Vostok-2022 will run from Sept. 1 to 7."]
    assert instance(engine, "vostok-2022").mention_count == 2
    assert len(alerts(engine)) == 1


def test_an_article_that_no_longer_mentions_it_drops_its_rows(engine):
    now = datetime(2022, 8, 31, tzinfo=UTC)
    article = add_article(engine, 1, datetime(2022, 8, 30, tzinfo=UTC))
    record(engine, article, [mention("Vostok-2022 will run from Sept. 1 to 7.")], now)
    record(engine, article, [], now)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ExerciseMention)) == 0
    assert instance(engine, "vostok-2022").mention_count == 0


def test_timeline_lists_instances_newest_first(engine):
    now = datetime(2024, 7, 26, tzinfo=UTC)
    article = add_article(engine, 1, datetime(2024, 7, 25, tzinfo=UTC), outlet="kremlinwire")
    patrol = MentionData(exercise="joint-strategic-air-patrol-2024-07", name="Joint strategic air patrol, July 2024",
                         kind="patrol", known=True, series="joint-strategic-air-patrol", year=2024, ordinal=8,
                         sentence="Bombers flew the eighth joint air patrol.", date=date(2024, 7, 24))
    record(engine, article, [patrol, mention("Vostok-2022 was held in 2022.")], now)
    with session_scope(engine) as session:
        rows = timeline(session)
    assert [r["exercise"] for r in rows] == ["joint-strategic-air-patrol-2024-07", "vostok-2022"]
    assert rows[0]["first_outlet"] == "kremlinwire" and rows[0]["first_url"] == "https://kremlinwire.example/a/1"
    assert rows[0]["alerts"] == ["new_instance"] and rows[1]["alerts"] == []
    assert rows[0]["mentions"] == 1 and rows[0]["start"] == date(2024, 7, 24)


GAZETTEER_V1 = """
version: 1
series:
- id: joint-sea
  name: Joint Sea
  kind: exercise
  participants: [CN, RU]
  aliases: {en: [Joint Sea]}
  instances:
  - {id: joint-sea-2024, name: Joint Sea-2024, year: 2024, start: 2024-07-14, end: 2024-07-17}
"""
GAZETTEER_V2 = GAZETTEER_V1 + """
- id: north-shield
  name: North Shield
  kind: exercise
  participants: [CN, RU]
  aliases: {en: [North Shield, Northern Shield]}
  instances:
  - {id: north-shield-2026, name: North Shield-2026, year: 2026, start: 2026-12-01, end: 2026-12-08,
     places: [Sea of Japan], participants: [CN, RU]}
"""


def gazetteer_from(tmp_path, name: str, text: str):
    from config.gazetteer import load_gazetteer

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_gazetteer(path)


def merge_with(engine, gazetteer):
    from crawler.pipelines.exercises import gazetteer_facts
    from crawler.text.exercises import resolve_discovered

    with session_scope(engine) as session:
        return merge_discovered(session, lambda name, year: resolve_discovered(name, year, gazetteer),
                                lambda key: gazetteer_facts(gazetteer, key))


def test_discovered_exercise_is_merged_when_the_gazetteer_gains_it(engine, tmp_path):
    now = datetime(2026, 11, 2, tzinfo=UTC)
    first = add_article(engine, 1, datetime(2026, 11, 1, tzinfo=UTC))
    discovered = MentionData(exercise="northern-shield-2026", name="Northern Shield-2026", kind="discovered",
                             known=False, year=2026, participants=["CN", "RU"],
                             sentence='China and Russia will hold a naval exercise dubbed "Northern Shield-2026".')
    record(engine, first, [discovered], now)
    assert alerts(engine) == [("northern-shield-2026", "new_instance", "New exercise reported: Northern Shield-2026")]

    assert merge_with(engine, gazetteer_from(tmp_path, "v1.yaml", GAZETTEER_V1)) == []  # not known yet
    assert merge_with(engine, gazetteer_from(tmp_path, "v2.yaml", GAZETTEER_V2)) == [
        ("northern-shield-2026", "north-shield-2026")]

    known = instance(engine, "north-shield-2026")
    assert (known.known, known.name, known.start_date, known.mention_count) == (
        True, "North Shield-2026", date(2026, 12, 1), 1)
    assert (known.first_outlet, known.first_article_id) == ("tass", first)
    old = instance(engine, "northern-shield-2026")
    assert (old.merged_into_id, old.mention_count) == (known.id, 0)
    assert alerts(engine) == [("north-shield-2026", "new_instance", "New exercise reported: Northern Shield-2026")]

    # Later reports name it as the gazetteer does, or (a stale detector) by the old slug: no second alert.
    second, third = (add_article(engine, n, datetime(2026, 11, n, tzinfo=UTC)) for n in (2, 3))
    record(engine, second, [MentionData(exercise="north-shield-2026", name="North Shield-2026", kind="named",
                                        known=True, year=2026, sentence="North Shield-2026 will open on Dec. 1.")], now)
    record(engine, third, [discovered], now)
    assert len(alerts(engine)) == 1
    assert instance(engine, "north-shield-2026").mention_count == 3
    with session_scope(engine) as session:
        assert [row["exercise"] for row in timeline(session)] == ["north-shield-2026"]
    assert merge_with(engine, gazetteer_from(tmp_path, "v2.yaml", GAZETTEER_V2)) == []  # done once


def test_gazetteer_entry_under_the_slug_the_news_used_makes_it_known(engine, tmp_path):
    now = datetime(2026, 11, 2, tzinfo=UTC)
    article = add_article(engine, 1, datetime(2026, 11, 1, tzinfo=UTC))
    record(engine, article, [MentionData(exercise="north-shield-2026", name="North Shield-2026", kind="discovered",
                                         sentence="They call it North Shield-2026.", year=2026)], now)
    assert merge_with(engine, gazetteer_from(tmp_path, "v2.yaml", GAZETTEER_V2)) == [
        ("north-shield-2026", "north-shield-2026")]
    known = instance(engine, "north-shield-2026")
    assert (known.known, known.kind, known.merged_into_id, known.places) == (True, "named", None, ["Sea of Japan"])
    assert len(alerts(engine)) == 1


def test_a_known_instance_takes_the_gazetteers_facts_over_one_articles(engine):
    article = add_article(engine, 1, datetime(2022, 8, 17, tzinfo=UTC))
    announced = mention("Vostok exercises would run from August 30 to September 5.", start=date(2022, 8, 30),
                        end=date(2022, 9, 5), name="Vostok")
    facts = {"name": "Vostok-2022", "series": "vostok", "year": 2022, "start": date(2022, 9, 1), "end": date(2022, 9, 7),
             "places": ["Russian Far East"], "participants": ["RU", "CN", "IN"]}
    with session_scope(engine) as session:
        record_mentions(session, article, [announced], now=datetime(2022, 8, 18, tzinfo=UTC),
                        describe=lambda key: facts if key == "vostok-2022" else None)
    vostok = instance(engine, "vostok-2022")
    assert (vostok.name, vostok.start_date, vostok.end_date) == ("Vostok-2022", date(2022, 9, 1), date(2022, 9, 7))
    assert alerts(engine) == [("vostok-2022", "new_instance", "New exercise reported: Vostok-2022")]
