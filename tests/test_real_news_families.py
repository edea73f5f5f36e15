"""Failure families seen on real news (issue 11), each pinned by a short text of our own writing
modelled on what real articles did: Traditional Chinese, SCO multilateral drills, Vostok written
around Russia, an unnamed drill inside a named exercise, coast-guard patrols, editions of one year,
fleet names that are not exercises, undated archive texts."""
from __future__ import annotations

import json
from datetime import date

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
