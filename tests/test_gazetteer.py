"""The exercise gazetteer: the shipped file, its name index, and validation errors a user can act on."""
from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from config.gazetteer import GazetteerError, load_gazetteer, parse_gazetteer

MINIMAL = """
version: 1
series:
- id: joint-sea
  name: Joint Sea
  kind: exercise
  participants: [CN, RU]
  aliases: {en: [Joint Sea], ru: [Морское взаимодействие], zh: [海上联合]}
  instances:
  - {id: joint-sea-2024, name: Joint Sea-2024, year: 2024, start: 2024-07-14, end: 2024-07-17,
     places: [Zhanjiang], participants: [CN, RU]}
look_alikes:
- id: sea-guardian
  name: Sea Guardian
  participants: [CN, PK]
  aliases: {en: [Sea Guardian]}
"""


@pytest.fixture(scope="module")
def shipped():
    return load_gazetteer()


def write(tmp_path, text: str):
    path = tmp_path / "exercises.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_gazetteer_has_the_reference_facts(shipped):
    vostok = shipped.instance("vostok-2022")
    assert (vostok.series, vostok.year, vostok.start, vostok.end) == ("vostok", 2022, date(2022, 9, 1), date(2022, 9, 7))
    assert {"CN", "RU"} <= set(vostok.participants)
    alaska = shipped.instance("joint-strategic-air-patrol-2024-07")
    assert (alaska.ordinal, alaska.ref) == (8, "jsap-08-2024")
    assert shipped.series_of("vostok").ambiguous and not shipped.series_of("joint-sea").ambiguous
    assert shipped.get_instance("joint-sea-2031") is None
    with pytest.raises(KeyError):
        shipped.instance("joint-sea-2031")


def test_month_only_dates_cover_the_month(shipped):
    patrol = shipped.instance("joint-naval-patrol-2024-07")  # the reference gives "2024-07" only
    assert (patrol.start, patrol.end) == (date(2024, 7, 1), date(2024, 7, 31))


def test_shipped_keys_follow_the_convention_news_keys_use(shipped):
    """A key found in the news before the entry exists must be the key the entry gets."""
    for instance in shipped.instances:
        series = shipped.series_of(instance.series)
        if series.is_patrol:
            assert instance.id == f"{series.id}-{instance.start:%Y-%m}", instance.id
        elif instance.part:
            assert instance.id == f"{series.id}-{instance.year}-{'i' * instance.part}", instance.id
        else:
            assert re.fullmatch(rf"{series.id}-{instance.year}(?:-\d\d)?", instance.id), instance.id


def test_look_alikes_are_negative_entries(shipped):
    ids = {look.id for look in shipped.look_alikes}
    assert {"eagle-assault", "zapad-russia-belarus", "indra", "vostok-spacecraft", "sea-guardian"} <= ids
    assert "CN" not in shipped.look_alike("indra").participants


@pytest.mark.parametrize("text, kind, ref, year", [
    ("the Vostok 2022 drills", "instance", "vostok-2022", None),
    ("учения «Восток-2022»", "series", "vostok", 2022),
    ("“东方-2022”战略演习", "series", "vostok", 2022),
    ("в ходе Морского взаимодействия-2014", "series", "joint-sea", 2014),  # Russian declension
    ("中俄“海上聯合-2022”演习", "series", "joint-sea", 2022),  # traditional characters
    ("North. Interaction 2023", "series", "northern-interaction", 2023),
    ("Zapad/Interaction2021", "instance", "zapad-interaction-2021", None),
    ("Zapad-2021 in Belarus", "look_alike", "zapad-russia-belarus", 2021),  # not the China-hosted one
    ("Zapad-2025", "series", "zapad", 2025),  # look-alike years do not cover it: ambiguous series
    ("the Vostok-1 capsule", "look_alike", "vostok-spacecraft", None),
    ("the Middle East 2022 report", "look_alike", "east-regions", 2022),
])
def test_index_finds_names_and_look_alikes_shadow_series(shipped, text, kind, ref, year):
    hits = shipped.find_names(text)
    assert [(h.kind, h.ref) for h in hits] == [(kind, ref)]
    assert hits[0].year == year


def test_parts_of_a_year_are_read_from_the_name(shipped):
    hit, = shipped.find_names("Joint Sea-2017 (II) ended in the Sea of Okhotsk")
    assert (hit.ref, hit.year, hit.part) == ("joint-sea", 2017, 2)


def test_generic_words_are_flagged(shipped):
    hit, = shipped.find_names("Ocean-2024")
    assert hit.generic  # "Ocean" needs an exercise word in the sentence to count
    assert not shipped.find_names("the ocean 2024 season")  # names are capitalised


def test_loads_a_file_and_returns_frozen_objects(tmp_path):
    gazetteer = load_gazetteer(write(tmp_path, MINIMAL))
    assert [s.id for s in gazetteer.series] == ["joint-sea"]
    assert gazetteer.instances_of("joint-sea")[0].places == ("Zhanjiang",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        gazetteer.instances[0].year = 2025
    assert gazetteer.find_names("Морское взаимодействие-2024")[0].ref == "joint-sea"


BROKEN = [
    ("kind: exercise", "kind: drill", "series[joint-sea]", "kind", "must be one of"),
    ("participants: [CN, RU]\n  aliases", "participants: [cn, RU]\n  aliases", "series[joint-sea]", "participants",
     "ISO 3166"),
    ("end: 2024-07-17", "end: 2024-07-10", "series[joint-sea].instances[joint-sea-2024]", "end", "before start"),
    ("start: 2024-07-14", "start: 14 July", "series[joint-sea].instances[joint-sea-2024]", "start", "YYYY-MM-DD"),
    ("year: 2024,", "", "series[joint-sea].instances[joint-sea-2024]", "year", "required"),
    ("places: [Zhanjiang]", "plaices: [Zhanjiang]", "series[joint-sea].instances[joint-sea-2024]", "plaices",
     "unknown field"),
    ("aliases: {en: [Sea Guardian]}", "aliases: {en: Sea Guardian}", "look_alikes[sea-guardian]", "aliases.en",
     "list"),
    ("id: sea-guardian", "id: Sea Guardian", "look_alikes[0]", "id", "lowercase slug"),  # no usable id: position
]


@pytest.mark.parametrize("old, new, entry, field, message", BROKEN)
def test_validation_errors_name_file_entry_and_field(tmp_path, old, new, entry, field, message):
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(GazetteerError) as caught:
        load_gazetteer(path)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.file, error.entry, error.field) == (str(path), entry, field)
    assert str(error).startswith(f"{path}: {entry}.{field}: ") and message in str(error)


def test_duplicate_ids_and_bad_yaml_are_reported(tmp_path):
    twice = MINIMAL.replace("look_alikes:", """  - {id: joint-sea-2024, name: again, year: 2024}
look_alikes:""")
    with pytest.raises(GazetteerError, match=r"exercises\.yaml: instances\[joint-sea-2024\]\.id: duplicate id"):
        load_gazetteer(write(tmp_path, twice))
    with pytest.raises(GazetteerError, match=r"exercises\.yaml: line \d+: invalid YAML"):
        load_gazetteer(write(tmp_path, MINIMAL.replace("kind: exercise", "kind: [exercise")))


def test_parse_gazetteer_names_the_source_it_was_given():
    with pytest.raises(GazetteerError, match=r"^inline\.yaml: series: must be a list"):
        parse_gazetteer({"series": {}}, "inline.yaml")


# --- FastRegex (the name index and the lexicons of crawler.text scan with it) ------------------

def spans(matches) -> list:
    return [(m.span(), {k: v for k, v in m.groupdict().items() if v is not None}) for m in matches]


@pytest.mark.parametrize("pattern, flags, text", [
    (r"\b(?:Vostok|Joint Sea)\b|(?<=俄)中|东方", 0, "Vostok, JointSea, Joint Sea; 中俄 俄中 东方-2022 Vostoks"),
    (r"(?i:\bkelvin\b)|(?i:\bstrike\b)", 0, "KELVIN \u212aelvin kelvin \u017ftrike Strike"),  # Kelvin sign, long s
    (r"\b\d{4}\b|\d+ days", 0, "in 2022, ٢٠٢٢, ２０２２ and 12 days later"),  # non-ASCII digits
    (r"(?<![^\W_])Sea|\bNorth\b", 0, "_Sea xSea Sea _North North"),  # underscore is \w but not alphanumeric
    (r"(?P<a>\bwar games\b)|(?P<b>учени\w*)|(?P<c>演习)", re.I, "War Games, УЧЕНИЯ и 演习"),
    (r"x*", 0, "axxb"),  # can match empty: scanned the plain way
    (r"(?i)\bfoo\b|bar", 0, "FOO Bar foo rebar"),  # global flags hold for every branch
    (r"\b(?:began|begins)\b|(?:will|to) begin\b", re.I, "It BEGAN; it will begin; they begin; beginning"),
])
def test_fast_regex_finds_exactly_what_re_finds(pattern, flags, text):
    from config.fastregex import FastRegex

    fast = FastRegex(pattern, flags)
    assert spans(fast.finditer(text)) == spans(re.finditer(pattern, text, flags))
    for probe in (text, "nothing here"):
        found, expected = fast.search(probe), re.search(pattern, probe, flags)
        assert (found and found.span()) == (expected and expected.span())


def test_fast_regex_keeps_group_names_and_a_shared_tail():
    from config.fastregex import FastRegex

    fast = FastRegex(r"(?P<g0>Vostok)|(?P<g1>Zapad)", tail=r"(?:[-\s](?P<year>\d{4}))?")
    match = fast.search("the Zapad-2021 drills")
    assert (match.group(0), match["g1"], match["g0"], match["year"]) == ("Zapad-2021", "Zapad", None, "2021")


def test_name_index_finds_with_fast_regex_what_re_finds(shipped):
    texts = [a.text for i in shipped.instances for a in i.aliases] + [
        "PLA units joined the Vostok 2022 drills; “海上联合-2021”演习; учения «Восток-2022»; Zapad-21 with Belarus.",
        "The North/Interaction-2023 and Northern Interaction 2024 exercises; Ocean-2024; East 2022."]
    index = shipped.index
    for regex in (index.instance_re, index.series_re, index.look_alike_re):
        assert regex.trigger is not None  # the fast path is in use
        for text in texts:
            assert spans(regex.finditer(text)) == spans(regex.regex.finditer(text)), text
