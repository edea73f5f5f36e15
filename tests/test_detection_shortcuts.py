"""The shortcuts detection takes for speed find what the long way finds."""
from datetime import date, timedelta

from config.gazetteer import load_gazetteer
from crawler.text import exercises
from crawler.text.reldates import Period


def test_instances_by_series_and_kind_are_the_scans_they_replace():
    gazetteer = load_gazetteer()
    for series in gazetteer.series:
        assert gazetteer.instances_of(series.id) == tuple(i for i in gazetteer.instances if i.series == series.id)
    for kind in ("drill", "air_patrol", "naval_patrol", "coast_guard_patrol"):
        wanted = "exercise" if kind == "drill" else kind
        assert exercises._of_kind(gazetteer, kind) == tuple(
            i for i in gazetteer.instances if gazetteer.series_of(i.series).kind == wanted)
    assert gazetteer.instances_of("no-such-series") == ()


def test_overlapping_instances_are_those_whose_window_meets_the_period():
    gazetteer = load_gazetteer()
    checked = 0
    for instance in gazetteer.instances:
        for offset in (-40, -33, -31, -30, -4, -3, -2, 0, 2, 3, 4, 29, 30, 31, 33, 34, 40):
            for precision, length in (("day", 0), ("range", 6), ("week", 6), ("month", 29), ("year", 364)):
                start = (instance.start or date(instance.year, 7, 1)) + timedelta(days=offset)
                window = Period(start, start + timedelta(days=length), precision)
                slack = 3 if precision in ("day", "range", "week") else 0
                span = instance.window(slack)
                expected = span is not None and span[0] <= window.end and window.start <= span[1]
                assert (instance in exercises._overlapping(window, [instance])) == expected
                checked += 1
    assert checked > 1000


def test_chinas_paragraphs_are_worked_out_when_asked_for():
    gazetteer = load_gazetteer()
    text = ("Russia began the Vostok exercises on Thursday.\n"
            "Chinese troops took part in the drills, the ministry said.\n"
            "Analysts watched.")
    article = exercises.build_article(text, "", date(2022, 9, 2), gazetteer)
    assert "china_paragraphs" not in article.lazy
    assert article.china_paragraphs == frozenset({1})
    assert {m.exercise for m in exercises.detect_mentions(text, date(2022, 9, 2), gazetteer)} == {"vostok-2022"}
