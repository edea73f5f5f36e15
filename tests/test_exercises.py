"""Exercise-mention detection: named editions in three languages, patrols and drills dated from relative
dates, exercises nobody catalogued yet, and the traps. Sentences here are not in the bench's labelled sets."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from config.gazetteer import load_gazetteer
from crawler.text.exercises import detect_mentions, resolve_discovered
from crawler.text.reldates import DateContext, find_periods, resolve_period

THU_25_JUL_2024 = date(2024, 7, 25)


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def keys(text: str, published, gazetteer, title: str = "") -> set[str]:
    return {m.exercise for m in detect_mentions(text, published, gazetteer, title)}


# --- relative dates ---------------------------------------------------------------------------

@pytest.mark.parametrize("sentence, future, start, end", [
    ("the defence ministry said Thursday", False, date(2024, 7, 25), date(2024, 7, 25)),
    ("intercepted two bombers on Wednesday", False, date(2024, 7, 24), date(2024, 7, 24)),
    ("drills will start on Monday", True, date(2024, 7, 29), date(2024, 7, 29)),
    ("ships held drills this week", False, date(2024, 7, 22), date(2024, 7, 28)),
    ("the patrol took place last month", False, date(2024, 6, 1), date(2024, 6, 30)),
    ("an exercise held last year", False, date(2023, 1, 1), date(2023, 12, 31)),
    ("bombers flew near Japan in May", False, date(2024, 5, 1), date(2024, 5, 31)),
    ("drills will be held in May", True, date(2025, 5, 1), date(2025, 5, 31)),
    ("in October, warships sailed", False, date(2023, 10, 1), date(2023, 10, 31)),
    ("the exercise runs from August 30 to September 5", True, date(2024, 8, 30), date(2024, 9, 5)),
    ("this month last year", False, date(2023, 7, 1), date(2023, 7, 31)),
    ("учения начались в среду", False, date(2024, 7, 24), date(2024, 7, 24)),
    ("в прошлом месяце", False, date(2024, 6, 1), date(2024, 6, 30)),
    ("с 1 по 7 сентября", True, date(2024, 9, 1), date(2024, 9, 7)),
    ("中俄两军周三在日本海举行演习", False, date(2024, 7, 24), date(2024, 7, 24)),
    ("上个月", False, date(2024, 6, 1), date(2024, 6, 30)),
    ("7月24日至25日", False, date(2024, 7, 24), date(2024, 7, 25)),
])
def test_relative_dates_resolve_against_the_publication_date(sentence, future, start, end):
    period = resolve_period(sentence, DateContext(THU_25_JUL_2024, future))
    assert (period.start, period.end) == (start, end)


def test_later_dates_chain_from_the_previous_sentence():
    october = resolve_period("naval drills in October", DateContext(date(2022, 8, 17)))
    assert resolve_period("a few days later", DateContext(date(2022, 8, 17), previous=october)).start.month == 10
    assert resolve_period("the next month", DateContext(date(2022, 8, 17), previous=october)).start == date(2021, 11, 1)
    assert resolve_period("the next month", DateContext(date(2022, 8, 17))) is None  # nothing to chain from


def test_event_date_beats_statement_date_and_since_clauses_are_ignored():
    ctx = DateContext(THU_25_JUL_2024, future=True)
    assert resolve_period("they will drill in the Yellow Sea in September, the ministry said on Tuesday", ctx).start \
        == date(2024, 9, 1)
    assert find_periods("Since the war began on February 24, ties have grown.", ctx) == []


# --- named editions ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, published, key", [
    ("Chinese paratroopers joined the Vostok 2022 exercise near Ussuriysk.", date(2022, 9, 3), "vostok-2022"),
    ("The Vostok-2022 manoeuvres drew troops from a dozen countries, China included.", date(2022, 9, 3), "vostok-2022"),
    ("PLA units are at the East-2022 drills in Primorye.", date(2022, 9, 3), "vostok-2022"),
    ("Китайские военные участвуют в учениях «Восток-2022» в Приморье.", date(2022, 9, 3), "vostok-2022"),
    ("解放军参加“东方-2022”演习。", date(2022, 9, 3), "vostok-2022"),
    ("Chinese frigates exercised with the Russian Pacific Fleet during Joint Sea-2021.", date(2021, 10, 16),
     "joint-sea-2021"),
    ("Учения «Морское взаимодействие-2021» прошли в Японском море.", date(2021, 10, 18), "joint-sea-2021"),
    ("“海上联合-2021”演习圆满结束。", date(2021, 10, 18), "joint-sea-2021"),
    ("Chinese and Russian officers reviewed the Vostok exercises on Sunday.", date(2018, 9, 16), "vostok-2018"),
    ("Беседа о ходе «Мирной миссии-2021» прошла в Оренбурге.", date(2021, 9, 22), "peace-mission-2021"),
])
def test_named_editions_in_three_languages(gazetteer, text, published, key):
    mentions = detect_mentions(text, published, gazetteer)
    assert [(m.exercise, m.known, m.kind) for m in mentions] == [(key, True, "named")]


def test_one_mention_per_sentence_and_exercise(gazetteer):
    mentions = detect_mentions("The Vostok 2022 (East 2022) drill opened with Chinese troops.", date(2022, 9, 1),
                               gazetteer)
    assert [m.exercise for m in mentions] == ["vostok-2022"]
    assert mentions[0].to_dict()["start"] == "2022-09-01"
    json.dumps([m.to_dict() for m in mentions])  # JSON-ready


@pytest.mark.parametrize("text, published", [
    ("The Vostok 1 capsule carried Yuri Gagarin; China's space agency sent congratulations.", date(2021, 4, 12)),
    ("A Vostok spacecraft replica went on show next to a Chinese Shenzhou module.", date(2022, 4, 12)),
    ("Russia and Belarus opened Zapad-2021 near Borisov; China sent no troops.", date(2021, 9, 10)),
    ("Russia and Belarus began Zapad-2025 on Friday; China was not represented.", date(2025, 9, 12)),
    ("Russian troops began the Tsentr-2015 drills with Kazakhstan.", date(2015, 9, 14)),
    ("The East 2022 investment forum drew Chinese and Russian bankers.", date(2022, 9, 6)),
    ("Chinese troops arrived in Belarus for Eagle Assault-2024 near Brest.", date(2024, 7, 9)),
    ("Russian and Indian soldiers started Indra-2023 in Rajasthan.", date(2023, 11, 21)),
    ("China's navy staged Joint Sword-2024B around Taiwan as Russia watched.", date(2024, 10, 14)),
])
def test_look_alikes_spacecraft_and_drills_without_china_give_nothing(gazetteer, text, published):
    assert detect_mentions(text, published, gazetteer) == []


def test_reused_series_name_counts_with_chinese_participation(gazetteer):
    text = "PLA troops will join the Vostok-2026 strategic exercise in Russia's Far East next month."
    mention, = detect_mentions(text, date(2026, 8, 3), gazetteer)
    assert (mention.exercise, mention.known, mention.series, mention.year) == ("vostok-2026", False, "vostok", 2026)
    assert not mention.starting  # announced, not under way


# --- patrols and unnamed drills ---------------------------------------------------------------

def test_unnamed_patrol_resolves_to_the_gazetteer_instance_its_dates_cover(gazetteer):
    text = "Two Chinese H-6K and two Russian Tu-95MS bombers flew a joint patrol near Alaska on Wednesday, NORAD said."
    mention, = detect_mentions(text, date(2024, 7, 26), gazetteer)
    assert (mention.exercise, mention.known, mention.kind) == ("joint-strategic-air-patrol-2024-07", True, "patrol")
    assert (mention.date, mention.ordinal, mention.places) == (date(2024, 7, 24), 8, ("Alaska",))
    assert set(mention.participants) == {"CN", "RU"}


def test_patrol_not_in_the_gazetteer_is_keyed_by_series_and_month(gazetteer):
    text = "Chinese and Russian strategic bombers carried out their 12th joint air patrol over the Sea of Japan yesterday."
    mention, = detect_mentions(text, date(2027, 11, 5), gazetteer)
    assert (mention.exercise, mention.known, mention.ordinal) == ("joint-strategic-air-patrol-2027-11", False, 12)
    assert mention.date == date(2027, 11, 4) and mention.places == ("Sea of Japan",)


def test_naval_and_coast_guard_patrols(gazetteer):
    naval = "Russian and Chinese warships started a joint maritime patrol in the western Pacific on Monday."
    assert keys(naval, date(2026, 8, 4), gazetteer) == {"joint-naval-patrol-2026-08"}
    coast = "Китайские корабли береговой охраны и пограничники России в четверг начали совместное патрулирование."
    assert keys(coast, date(2024, 9, 20), gazetteer) == {"coast-guard-joint-patrol-2024-09"}


def test_unnamed_drill_resolves_by_date_and_place(gazetteer):
    text = "Last month Chinese and Russian warships held joint drills off Zhanjiang."
    mention, = detect_mentions(text, date(2024, 8, 20), gazetteer)
    assert (mention.exercise, mention.kind, mention.known) == ("joint-sea-2024", "drill", True)


def test_undated_background_drills_are_not_events(gazetteer):
    text = "China and Russia have staged many joint exercises since 2012, from the Yellow Sea to the Baltic."
    assert detect_mentions(text, date(2024, 8, 20), gazetteer) == []


def test_drills_china_and_russia_only_criticise_are_not_theirs(gazetteer):
    text = "Beijing and Moscow denounced the joint drills that Japan and the Philippines began on Monday."
    assert detect_mentions(text, date(2025, 6, 10), gazetteer) == []


def test_starting_flag_follows_the_verb_and_the_date(gazetteer):
    begun = detect_mentions("China and Russia began joint naval drills in the Sea of Japan on Monday.",
                            date(2027, 7, 6), gazetteer)
    planned = detect_mentions("China and Russia will begin joint naval drills in the Sea of Japan next week.",
                              date(2027, 7, 6), gazetteer)
    assert [m.starting for m in begun] == [True] and [m.starting for m in planned] == [False]
    assert begun[0].exercise == "joint-drill-2027-07"


# --- exercises nobody catalogued yet ----------------------------------------------------------

V1 = """
version: 1
series:
- id: joint-sea
  name: Joint Sea
  kind: exercise
  participants: [CN, RU]
  aliases: {en: [Joint Sea], ru: [Морское взаимодействие]}
  instances:
  - {id: joint-sea-2024, name: Joint Sea-2024, year: 2024, start: 2024-07-14, end: 2024-07-17}
"""
V2 = V1 + """
- id: taiga-thunder
  name: Taiga Thunder
  kind: exercise
  participants: [CN, RU]
  aliases: {en: [Taiga Thunder], ru: [Таёжный гром]}
  instances:
  - {id: taiga-thunder-2026, name: Taiga Thunder-2026, year: 2026, start: 2026-10-05, end: 2026-10-12}
"""


def small_gazetteer(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_gazetteer(path)


@pytest.mark.parametrize("text, name, key", [
    ("Russian and Chinese motor-rifle units kicked off the Taiga Thunder-2026 drills near Chita on Monday.",
     "Taiga Thunder-2026", "taiga-thunder-2026"),
    ("China and Russia started a command-post exercise, dubbed “Taiga Thunder”, near Chita on Monday.",
     "Taiga Thunder", "taiga-thunder-2026"),
    ("China and Russia started a joint exercise code-named Taiga Thunder-2026 on Monday.",
     "Taiga Thunder-2026", "taiga-thunder-2026"),
    ("Россия и Китай начали в понедельник совместные учения «Таёжный гром-2026».",
     "Таёжный гром-2026", "таёжный-гром-2026"),
    ("中俄两军5日开始举行代号为“泰加雷霆-2026”的联合演习。", "泰加雷霆-2026", "泰加雷霆-2026"),
])
def test_unknown_exercise_is_discovered_and_merges_once_the_gazetteer_knows_it(tmp_path, text, name, key):
    v1, v2 = small_gazetteer(tmp_path, "v1.yaml", V1), small_gazetteer(tmp_path, "v2.yaml", V2)
    mention, = detect_mentions(text, date(2026, 10, 5), v1)
    assert (mention.exercise, mention.name, mention.kind, mention.known, mention.year) == (
        key, name, "discovered", False, 2026)
    assert mention.starting and set(mention.participants) == {"CN", "RU"}
    assert resolve_discovered(mention.name, mention.year, v1) is None
    if key.isascii() or key.startswith("таёжный"):  # the v2 entry has en and ru aliases only
        assert resolve_discovered(mention.name, mention.year, v2) == "taiga-thunder-2026"
        assert [(m.exercise, m.known) for m in detect_mentions(text, date(2026, 10, 5), v2)] == [
            ("taiga-thunder-2026", True)]


def test_discovery_needs_china_and_russia_among_the_participants(gazetteer):
    text = "China and Pakistan began the “Sea Falcon-2026” naval exercise in the Arabian Sea on Tuesday."
    assert detect_mentions(text, date(2026, 2, 10), gazetteer) == []


def test_quoted_speech_is_not_a_code_name(gazetteer):
    text = "China and Russia said the joint exercise was “not aimed at any third party”, on Friday."
    assert all(m.kind != "discovered" for m in detect_mentions(text, date(2026, 2, 14), gazetteer))


def test_participants_and_places_come_from_the_text(gazetteer):
    text = "Naval forces of China, Russia and Iran began the Maritime Security Belt 2026 drills in the Gulf of Oman."
    mention, = detect_mentions(text, date(2026, 3, 3), gazetteer)
    assert mention.exercise == "maritime-security-belt-2026"
    assert mention.participants == ("CN", "RU", "IR") and mention.places == ("Gulf of Oman",)


def test_a_drill_in_an_article_that_names_its_exercise_is_that_exercise(gazetteer):
    text = ("China and Russia will hold a new joint exercise next week. "
            "The drill, code-named Amur Shield-2026, will take place near Blagoveshchensk.")
    assert keys(text, datetime(2026, 6, 1, 9, 30), gazetteer) == {"amur-shield-2026"}


def test_title_and_undated_articles(gazetteer):
    assert keys("", date(2021, 10, 14), gazetteer, title="Russia, China launch Joint Sea-2021 drills") == {
        "joint-sea-2021"}
    undated = detect_mentions("The Vostok-2018 exercise drew 3,200 Chinese troops.", None, gazetteer)
    assert [(m.exercise, m.date, m.starting) for m in undated] == [("vostok-2018", None, False)]


# --- mistakes seen on the demo crawl ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    'Moscow and Beijing will stage joint naval drills, dubbed "Polar Shield-2027", off Sakhalin next month.',
    "Moscow and Beijing will stage joint naval drills, dubbed “Polar Shield‑2027”, off Sakhalin next month.",
    'Moscow and Beijing will stage joint naval drills, dubbed "Polar Shield-27", off Sakhalin next month.',
    "China and Russia will open the Polar Shield‑2027 naval exercise off Sakhalin next month.",  # U+2011
    "China and Russia will open the Polar Shield−2027 naval exercise off Sakhalin next month.",  # minus sign
])
def test_a_code_name_is_one_exercise_not_also_a_partial_name_or_an_unnamed_drill(gazetteer, text):
    mentions = detect_mentions(text, date(2027, 2, 10), gazetteer, title="China, Russia to hold joint naval drills")
    assert {m.exercise for m in mentions} == {"polar-shield-2027"}
    assert {m.kind for m in mentions} == {"discovered", "drill"}  # the title's drills are that exercise


def test_overlapping_code_names_of_a_sentence_are_one_exercise_named_by_the_longest(gazetteer):
    # "dubbed Polar Shield" (introducer) and "Polar Shield 27" (quotes) overlap: one exercise
    text = 'China and Russia will hold a naval exercise dubbed "Polar Shield 27" off Sakhalin.'
    assert [(m.kind, m.name) for m in detect_mentions(text, date(2027, 2, 10), gazetteer)] == [
        ("discovered", "Polar Shield 27")]


def test_second_edition_of_a_code_name_keeps_its_part(gazetteer):
    text = 'China and Russia held the "Polar Shield-2027 (II)" naval exercise off Sakhalin on Monday.'
    assert keys(text, date(2027, 9, 14), gazetteer) == {"polar-shield-2027-ii"}


def test_unnamed_drill_within_the_dates_of_an_exercise_the_article_names_is_that_exercise(gazetteer):
    text = ("A PLA contingent will fly to Russia later this month for joint drills, the ministry in Beijing said.\n"
            "Moscow announced in July that the Vostok manoeuvres will be held from August 30 to September 5.")
    assert keys(text, date(2022, 8, 20), gazetteer) == {"vostok-2022"}
    discovered = ("China and Russia will hold a joint exercise dubbed Amber Gate-2027 near Vladivostok.\n"
                  "The drills of the two armies will begin on May 12, the ministry said.")
    assert keys(discovered, date(2027, 4, 30), gazetteer) == {"amber-gate-2027"}


def test_drills_of_another_year_in_the_same_article_keep_their_own_exercise(gazetteer):
    text = ("Chinese troops will join Russia's Vostok exercises from August 30 to September 5.\n"
            "In August last year, Chinese and Russian troops held joint drills in Ningxia.")
    assert keys(text, date(2022, 8, 17), gazetteer) == {"vostok-2022", "zapad-interaction-2021"}


def test_ships_patrolling_after_an_exercise_are_the_naval_patrol(gazetteer):
    text = ("The Russian and Chinese navies opened the Joint Sea-2024 exercise at Zhanjiang on Sunday.\n"
            "After the drills, ships of the two fleets will go on a joint patrol in the Pacific, while bombers "
            "of both air forces trained over the South China Sea.")
    found = keys(text, date(2024, 7, 14), gazetteer)
    assert "joint-naval-patrol-2024-07" in found
    assert not any(key.startswith("joint-strategic-air-patrol") for key in found)


def test_the_sea_phase_of_an_exercise_is_no_patrol(gazetteer):
    text = ("The Joint Sea-2024 naval exercise of Russia and China opened at Zhanjiang on Sunday.\n"
            "Its sea phase, which is to begin on July 15, includes joint air defence and firing at air targets.")
    assert keys(text, date(2024, 7, 14), gazetteer) == {"joint-sea-2024"}


def test_a_patrol_dated_outside_the_known_patrol_of_that_month_is_not_filed_under_it(gazetteer):
    # The gazetteer's July 2024 air patrol flew on July 24-25: a July 15 flight reported on July 14
    # would otherwise get its key and make July 14 its first report.
    text = "Russian and Chinese bombers will fly a joint air patrol over the Sea of Japan on July 15, Moscow said."
    assert "joint-strategic-air-patrol-2024-07" not in keys(text, date(2024, 7, 14), gazetteer)


@pytest.mark.parametrize("sentence, start", [
    ("In August last year, the two armies drilled in Ningxia.", date(2021, 8, 1)),
    ("The drills are planned for October of next year.", date(2023, 10, 1)),
    ("In May this year, bombers flew near Japan.", date(2022, 5, 1)),
])
def test_month_with_a_relative_year(sentence, start):
    period = resolve_period(sentence, DateContext(date(2022, 8, 17)))
    assert (period.start, period.precision) == (start, "month")


def test_lexicons_scanned_fast_find_exactly_what_re_finds():
    """FastRegex only skips positions where no match can start: same matches as re on real texts."""
    from pathlib import Path

    import yaml

    from config.fastregex import FastRegex
    from crawler.text import exercises, reldates, relevance

    folder = Path(__file__).parent / "eval" / "detection"
    texts = [case["text"] for name in ("articles.yaml", "holdout.yaml")
             for case in yaml.safe_load((folder / name).read_text(encoding="utf-8"))["articles"] if "text" in case]
    lexicons = [value for module in (relevance, exercises) for value in vars(module).values()
                if isinstance(value, FastRegex)] + [pattern for pattern, _ in reldates.RULES]
    assert len(lexicons) > 80 and all(regex.trigger is not None for regex in lexicons)
    for regex in lexicons:
        for text in texts:
            fast = [(m.span(), m.groupdict()) for m in regex.finditer(text)]
            assert fast == [(m.span(), m.groupdict()) for m in regex.regex.finditer(text)], (regex.pattern, text)
