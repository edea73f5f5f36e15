"""Failure families seen on real news (issue 11), each pinned by a short text of our own writing
modelled on what real articles did: Traditional Chinese, SCO multilateral drills, Vostok written
around Russia, an unnamed drill inside a named exercise, coast-guard patrols, editions of one year,
fleet names that are not exercises, undated archive texts."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from config.gazetteer import load_gazetteer
from crawler.text.analyse import analyse_text
from crawler.text.exercises import detect_mentions
from crawler.text.relevance import score_relevance
from tests.conftest import run_drillwatch

NO_DB = "sqlite:////nonexistent-dir/never.db"  # detect needs no database


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def keys(text, published, gazetteer, title=""):
    return {m.exercise for m in detect_mentions(text, published, gazetteer, title)}


# --- Traditional Chinese ------------------------------------------------------------------------

TRADITIONAL = [
    ("", "中國與俄羅斯兩國軍隊週三在內蒙古舉行聯合軍演，解放軍與俄軍共出動兵力約兩千人。"),
    ("解放軍艦艇赴俄參加聯合演習", "中國海軍艦艇編隊抵達符拉迪沃斯托克，將與俄羅斯海軍舉行聯合軍事演習。"),
]


@pytest.mark.parametrize("title, text", TRADITIONAL)
def test_traditional_chinese_is_read_like_simplified(gazetteer, title, text):
    assert score_relevance(text, title).relevant
    assert score_relevance(text, title, gazetteer=gazetteer).relevant


def test_traditional_chinese_drill_is_detected_and_keeps_its_script(gazetteer):
    text = "中國與俄羅斯兩國軍隊週三在內蒙古舉行聯合軍演，解放軍與俄軍共出動兵力約兩千人。"
    mention, = detect_mentions(text, date(2024, 7, 25), gazetteer)
    assert (mention.exercise, mention.date) == ("joint-drill-2024-07", date(2024, 7, 24))
    assert mention.sentence == text  # shown as written, not converted


# --- relevance and detection agree --------------------------------------------------------------

SCO_TEXT = ("Some 3,000 servicemen from the member states of the Shanghai Cooperation Organisation started the "
            "Peace Mission exercise at Chebarkul on Wednesday. Kazakhstan and Kyrgyzstan sent small companies; "
            "India and Pakistan took part for the first time.")
VOSTOK_TEXT = ("Russian forces staged mass drills in Siberia on Thursday, the third day of the Vostok exercises. "
               "Chinese troops took part alongside Mongolian units, the defence ministry said.")


@pytest.mark.parametrize("title, text, published, key", [
    ("Peace Mission drill opens in the Urals", SCO_TEXT, date(2018, 8, 22), "peace-mission-2018"),
    ("Russia flexes muscle in Far East war games", VOSTOK_TEXT, date(2018, 9, 13), "vostok-2018"),
])
def test_an_article_with_an_exercise_mention_is_kept_and_the_disagreement_said(gazetteer, title, text, published, key):
    relevance, mentions = analyse_text(text, title, published, gazetteer)
    assert key in {m.exercise for m in mentions}
    assert relevance.relevant and relevance.score >= 0.5
    assert key in relevance.disagreement and "kept" in relevance.disagreement


def test_detect_json_says_when_relevance_and_detection_disagree(tmp_path):
    path = tmp_path / "sco.txt"
    path.write_text(SCO_TEXT, encoding="utf-8")
    result = json.loads(run_drillwatch("detect", str(path), "--published", "2018-08-22", "--json", db=NO_DB).stdout)
    assert result["relevant"] and "peace-mission-2018" in result["disagreement"]
    agreed = tmp_path / "agreed.txt"
    agreed.write_text("China and Russia began the Joint Sea-2021 naval drills in the Sea of Japan on Thursday.",
                      encoding="utf-8")
    result = json.loads(run_drillwatch("detect", str(agreed), "--published", "2021-10-14", "--json", db=NO_DB).stdout)
    assert result["relevant"] and result["disagreement"] is None


# --- one instance per real event -----------------------------------------------------------------

@pytest.mark.parametrize("text, published", [
    ("Chinese and Russian coast guard ships held their first joint patrol in the Arctic Ocean, the China Coast "
     "Guard said on Wednesday. The joint patrol by the two countries' ships covered 4,000 nautical miles.",
     date(2026, 10, 2)),
    ("Coast guard vessels from China and Russia are conducting a joint maritime patrol in the Sea of Japan, "
     "the Chinese coast guard said.", date(2026, 9, 26)),
])
def test_a_coast_guard_patrol_is_one_patrol_not_also_a_naval_one(gazetteer, text, published):
    assert keys(text, published, gazetteer) == {"coast-guard-joint-patrol-2026-09"}


def test_a_navy_patrol_in_a_coast_guard_story_stays_naval(gazetteer):
    text = ("Chinese and Russian coast guard ships began a joint patrol on Friday. Separately, Chinese and Russian "
            "warships sailed on a joint naval patrol in the western Pacific.")
    assert keys(text, date(2026, 9, 26), gazetteer) == {"coast-guard-joint-patrol-2026-09",
                                                        "joint-naval-patrol-2026-09"}


@pytest.mark.parametrize("text, published, key", [
    ("Корабли ВМФ России и ВМС НОАК завершили учения «Морское взаимодействие - 2015» в Японском море.",
     date(2015, 8, 28), "joint-sea-2015-ii"),
    ("Chinese and Russian warships held the Joint Sea 2017 drills in the Sea of Okhotsk.", date(2017, 7, 30),
     "joint-sea-2017-ii"),
    ("Chinese and Russian warships held the Joint Sea 2017 drills near Vladivostok.", None, "joint-sea-2017-ii"),
    ("The Joint Sea-2015 exercise in the Mediterranean ended on Thursday.", date(2015, 8, 10), "joint-sea-2015-i"),
])
def test_editions_of_one_year_resolve_by_place_then_date(gazetteer, text, published, key):
    assert keys(text, published, gazetteer) == {key}


def test_a_patrol_alias_without_a_year_is_not_an_edition_of_another_year(gazetteer):
    text = "Chinese and Russian coast guard ships held their first joint patrol in the Arctic on Wednesday."
    assert "coast-guard-joint-patrol-2024-09" not in keys(text, date(2027, 10, 2), gazetteer)


# --- discovery ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    'The Russian Pacific Fleet and the Chinese navy held joint drills dubbed "Pacific Fleet" on Tuesday.',
    "中俄两国海军周二在日本海举行联合演习，“人民海军”舰艇编队参加演习。",
])
def test_a_service_or_fleet_name_is_never_discovered_as_an_exercise(gazetteer, text):
    assert all(m.kind != "discovered" for m in detect_mentions(text, date(2026, 4, 23), gazetteer))


# --- dates and alerts in storage ------------------------------------------------------------------

def _article(engine, n, published, text="An article about joint drills."):
    from storage.articles import ArticleData, store_article
    from storage.db import session_scope

    data = ArticleData(outlet="wire", url=f"https://wire.example/a/{n}", canonical_url=f"https://wire.example/a/{n}",
                       title=f"Article {n}", text=text, content_hash=f"h{n}", published_at=published,
                       relevant=True, relevance_score=0.9)
    with session_scope(engine) as session:
        return store_article(session, data).article_id


def _record(engine, article_id, mentions, now):
    from storage.db import session_scope
    from storage.exercises import record_mentions

    with session_scope(engine) as session:
        return [(a.details["exercise"], a.reason) for a in record_mentions(session, article_id, mentions, now=now).alerts]


def test_an_undated_archive_text_is_read_in_its_own_time_never_the_crawls(engine, gazetteer):
    from crawler.pipelines.exercises import to_mention_data
    from storage.db import session_scope
    from storage.exercises import record_mentions

    crawled = datetime(2026, 12, 7, 10, tzinfo=timezone.utc)
    text = ("Chinese and Russian troops began a joint drill on Wednesday near Vladivostok. The drills, code-named "
            "Border Dawn, opened with an artillery strike.")
    mentions = detect_mentions(text, None, gazetteer)
    assert mentions and all(m.date is None and m.year is None and not m.starting for m in mentions)
    assert _record(engine, _article(engine, 1, None, text), [to_mention_data(m) for m in mentions], crawled) == []
    dated = detect_mentions("China and Russia began the Border Dawn-2005 drills on August 18, 2005.", None, gazetteer)
    assert [(m.exercise, m.date) for m in dated] == [("border-dawn-2005", date(2005, 8, 18))]
    with session_scope(engine) as session:
        alert, = record_mentions(session, _article(engine, 2, None), [to_mention_data(m) for m in dated],
                                 now=crawled).alerts
        assert alert.historical and alert.details["exercise"] == "border-dawn-2005"
        assert "undated, its text dated to 2005-08-18" in alert.details["why"]


def test_an_unnamed_drill_inside_a_stored_exercise_is_that_exercise(engine):
    from storage.exercises import MentionData

    named = MentionData(exercise="border-dawn-2026", name="Border Dawn-2026", kind="discovered", year=2026,
                        sentence="China and Russia opened the Border Dawn-2026 drills on Monday.",
                        date=date(2026, 8, 10), start=date(2026, 8, 10), end=date(2026, 8, 16),
                        participants=["CN", "RU"])
    drill = MentionData(exercise="joint-drill-2026-08", name="China–Russia joint drill (2026-08)", kind="drill",
                        year=2026, sentence="Chinese and Russian troops held a joint drill near Chita on Wednesday.",
                        date=date(2026, 8, 12), start=date(2026, 8, 12), end=date(2026, 8, 12))
    now = datetime(2026, 8, 13, tzinfo=timezone.utc)
    assert _record(engine, _article(engine, 1, datetime(2026, 8, 10, tzinfo=timezone.utc)), [named], now) == [
        ("border-dawn-2026", "new_instance")]
    assert _record(engine, _article(engine, 2, datetime(2026, 8, 12, tzinfo=timezone.utc)), [drill], now) == []
    later = MentionData(**{**drill.__dict__, "exercise": "joint-drill-2026-10", "date": date(2026, 10, 1),
                           "start": date(2026, 10, 1), "end": date(2026, 10, 1)})
    assert _record(engine, _article(engine, 3, datetime(2026, 10, 1, tzinfo=timezone.utc)), [later], now) == [
        ("joint-drill-2026-10", "new_instance")]


def test_alerts_show_the_sentence_and_why_it_was_judged_new(sqlite_url):
    from storage.db import init_db, make_engine
    from storage.exercises import MentionData

    engine = make_engine(sqlite_url)
    init_db(engine)

    sentence = "Chinese and Russian bombers flew a joint air patrol over the Sea of Japan on Tuesday."
    patrol = MentionData(exercise="joint-strategic-air-patrol-2026-03", name="Joint Strategic Air Patrol (2026-03)",
                         kind="patrol", year=2026, sentence=sentence, date=date(2026, 3, 3), start=date(2026, 3, 3),
                         end=date(2026, 3, 3))
    _record(engine, _article(engine, 1, datetime(2026, 3, 4, tzinfo=timezone.utc)), [patrol],
            datetime(2026, 3, 4, 6, tzinfo=timezone.utc))
    [alert] = json.loads(run_drillwatch("alerts", "--json", db=sqlite_url).stdout)
    assert alert["sentence"] == sentence
    assert alert["why"] == ("joint-strategic-air-patrol-2026-03 (not in the gazetteer (patrol)): no earlier article "
                            "mentions it; dated 2026-03-03, from a month before to a year after the article "
                            "published 2026-03-04")
    table = run_drillwatch("alerts", db=sqlite_url, env={"COLUMNS": "400"}).stdout
    assert "no earlier article mentions it" in table and "Sea of Japan on Tuesday" in table


# --- more families met on the tuning split of the real-news set --------------------------------------

def test_a_russian_date_with_its_year_dates_an_undated_page(gazetteer):
    text = ("5 марта 2021 года бомбардировщики Китая и России провели совместное воздушное патрулирование "
            "над Японским морем.")
    mention, = detect_mentions(text, None, gazetteer)
    assert (mention.exercise, mention.date) == ("joint-strategic-air-patrol-2021-03", date(2021, 3, 5))


@pytest.mark.parametrize("text, key", [
    ("Chinese and Russian frigates joined the drill, known as 'Steppe Shield 2026', off the coast on Monday.",
     "steppe-shield-2026"),
])
def test_a_name_introduced_by_known_as_is_discovered(gazetteer, text, key):
    assert keys(text, date(2026, 3, 3), gazetteer) == {key}


@pytest.mark.parametrize("text", [
    "The eight members taking part in this exercise named Kazakhstan, China, Kyrgyzstan, Russia and Tajikistan "
    "began drills on Monday.",
    'Chinese and Russian ships began a joint exercise: the destroyer "Thunderous" drills with two Chinese frigates.',
    "俄罗斯军舰“雷鸣号”周一参加了中俄在日本海举行的联合演习。",
])
def test_member_lists_and_ship_names_are_not_code_names(gazetteer, text):
    assert all(m.kind != "discovered" for m in detect_mentions(text, date(2026, 3, 3), gazetteer))


def test_a_series_since_a_year_is_background_not_that_years_edition(gazetteer):
    text = "自2012年以来，中俄“海上联合”系列演习已成功举办10次，成为两国海军合作的重要平台。"
    assert keys(text, date(2025, 8, 1), gazetteer) == set()


def test_a_drill_dated_only_by_its_tense_is_the_one_exercise_the_article_names(gazetteer):
    text = ("Военные из Китая примут участие в учениях «Восток-2022». "
            "Китайские военнослужащие будут проходить учения вместе с российскими военными.")
    assert keys(text, date(2022, 8, 17), gazetteer) == {"vostok-2022"}


def test_editions_listed_after_a_series_name_are_each_found(gazetteer):
    text = "China and Russia took part in the Peace Mission exercises in 2010, 2012 and 2014, among others."
    assert keys(text, date(2018, 6, 5), gazetteer) >= {"peace-mission-2010", "peace-mission-2012", "peace-mission-2014"}


def test_plural_habits_are_not_a_patrol_of_last_week(gazetteer):
    text = ("Japan's minister pointed to growing cooperation between Russia and China, shown by joint bomber flights "
            "and at-sea exercises.")
    assert keys(text, date(2023, 7, 20), gazetteer) == set()


@pytest.mark.parametrize("text, key", [
    ("The “Steppe Shield,” as the event is codenamed, will last until Monday, Chinese and Russian officers said.",
     "steppe-shield-2026"),
    ("The joint naval drills of China, Russia and South Africa, named as Exercise Cape Wind II, began on Friday.",
     "cape-wind-ii-2026"),
])
def test_names_introduced_after_or_with_exercise_are_discovered(gazetteer, text, key):
    assert key in keys(text, date(2026, 2, 17), gazetteer)


def test_a_ship_named_in_a_drill_story_is_not_an_exercise(gazetteer):
    text = ("Russia will join the drill with China with a Steregushchiy class named “Stoyky” and a tugboat named "
            "“Viktor Konetsky”, the spokesman said.")
    assert all(m.kind != "discovered" for m in detect_mentions(text, date(2026, 2, 17), gazetteer))


def test_a_series_history_by_year_and_place_names_each_edition(gazetteer):
    text = ("China and Russia will open the Joint Sea-2016 drill off Zhanjiang on Monday. "
            "The drills were held in 2012 in the Yellow Sea and in the East China Sea in 2014. "
            "In 2015 the drill had two phases, in the Mediterranean in May and off Vladivostok in August.")
    assert keys(text, date(2016, 9, 11), gazetteer) == {"joint-sea-2016", "joint-sea-2012", "joint-sea-2014",
                                                         "joint-sea-2015-i", "joint-sea-2015-ii"}


def test_patrols_of_others_in_a_drill_story_are_no_joint_patrol(gazetteer):
    text = ("Iran, Russia and China began a joint naval drill on Friday. The joint drill comes amid US efforts to "
            "rally countries into a maritime coalition for patrols in the Gulf.")
    assert not any(m.kind == "patrol" for m in detect_mentions(text, date(2026, 12, 27), gazetteer))


def test_a_misspelt_edition_of_a_reused_series_name_with_china_taking_part(gazetteer):
    text = "Chinese troops will take part in the Caucus 2020 strategic exercise in southern Russia, Beijing said."
    assert keys(text, date(2020, 9, 15), gazetteer) == {"kavkaz-2020"}


def test_an_undated_page_reads_its_dates_in_the_year_of_the_exercise_it_names(gazetteer):
    text = ("China and Russia hold the Joint Sea 2017 drills in the Baltic Sea. The drills began on Saturday and "
            "will last until July 28. Last year, the two navies held the drills in the South China Sea.")
    mentions = detect_mentions(text, None, gazetteer)
    assert {m.exercise for m in mentions} == {"joint-sea-2017-i", "joint-sea-2016"}
    assert not any(m.starting for m in mentions)  # "began on Saturday": no "now" to be under way at


def test_history_sentences_with_a_region_name_or_only_last_year(gazetteer):
    text = ("China and Russia will open the Joint Sea-2016 drill off Zhanjiang on Monday. "
            "The drills were held in 2012 in the Yellow Sea and off Russia's Far East in 2013. "
            "Last year, the two navies held the drills in the Mediterranean and the Sea of Japan.")
    assert keys(text, date(2016, 9, 11), gazetteer) == {"joint-sea-2016", "joint-sea-2012", "joint-sea-2013",
                                                         "joint-sea-2015-i", "joint-sea-2015-ii"}


def test_a_capitalised_exercise_name_is_discovered_only_for_china_russia_or_their_partners(gazetteer):
    text = ("Chinese, Russian and South African navy officers met in Durban on Friday. "
            "Russia sent a frigate to Exercise Cape Wind II, its navy said. "
            "The South African navy will also hold Exercise Blue Reef with the German navy in April.")
    assert keys(text, date(2026, 2, 20), gazetteer) == {"cape-wind-ii-2026"}


def test_a_dot_inside_a_quoted_russian_name_does_not_end_the_sentence(gazetteer):
    text = "Корабли Китая и России начали учения «Север. Взаимодействие-2023» в Японском море."
    mention, = detect_mentions(text, date(2023, 7, 20), gazetteer)
    assert (mention.exercise, mention.sentence) == ("northern-interaction-2023", text)


def test_the_year_of_a_name_does_not_date_a_past_statement_after_the_article(gazetteer):
    text = "24 августа министр обороны анонсировал учения «Мирная миссия-2023» в Челябинской области."
    mentions = detect_mentions(text, date(2022, 12, 13), gazetteer)
    assert [m.exercise for m in mentions] == ["peace-mission-2023"]
    assert all(m.date is None or m.date <= date(2022, 12, 13) for m in mentions)


def test_a_russian_history_line_names_the_edition_of_that_year(gazetteer):
    text = ("В 2018 году пройдут учения «Мирная миссия-2018». "
            "Последние маневры проводились в 2016 году в Киргизии около озера Иссык-Куль.")
    assert keys(text, None, gazetteer) == {"peace-mission-2018", "peace-mission-2016"}


def test_coast_guard_drills_and_the_end_of_the_patrol_are_the_known_patrol(gazetteer):
    text = ("中国海警与俄罗斯边防局海岸警卫队9月21日转入联合巡航阶段，巡航北太平洋。"
            "其间，双方还共同完成了联合搜救演练。"
            "10月17日，中国海警舰艇编队圆满完成中俄海警联合巡航，顺利返港。")
    assert keys(text, date(2024, 10, 18), gazetteer) == {"coast-guard-joint-patrol-2024-09"}


@pytest.mark.parametrize("text", [
    "During the exercise the two navies will practise anti-submarine warfare with patrol aircraft and destroyers.",
    'Chinese and Russian ships opened the "Maritime United-20121" exercise in the Sea of Japan on Thursday.',
])
def test_patrol_aircraft_and_garbled_names_are_no_new_instance(gazetteer, text):
    title = "China-Russia Joint Sea-2021 naval exercise kicks off"
    assert keys(text, date(2021, 10, 15), gazetteer, title) == {"joint-sea-2021"}


def test_a_patrol_year_in_a_series_article_is_not_an_edition_of_the_series(gazetteer):
    text = ("China and Russia opened the Joint Sea-2021 drills on Thursday. "
            "In 2019 the two air forces flew their first joint air patrol, and more drills followed.")
    assert "joint-sea-2019" not in keys(text, date(2021, 10, 15), gazetteer)


# --- second round: rules narrowed to what the text supports -------------------------------------

@pytest.mark.parametrize("history, not_an_edition", [
    ("In 2016, the two navies held a submarine rescue drill in the Baltic Sea.", "joint-sea-2016"),
    ("In 2014, Chinese and Russian troops held an anti-terror drill in Xinjiang.", "joint-sea-2014"),
])
def test_a_history_year_with_a_place_far_from_the_edition_is_another_event(gazetteer, history, not_an_edition):
    text = "China and Russia began the Joint Sea-2017 drill in the Baltic Sea on Tuesday. " + history
    assert keys(text, date(2017, 7, 25), gazetteer) == {"joint-sea-2017-i"}


def test_a_name_defined_by_its_apposition_is_discovered(gazetteer):
    text = ("For Cape Wind III, the naval exercise between South Africa, Russia and China, two frigates sailed from "
            "Durban on Friday. Admiral Petrov, the spokesman for the drill, said it would last a week.")
    assert keys(text, date(2026, 2, 20), gazetteer) == {"cape-wind-iii-2026"}


def test_another_edition_of_a_name_the_article_introduced_is_that_exercise(gazetteer):
    text = ("Chinese, Russian and South African warships began the exercise “Cape Wind II” off Durban on Friday. "
            "Brazil, which joined Cape Wind I in 2022, stayed away this time. "
            "The first ‘Cape Wind’ deployment sailed around the Cape of Good Hope in November 2022. "
            "The name ‘Cape Wind’ was chosen by the hosts.")
    assert keys(text, date(2026, 2, 20), gazetteer) == {"cape-wind-ii-2026", "cape-wind-i-2022", "cape-wind-2022"}


def test_an_exercise_of_another_country_that_china_only_observes_is_not_discovered(gazetteer):
    text = ("Chinese and Russian warships held joint drills in the Sea of Japan on Monday. "
            "Last month China sent observers to Exercise Golden Reef in Thailand.")
    assert keys(text, date(2021, 10, 18), gazetteer) == {"joint-sea-2021"}


@pytest.mark.parametrize("earlier", [
    "Chinese and Russian warships held a joint naval patrol last autumn.",
    "Chinese and Russian warships previously held a joint naval patrol in the Pacific.",
    "此前，中俄海军舰艇进行了联合海上巡航。",
])
def test_a_patrol_set_further_back_is_not_one_of_this_week(gazetteer, earlier):
    text = "Chinese and Russian bombers flew a joint patrol over the Sea of Japan on Tuesday. " + earlier
    assert not any(m.exercise.endswith("-2022-05") and "naval" in m.exercise
                   for m in detect_mentions(text, date(2022, 5, 24), gazetteer))


def test_history_places_are_compared_on_the_shipped_geography_whatever_the_config(gazetteer, monkeypatch, tmp_path):
    from crawler.text import exercises
    monkeypatch.setenv("DRILLWATCH_CONFIG", str(tmp_path / "no-such-dir"))
    exercises._coordinates.cache_clear()
    exercises.near.cache_clear()
    try:
        text = ("China and Russia began the Joint Sea-2017 drill in the Baltic Sea on Tuesday. "
                "In 2014, Chinese and Russian troops held an anti-terror drill in Xinjiang.")
        assert keys(text, date(2017, 7, 25), gazetteer) == {"joint-sea-2017-i"}
    finally:
        exercises._coordinates.cache_clear()
        exercises.near.cache_clear()


# --- round 3 ------------------------------------------------------------------------------------

def test_a_garbled_chinese_copy_is_read_as_what_it_copies(gazetteer):
    # rare variant characters swapped in (聯郃 for 聯合, 縯習 for 演習), and pinyin leaked after characters
    swapped = "中俄“海上聯郃-2031”縯習於7月3日在青島附近海域擧行，雙方蓡縯艦艇十艘。"
    assert keys(swapped, date(2031, 7, 2), gazetteer) == {"joint-sea-2031"}
    leaked = "據(jù)報道，中俄海警艦艇編隊在北太平洋執(zhí)行聯(lián)合巡航任務。"
    assert keys(leaked, date(2031, 9, 25), gazetteer) == {"coast-guard-joint-patrol-2031-09"}


def test_lianxun_is_a_joint_patrol(gazetteer):
    text = "日前，中俄两国海警舰艇编队在日本海执行联演联巡任务。"
    assert keys(text, date(2031, 9, 25), gazetteer) == {"coast-guard-joint-patrol-2031-09"}


def test_a_future_drill_dated_on_its_articles_day_is_the_exercise_the_article_names(gazetteer):
    title = "Chinese troops to join the Vostok-2022 exercise"
    text = ("BEIJING, Aug 17 - Chinese soldiers will drill together with Russians and Belarusians, the defence "
            "ministry said.")
    assert keys(text, date(2022, 8, 17), gazetteer, title) == {"vostok-2022"}  # not a drill of 17 August


def test_the_first_patrol_with_its_year_is_one_event_whatever_habit_follows(gazetteer):
    text = ("Russian and Chinese warships ended their joint patrol in the Pacific on Monday. The first joint "
            "patrol in the Asia-Pacific took place in 2021 and has been held annually since.")
    found = keys(text, date(2031, 8, 25), gazetteer)
    assert "joint-naval-patrol-2021-10" in found
    assert "joint-naval-patrol-2031-08" in found  # the patrol of the news keeps its own month


def test_until_monday_is_the_monday_ahead(gazetteer):
    text = ("Iran, Russia and China began a four-day joint naval exercise in the Gulf of Oman on Friday. The "
            "“Harbour Lock,” as the event is codenamed, will last until Monday.")
    mentions = detect_mentions(text, date(2031, 12, 26), gazetteer)  # a Friday
    assert {m.exercise for m in mentions} == {"harbour-lock-2031"}  # the drill begun on Friday is that one
    assert {m.date for m in mentions if m.kind == "discovered"} == {date(2031, 12, 29)}


def test_an_undated_yearless_page_names_the_one_edition_its_days_fit(gazetteer):
    # Peace Mission 2013 ran from 27 July to 15 August at Chebarkul; no other edition starts then
    text = ("Russian and Chinese troops hold the Peace Mission exercise in the Urals. The drills run from "
            "27 July to 15 August at the Chebarkul range.")
    assert keys(text, None, gazetteer) == {"peace-mission-2013"}
    # a day two editions could hold names none
    assert keys("The Peace Mission exercise of China and Russia opened on 22 August.", None, gazetteer) == set()
    # the one coast-guard patrol of the gazetteer that a yearless day fits
    text = "9月21日起，中俄海警舰艇编队展开北太平洋联合巡航。"
    assert keys(text, None, gazetteer) == {"coast-guard-joint-patrol-2024-09"}


def test_the_following_year_of_a_series_history_is_the_next_edition(gazetteer):
    text = ("China and Russia held Joint Sea-2012 in the Yellow Sea in April 2012. The following year, the two "
            "navies held the exercises in the Sea of Japan.")
    assert keys(text, None, gazetteer) == {"joint-sea-2012", "joint-sea-2013"}


def test_last_year_dates_the_days_a_sentence_writes_without_a_year():
    from crawler.text.reldates import DateContext, resolve_period

    period = resolve_period("Last year, the drills took place from March 11 to 15.", DateContext(date(2031, 12, 20)))
    assert (period.start, period.end) == (date(2030, 3, 11), date(2030, 3, 15))


def test_an_undated_page_reads_its_history_in_the_year_of_the_code_name_it_introduces(gazetteer):
    text = ("China, Russia and Iran will hold the naval exercise \"Harbour Lock-2031\" near Chabahar this month. "
            "Last year, the exercises took place from March 11 to 15 off the same port.")
    found = {m.exercise: m for m in detect_mentions(text, None, gazetteer)}
    assert set(found) == {"harbour-lock-2031", "harbour-lock-2030"}
    assert found["harbour-lock-2030"].start == date(2030, 3, 11)
    # only "the exercises took place/were held": not any sentence about the exercise
    text = ("China, Russia and Iran will hold the naval exercise \"Harbour Lock-2031\" near Chabahar. Details of "
            "the exercise were not given last year.")
    assert keys(text, None, gazetteer) == {"harbour-lock-2031"}


def test_a_series_name_without_a_year_is_the_edition_the_article_writes_with_one(gazetteer):
    text = ("Harbour Lock-2031 will include search and rescue, the ministry said. The drill is the third in what "
            "is known as the 'Maritime Harbour Lock' exercise series of China, Russia and Iran.")
    assert keys(text, None, gazetteer) == {"harbour-lock-2031"}


@pytest.mark.parametrize("text, key", [
    ("Iran, Russia and China launched Harbour Lock 2031 in the Gulf of Oman on Monday. The drills last five days.",
     "harbour-lock-2031"),
    ("Chinese and Russian marines took part in Coastal Shield-2031, which ended on Friday. The exercise was the "
     "largest yet.", "coastal-shield-2031"),
    ("The navies of China, Russia and South Africa held the Mosi III exercise off Richards Bay.", "mosi-iii-2031"),
])
def test_a_code_name_held_or_numbered_is_discovered_without_quotes(gazetteer, text, key):
    assert key in keys(text, date(2031, 3, 12), gazetteer)


def test_a_name_with_a_year_after_held_is_no_exercise_in_a_story_without_exercises(gazetteer):
    text = "China and Russia held Eurasia 2031 in Kazan on Monday, with trade deals signed by both."
    assert keys(text, date(2031, 3, 12), gazetteer) == set()


def test_the_words_after_a_chinese_code_name_describe_it_and_name_no_series(gazetteer):
    text = "中俄伊三国海军举行“安全纽带-2031”海上联合演习。"
    assert keys(text, date(2031, 3, 12), gazetteer) == {"安全纽带-2031"}


@pytest.mark.parametrize("text", [
    "China and Russia oppose the US-South Korea Freedom Shield 2031 exercise, their foreign ministries said on Monday.",
    "Japanese and US forces launched Keen Sword 2031 on Monday, a drill aimed at China and Russia.",
])
def test_an_exercise_china_and_russia_criticise_or_are_targeted_by_is_not_theirs(gazetteer, text):
    assert keys(text, date(2031, 9, 12), gazetteer) == set()


def test_japan_protesting_a_joint_patrol_leaves_the_patrol(gazetteer):
    text = "Japan protested after Chinese and Russian bombers flew a joint patrol near its airspace on Tuesday."
    assert keys(text, date(2031, 9, 12), gazetteer) == {"joint-strategic-air-patrol-2031-09"}


def test_a_drill_the_sentence_denies_is_no_drill(gazetteer):
    text = "Chinese warships visited Vladivostok on Monday for Russia's Navy Day parade; no joint drill is planned."
    assert keys(text, date(2031, 7, 28), gazetteer) == set()


def test_china_sending_no_troops_is_not_china_taking_part(gazetteer):
    text = "Russian and Belarusian troops started the Zapad-2031 strategic exercise on Monday. China sent no troops."
    assert keys(text, date(2031, 9, 12), gazetteer) == set()


def test_a_drill_dated_only_by_when_it_was_planned_is_the_exercise_not_a_drill_of_that_month(gazetteer):
    text = ("China and Russia held the Peace Mission 2007 exercise in August 2007. The holding of the drills was "
            "planned in April 2006, when Chinese and Russian defence ministers met in Beijing.")
    assert keys(text, None, gazetteer) == {"peace-mission-2007"}


def test_no_joint_air_patrol_before_the_first_one(gazetteer):
    # the first joint strategic air patrol flew in July 2019: a page dated 2016 (by its template) reports another
    text = "Chinese and Russian bombers flew a joint patrol over the Sea of Japan on Tuesday."
    assert keys(text, date(2016, 11, 26), gazetteer) == set()
    assert keys(text, date(2031, 11, 26), gazetteer) == {"joint-strategic-air-patrol-2031-11"}


def test_an_undated_page_is_read_against_its_own_time_stamp(gazetteer):
    text = ("Replay | China's defence ministry said yesterday that Chinese and Russian bombers flew a joint patrol "
            "over the Bering Sea on Thursday.\nChina 2031-07-26 11:01 HKT Read more")
    assert keys(text, None, gazetteer) == {"joint-strategic-air-patrol-2031-07"}


def test_a_since_year_does_not_date_the_sentence(gazetteer):
    text = "MOSCOW, Sept 3 - Chinese troops joined Russia's Vostok exercises on Monday, the largest since 1981."
    assert keys(text, date(2031, 9, 4), gazetteer) == {"vostok-2031"}


def test_last_year_in_a_series_story_names_the_editions_of_last_year(gazetteer):
    text = ("The Joint Sea-2016 drills opened in the South China Sea on Monday. Last year, the two navies held the "
            "exercise twice, in the Mediterranean and in the Sea of Japan.")
    assert keys(text, date(2016, 9, 13), gazetteer) == {"joint-sea-2016", "joint-sea-2015-i", "joint-sea-2015-ii"}
