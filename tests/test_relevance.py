"""Relevance to China–Russia military cooperation: what a user would check, traps included.
Sentences here are not in the labelled set (tests/eval/detection/) the bench scores."""
from __future__ import annotations

import dataclasses

import pytest

from config.gazetteer import load_gazetteer
from crawler.text.relevance import analyse_sentence, find_countries, find_places, score_relevance


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.mark.parametrize("title, text", [
    ("", "Beijing and Moscow staged joint naval manoeuvres off the Kuril Islands on Saturday."),
    ("Sino-Russian air drill", "The two air forces practised intercepting cruise missiles together."),
    ("", "Russia will supply China with additional S-400 battalions under a contract signed in Moscow."),
    ("", "China's defence minister Dong Jun held talks with Andrei Belousov on expanding military ties."),
    ("", "Китайские и российские военные моряки провели совместные манёвры у берегов Камчатки."),
    ("", "Китай и Россия провели совместные учения."),
    ("中俄联合军演", "两国海军舰艇在黄海海域开展联合演练。"),
    ("", "中俄海军舰艇编队在东海举行联合演习。"),
    ("", "A Chinese destroyer will take part in the Russian navy's exercise in the Barents Sea next month."),
])
def test_china_russia_military_cooperation_is_relevant(title, text):
    result = score_relevance(text, title)
    assert result.relevant, result
    assert 0.5 <= result.score <= 1.0 and result.reasons


@pytest.mark.parametrize("text", [
    "China and Russia agreed to raise wheat and soybean trade, officials in Harbin said.",
    "Moscow and Beijing signed a deal on the Far Eastern gas route; deliveries start in 2027.",
    "Россия и Китай увеличили товарооборот на 5% за первое полугодие.",
    "中俄两国外长在北京会谈，讨论能源合作和双边贸易。",
    "China and Russia abstained in the General Assembly vote on the resolution, which passed easily.",
    "Russian forces shelled Kharkiv overnight, while China repeated its call for a ceasefire.",
])
def test_both_countries_in_a_non_military_story_are_not_relevant(text):
    result = score_relevance(text)
    assert not result.relevant, result


@pytest.mark.parametrize("title, text", [
    ("China, Belarus start anti-terror drills", "Chinese and Belarusian special forces began joint training near "
     "Minsk on Monday. Belarus is Russia's closest ally."),
    ("Russian, Indian armies hold drills", "Russia and India began their annual joint exercise in Rajasthan; "
     "analysts said China was watching closely."),
    ("Russia, Belarus hold Union Shield", "Russia and Belarus launched the Union Shield exercise near Grodno, "
     "while China urged restraint."),
    ("", "China and Russia condemned the joint drills staged by the United States and the Philippines."),
    ("", "Washington and Tokyo held combined air exercises near Okinawa, which Beijing and Moscow called provocative."),
])
def test_drills_of_either_with_a_third_country_are_not_relevant(title, text):
    result = score_relevance(text, title)
    assert not result.relevant, result


def test_same_sentence_counts_much_more_than_somewhere_in_the_text():
    together = "Chinese and Russian warships held joint drills in the Sea of Japan."
    apart = ("Chinese officials visited Vladivostok. Warships held drills in the Sea of Japan. "
             "Russian media covered the visit.")
    assert score_relevance(together).score > 2 * score_relevance(apart).score
    assert not score_relevance(apart).relevant


def test_sea_names_are_not_countries():
    assert find_countries("Russian ships sailed into the East China Sea and the Sea of Japan.")[0].code == "RU"
    assert [c.code for c in find_countries("Russian ships sailed into the East China Sea.")] == ["RU"]
    assert [p.name for p in find_places("over the Chukchi and Bering Seas near Alaska")] == [
        "Chukchi Sea", "Bering Sea", "Alaska"]


def test_sentence_facts_say_who_is_bound_together():
    facts = analyse_sentence("Naval forces of China, Russia and Iran began drills in the Gulf of Oman.")
    assert facts.groups == (frozenset({"CN", "RU", "IR"}),) and facts.bound and not facts.third_party
    facts = analyse_sentence("China held drills with Belarus while Russia watched.")
    assert facts.third_party == {"BY"}


@pytest.mark.parametrize("title", [
    "Tsentr-2027 manoeuvres open in Russia's Far East with Chinese units",
    "Chinese paratroopers join war games in far eastern Russia",
])
def test_a_drill_in_russia_with_chinese_troops_is_cooperation_without_the_gazetteer(title):
    result = score_relevance("", title)
    assert result.relevant, result


def test_a_place_that_names_its_country_puts_it_there_but_sea_names_still_do_not():
    assert [c.code for c in find_countries("Drills began in Russia's Far East with Chinese troops.")] == ["RU", "CN"]
    assert [c.code for c in find_countries("Wildfires spread across Russia's Far East.")] == ["RU"]
    assert find_countries("Japanese destroyers patrolled the East China Sea.")[0].code == "JP"
    assert not score_relevance("Wildfires spread across Russia's Far East as Chinese tourists left.").relevant


def test_a_named_exercise_counts_when_the_gazetteer_is_passed(gazetteer):
    text = "Troops from the PLA Western Theater Command took part in Kavkaz-2020 at Kapustin Yar."
    assert not score_relevance(text).relevant  # no Russia named, no binding
    with_names = score_relevance(text, gazetteer=gazetteer)
    assert with_names.relevant and any("gazetteer" in r for r in with_names.reasons)


def test_result_is_a_frozen_explainable_value():
    result = score_relevance("Russian and Chinese bombers flew a joint patrol over the Sea of Japan.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 0.0
    assert result.reasons[0].startswith("s0: China and Russia together")
    assert score_relevance("").score == 0.0 and not score_relevance("").relevant


# The cue words (relevance._*_WORDS) let a sentence in Latin script skip a cue's regex; a word list
# out of step with its regex would lose matches silently.
@pytest.mark.parametrize("cue, words", [
    ("TWO_PARTY", "_TWO_PARTY_WORDS"), ("ACTIVITY", "_ACTIVITY_WORDS"), ("COOPERATION", "_COOPERATION_WORDS"),
    ("DEPLOYED", "_DEPLOYED_WORDS"), ("FORCES", "_FORCES_WORDS"), ("REACTION", "_REACTION_WORDS"),
])
def test_every_latin_branch_of_a_gated_cue_holds_one_of_its_words(cue, words):
    import re

    from crawler.text import relevance

    words = getattr(relevance, words)
    assert all(word == word.lower() for word in words)
    for branch in getattr(relevance, cue).alternatives:
        if not re.search(r"[A-Za-z]", re.sub(r"\\[a-zA-Z]|\(\?[a-zA-Z-]*:", "", branch)):
            continue  # Cyrillic/CJK: the gate never applies to text that could match it
        lead = re.match(r"(?:\\b|\(\?:)*", branch).end()
        literal = re.match(r"[\w' -]*", branch[lead:]).group(0)
        if branch[lead + len(literal):lead + len(literal) + 1] in ("?", "*", "{"):
            literal = literal[:-1]  # the last letter is optional
        if branch.startswith(r"\b[SС]-"):
            literal = "s-"  # S-400 in Latin or Cyrillic script
        assert any(word in literal.lower() for word in words), (branch, literal)


@pytest.mark.parametrize("sentence, cue", [
    ("Chinese and Russian PARATROOPERS landed together near Zhurihe.", "forces"),
    ("Китайские и российские ВОЕННЫЕ моряки вышли в море.", "forces"),
    ("Руководители ДВУХ СТРАН обсудили учения.", "two_party"),
    ("China and Russia held joint WAR-GAMES near Vladivostok.", "activities"),
    ("兩國海軍聯合演習。", "activities"),
])
def test_cues_are_found_in_any_case_and_script(sentence, cue):
    from crawler.text.script import to_simplified

    assert getattr(analyse_sentence(to_simplified(sentence)), cue)


def test_the_place_scan_finds_exactly_what_re_finds():
    """find_places scans with a smaller trigger where no "Pacific"/"east" can start a place: same matches."""
    from pathlib import Path

    import yaml

    from crawler.text.relevance import _PLACE_RE, _place_matches

    folder = Path(__file__).parent / "eval" / "detection"
    texts = [case["text"] for name in ("articles.yaml", "holdout.yaml")
             for case in yaml.safe_load((folder / name).read_text(encoding="utf-8"))["articles"] if "text" in case]
    texts += ["Bombers flew over the western Pacific and the north Pacific, then west to the far east of Russia.",
              "Warships left for the far-east; northern Pacific routes were closed; west pacific waters calm.",
              "no place at all: the fleet went north, west and far away", "NORTHERN PACIFIC and FAR EAST drills"]
    texts += [text.lower() for text in texts] + [text.upper() for text in texts]
    for text in texts:
        assert ([(m.span(), m.lastgroup) for m in _place_matches(text)]
                == [(m.span(), m.lastgroup) for m in _PLACE_RE.regex.finditer(text)]), text
