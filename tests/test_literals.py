"""crawler.text.literals: the words a regex cannot match without rule it out exactly, never wrongly."""
import pickle
import re
import sys
from pathlib import Path

import pytest
import yaml

from config.fastregex import FastRegex
from crawler.text import exercises, reldates
from crawler.text.literals import UNSAFE, UNSAFE_LETTERS, GatedRegex, Text, required_literals

try:
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover
    _EXTRA_CASES = {}


def _texts() -> list[str]:
    folder = Path(__file__).parent / "eval" / "detection"
    return [case["text"] for name in ("articles.yaml", "holdout.yaml")
            for case in yaml.safe_load((folder / name).read_text(encoding="utf-8"))["articles"] if "text" in case]


def test_literals_of_a_pattern():
    assert required_literals(re.compile(r"(?i:\b(?:\d+|a|few)\s+(?:days?|weeks?)\s+ago\b)")) == (("ago", True),)
    assert required_literals(re.compile(r"\b(?:Jan|Feb)[a-z]*\s+\d")) == (("Jan", False), ("Feb", False))
    assert required_literals(re.compile(r"\bPatrol\b|巡航", re.I)) == (("patrol", True), ("巡航", True))
    assert required_literals(re.compile(r"\d+|ago")) is None  # one branch needs no word
    assert required_literals(re.compile(r"(?:ago)?\d")) is None  # an optional word is no requirement
    # adjacent literal choices are joined: far fewer sentences hold "is to" than " to"
    assert required_literals(re.compile(r"\b(?:is|are) to\b", re.I)) == (("is to", True), ("are to", True))
    assert required_literals(re.compile(r"[Jj]oint (?:drill|patrol)s?")) == (
        ("Joint drill", False), ("Joint patrol", False), ("joint drill", False), ("joint patrol", False))


def test_unsafe_holds_every_character_ignorecase_matches_to_a_letter_with_another_lowercase():
    """A case-insensitive literal (ASCII, Cyrillic or caseless letters) is looked for in text.lower():
    every character that re matches to such a letter under IGNORECASE but whose str.lower() is not
    that letter's lowercase must be in UNSAFE (then the test is not made)."""
    import _sre

    letters = [chr(c) for c in range(0x20, 0x7f)] + [chr(c) for c in range(0x400, 0x500)]
    by_lower: dict[str, list[str]] = {}
    for letter in letters:
        by_lower.setdefault(chr(_sre.unicode_tolower(ord(letter))), []).append(letter)
    extra = {chr(k) for k in _EXTRA_CASES} | {chr(v) for vs in _EXTRA_CASES.values() for v in vs}
    missing = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        lower = chr(_sre.unicode_tolower(code))
        if lower not in by_lower and char not in extra:
            continue
        for letter in by_lower.get(lower, []) + [l for l in letters if char in extra]:
            if re.fullmatch(re.escape(letter), char, re.I) and char.lower() != letter.lower() and char not in UNSAFE:
                missing.append((char, letter))
    assert not missing


@pytest.mark.parametrize("pattern, text", [(r"\bships\b", "Two \u017fhips sailed."), (r"drill", "The DR\u0131LL"),
                                           (r"(?i:\bвойск)", "\u1c80ойска"), (r"\bLIKE\b", "L\u0130KE")])
def test_a_text_with_unsafe_characters_is_scanned(pattern, text):
    """(re matches İ to i, FastRegex does not: the gate lets the text through, FastRegex decides as before.)"""
    gated = GatedRegex(pattern, re.I)
    assert gated.words is not None and re.search(pattern, text, re.I) and gated.may_match(text)
    assert [m.span() for m in gated.finditer(text)] == [m.span() for m in FastRegex(pattern, re.I).finditer(text)]
    assert (gated.search(text) is None) == (FastRegex(pattern, re.I).search(text) is None)


def test_rules_and_cues_ruled_out_have_no_match_on_the_labelled_texts():
    texts = _texts()
    regexes = [(pattern, words) for (pattern, _), words in zip(reldates.RULES, reldates._RULE_WORDS)]
    regexes += [(value, value.words) for value in vars(exercises).values() if isinstance(value, GatedRegex)]
    assert len(regexes) > 70 and sum(words is not None for _, words in regexes) > 60
    skipped = 0
    for regex, words in regexes:
        for text in texts:
            if not Text(text).may_match(words):
                skipped += 1
                assert regex.regex.search(text) is None, (regex.pattern, text)
    assert skipped > 1000  # and the test rules most of them out


def test_a_gated_regex_survives_pickling():
    copy = pickle.loads(pickle.dumps(exercises.QUOTED))
    assert copy.needs.pattern == exercises.QUOTED.needs.pattern and copy.words == exercises.QUOTED.words
    assert [m.group(1) for m in copy.finditer('the "Northern Shield" drills')] == ["Northern Shield"]


def test_a_date_gate_of_chinese_or_cyrillic_words_needs_such_a_character():
    """Every character re matches (IGNORECASE or not) to a letter of those gates' words is one the
    script test finds: a sentence without any cannot pass the gate."""
    import _sre

    letters = {script: set() for script in ("cjk", "cyrillic")}
    for gate, script in zip(reldates._GATES, reldates._GATE_SCRIPT):
        if script:
            letters[script] |= {ch for text, _ in gate for ch in text if not ch.isspace()}
    assert letters["cjk"] and letters["cyrillic"]
    extra = {chr(k): {chr(v) for v in vs} for k, vs in _EXTRA_CASES.items()}
    for script, regex in (("cjk", reldates.CJK_CHAR), ("cyrillic", reldates.CYRILLIC_CHAR)):
        lowers = {chr(_sre.unicode_tolower(ord(ch))) for ch in letters[script]}
        matching = {chr(c) for c in range(sys.maxunicode + 1) if chr(_sre.unicode_tolower(c)) in lowers}
        matching |= {e for low in lowers for e in extra.get(low, ())}
        assert all(regex.match(ch) for ch in matching if ch not in "-"), script


def test_literals_holding_a_shorter_one_are_not_looked_for():
    words = required_literals(re.compile(r"\b(?:comments?|commentaires?|commenti|abo|abonn\w*)\b", re.I))
    assert words.ci == ("comment", "abo") and len(words) == 5


@pytest.mark.parametrize("text", ["EDİTED 4/6/24", "last modıfied 3 June", "The EDITED text", "no stamp here"])
def test_a_plain_gated_regex_finds_what_re_finds(text):
    """plain: re scans after the same gate (FastRegex misses İ read as i at a match's start: "EDİTED")."""
    pattern = r"\b(?:updated|modified|edited)\b\s*\S*"
    plain = re.compile(pattern, re.I)
    for gated in (GatedRegex(pattern, re.I, plain=True), pickle.loads(pickle.dumps(GatedRegex(pattern, re.I, plain=True)))):
        assert gated.plain and gated.trigger is None and gated.words is not None
        assert [m.span() for m in gated.finditer(text)] == [m.span() for m in plain.finditer(text)]
        assert (gated.search(text) is None) == (plain.search(text) is None)
        assert gated.sub("-", text) == plain.sub("-", text)


def test_unsafe_letters_are_all_the_letters_unsafe_characters_stand_for():
    """A literal's core (its run without UNSAFE_LETTERS) is found in text.lower() even where an UNSAFE
    character stands for one of its other letters."""
    letters = [chr(c) for c in range(0x20, 0x7f)] + [chr(c) for c in range(0x400, 0x500)]
    stood_for = {letter.lower() for char in UNSAFE for letter in letters if re.fullmatch(re.escape(letter), char, re.I)}
    assert stood_for == set(UNSAFE_LETTERS)


@pytest.mark.parametrize("pattern, text", [(r"copyright", "COPYRİGHT Reuters"), (r"updated|modified|edited", "EDİTED at 10:32"),
                                           (r"\bsubscribe\b", "ſubſcrıbe now"), (r"комментари", "кᲂмментари")])
def test_a_literal_hidden_by_unsafe_characters_passes_by_its_core(pattern, text):
    words = required_literals(re.compile(pattern, re.I))
    assert re.search(pattern, text, re.I) and not any(literal in text.lower() for literal in words.ci)
    assert Text(text).may_match(words)
    assert not Text("ıİſᲂ and no core").may_match(words)  # ruled out although UNSAFE
