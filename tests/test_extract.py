"""The extraction front door on pages built from the seeds (tests/fixtures/extract) and on the demo
outlets: every clutter family is gone, the article's first and last paragraphs are kept, metadata
(date from markup / URL / dateline, wire agency, canonical URL, language) is right, bad input gives None."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from lxml import etree, html as lxml_html

from crawler.demo.server import SITES_DIR
from crawler.text.boilerplate import line_key
from crawler.text.dates import date_from_dateline, date_from_url, parse_datetime, published_date
from crawler.text.extract import Article, ExtractOptions, extract_article
from crawler.text.metadata import article_language, detect_agency

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DEMO_BASE = "http://127.0.0.1:8000"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Case:
    name: str
    url: str
    first: str  # opening words of the article's first paragraph
    last: str  # opening words of its last paragraph
    clutter: tuple[str, ...]  # lines (or, if long, parts of lines) that must not survive
    html: bytes | str = field(default=b"", repr=False)


def feed_items() -> list[tuple[str, str]]:
    tree = etree.parse(str(FIXTURES / "seed002_feed.xml"))
    return [(item.findtext("link"), item.findtext(CONTENT)) for item in tree.iter("item")]


FEED_CLUTTER = ("]]>", "Read More", "(Except for the headline, this story has not been edited by NDTV staff",
                "Waiting for response to load…", "Source link", "Moscow:", "Warsaw:")
ITEMS = feed_items()

CASES = [
    Case("seed000 WordPress", "https://defence-daily.example/world/china-will-send-troops/",
         "According to Beijing’s defence ministry, Chinese troops will go to Russia",
         "Part of Siberia is included in the eastern military district of Russia",
         ("0.00 avg. rating (0% score) - 0 votes", "Leave a Reply", "Cancel reply",
          "Your email address will not be published.", "Required fields are marked *", "Post Comment",
          "Share this:", "Twitter", "Facebook", "Recent Posts", "Taiwan Strait tensions rise after Pelosi visit",
          "Previous: Taiwan Strait tensions rise after Pelosi visit", "Tags: China, Russia, Vostok",
          "China will send troops to Russia for joint military training", "News World", "News", "World",
          "© 2022 Defence Daily. All rights reserved. | Powered by WordPress"),
         (FIXTURES / "seed000_wordpress.html").read_bytes()),
    Case("seed001 bare", "https://bare.example/2022/08/16/russia-vostok-drills/",
         "Russia announced that it will conduct extensive military exercises with Chinese soldiers",
         "Putin has stated that the potential of a military alliance cannot be considered",
         (), (FIXTURES / "seed001_bare.html").read_bytes()),
    Case("seed002 feed item 1", ITEMS[0][0],
         "Moscow: Russian and Chinese bomber jets carried out a joint patrol over far eastern Russia",
         "The US military routinely carries out flights over international waters",
         FEED_CLUTTER, ITEMS[0][1]),
    Case("seed002 feed item 2", ITEMS[1][0],
         "Warsaw: China is staging army drills with Belarus this week at NATO’s eastern border",
         "But those reasons were becoming “increasingly strategic",
         FEED_CLUTTER, ITEMS[1][1]),
    Case("seed002 feed item 3", ITEMS[2][0],
         "Russian President Vladimir Putin and Chinese leader Xi Jinping on May 16 reaffirmed",
         "Mr. Putin has previously said that Russia has been sharing highly sensitive military technologies",
         FEED_CLUTTER, ITEMS[2][1]),
    Case("seed003 social repost", "https://retea.example.ro/post/48213",
         "Russian President Vladimir Putin told a senior Chinese military official Wednesday",
         "“Unlike certain aggressive Western countries, we are not creating a military bloc",
         ("Sponsor", "0", "3K", "0 3K", "Căutare", "Categorii", "Citeste mai mult", "Alte", "Opinion",
          "Bathrooms Dublin", "Address: Unit 6, Old Quarry Campus", "By lsturfaustint 2024-08-20 13:52:30 0 2K",
          "NATO: Call Russia’s bluff and let Ukraine strike back", "Last week, Russia launched one of its deadliest",
          "google-site-verification: google037b30823fc02426.html", "Îmi place", "Comentează", "Distribuie",
          "AP World News"),
         (FIXTURES / "seed003_social.html").read_bytes()),
    Case("seed004 SpaceWar AFP", "https://www.spacewar.example/reports/Russian_defence_minister_999.html",
         "Russia's defence minister has arrived in Beijing for talks with China's army leadership",
         "Last month, Russian and Chinese warships carried out joint drills in the Sea of Japan",
         ("ADVERTISEMENT", "SpaceWar.com - Your World At War", "Space News from SpaceDaily.com",
          "Maven stays silent after routine pass behind Mars", "24/7 Energy News Coverage",
          "Thorium plated steel points to smaller nuclear clocks", "Military Space News, Nuclear Weapons, Missile Defense",
          "Robots that spare warehouse workers the heavy lifting", "All rights reserved. Copyright Agence France-Presse.",
          "Subscribe Free To Our Daily Newsletters", "Sign up", "by AFP Staff Writers"),
         (FIXTURES / "seed004_spacewar.html").read_bytes()),
]


def survives(clutter: str, lines: list[str]) -> bool:
    """A short clutter string must not be a line; a long one must not be inside one."""
    return any(line == clutter or (len(clutter) > 20 and clutter in line) for line in lines)


@pytest.fixture(scope="module")
def extracted() -> dict[str, Article | None]:
    return {case.name: extract_article(case.html, case.url) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_clutter_is_gone_and_first_and_last_paragraphs_stay(case, extracted):
    article = extracted[case.name]
    assert article is not None
    lines = article.text.split("\n")
    assert lines[0].startswith(case.first)
    assert lines[-1].startswith(case.last)
    assert not [c for c in case.clutter if survives(c, lines)]
    assert all(line.strip() == line and line for line in lines)  # one paragraph per line, no blanks


def test_every_sentence_of_a_seed_article_survives(extracted):
    """seed 000 has clutter on both sides: every one of its article paragraphs comes out, in order."""
    source = lxml_html.fromstring(CASES[0].html)
    paragraphs = [p.text_content() for p in source.xpath('//div[@class="entry-content"]/p')]
    assert extracted[CASES[0].name].text.split("\n") == paragraphs


def test_feed_item_keeps_its_subheading(extracted):
    lines = extracted["seed002 feed item 2"].text.split("\n")
    at = lines.index("Strategic signal")
    assert lines[at - 1].startswith("And the exercises come as Beijing, one of Moscow’s key partners")
    assert lines[at + 1].startswith("Analysts believe that the date and location of the exercises")


def test_date_from_markup_url_and_dateline(extracted):
    assert extracted["seed000 WordPress"].published == utc(2022, 8, 17, 11, 5, 42)  # article:published_time
    assert extracted["seed001 bare"].published == utc(2022, 8, 16)  # no markup: /2022/08/16/ in the URL
    assert extracted["seed004 SpaceWar AFP"].published == utc(2024, 10, 14)  # "Moscow, Oct 14 (AFP) Oct 14, 2024"


def test_agency_from_dateline_byline_and_syndication_note(extracted):
    assert extracted["seed004 SpaceWar AFP"].agency == "AFP"
    assert extracted["seed003 social repost"].agency == "AP"  # posted by "AP World News"
    assert extracted["seed002 feed item 1"].agency == "syndicated"  # only the NDTV note says so
    assert extracted["seed002 feed item 3"].agency is None  # The Hindu's copy carries no wire marker
    assert extracted["seed000 WordPress"].agency is None


def test_canonical_url_is_absolutised_with_og_url_and_page_url_fallbacks(extracted):
    assert extracted["seed000 WordPress"].canonical_url == (
        "https://defence-daily.example/world/china-will-send-troops-to-russia-for-joint-military-training/")
    assert extracted["seed004 SpaceWar AFP"].canonical_url == (
        "https://www.spacewar.com/reports/Russian_defence_minister_in_Beijing_for_China_talks_999.html")
    assert extracted["seed001 bare"].canonical_url == CASES[1].url


def test_title_author_site_and_language(extracted):
    wordpress = extracted["seed000 WordPress"]
    assert (wordpress.title, wordpress.author, wordpress.site_name) == (
        "China will send troops to Russia for joint military training", "Newsdesk Team", "Defence Daily")
    assert extracted["seed003 social repost"].language == "en"  # lang="ro" site, English AP copy
    assert extracted["seed002 feed item 2"].title is None  # a feed item's HTML has no headline of its own


def test_to_dict_is_json_ready(extracted):
    data = json.loads(json.dumps(extracted["seed004 SpaceWar AFP"].to_dict()))
    assert set(data) == {"title", "text", "published", "author", "language", "agency", "canonical_url", "url",
                         "site_name", "description"}
    assert data["published"] == "2024-10-14T00:00:00+00:00"


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    "", b"", "   \n", "just some plain text, no markup at all " * 20, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>",
    bytes(range(256)) * 40, '{"json": "not html", "items": [1, 2, 3]}', "<html><body><nav><a href='/'>Home</a></nav></body></html>",
])
def test_no_article_gives_none(payload):
    assert extract_article(payload, "https://example.com/x") is None


@pytest.mark.parametrize("payload", [
    "<html><body><div><p>Unclosed paragraph <b>bold <i>nested" + " Russia and China held drills." * 30,
    "<p>" * 500 + "Russian and Chinese warships sailed together in the Pacific." * 10,
    b"<html><head><meta charset='utf-8'></head><body><p>\xff\xfe broken \xc3\x28 bytes " + b"Joint Sea-2024 opened. " * 20,
    "<html><body><table><tr><td><p>" + "Bombers patrolled near Alaska, the ministry said. " * 20 + "</td></tr>",
])
def test_broken_html_does_not_raise(payload):
    article = extract_article(payload, "https://example.com/x")
    assert article is not None and len(article.text) > 150


def test_options_are_validated():
    with pytest.raises(ValueError, match=r"residue pattern '\(unclosed'"):
        ExtractOptions(residue=("(unclosed",))
    with pytest.raises(ValueError, match="mode"):
        ExtractOptions(mode="greedy")


def test_outlet_residue_and_template_lines_are_dropped(extracted):
    case = CASES[0]
    plain = extracted[case.name].text.split("\n")
    sentence = plain[1]
    by_regex = extract_article(case.html, case.url, ExtractOptions(residue=(r"^Moscow declared last month",)))
    by_template = extract_article(case.html, case.url, ExtractOptions(template_lines=frozenset({line_key(sentence)})))
    for article in (by_regex, by_template):
        assert article.text.split("\n") == plain[:1] + plain[2:]


# --- the demo outlets --------------------------------------------------------------------------

# where each demo outlet prints its story, to read its first and last paragraphs independently
STORY_XPATH = {
    "artifex": '//div[@class="entry-content"]/p',
    "spacewar": '//div[@class="story"]/p',
    "kremlinwire": '//div[@class="article__text"]/p',
    "socialrepost": '//div[@class="post-text"]/text() | //div[@class="post-text"]/p',
}


def demo_pages() -> list[dict]:
    manifest = yaml.safe_load((SITES_DIR / "MANIFEST.yaml").read_text(encoding="utf-8"))
    pages = []
    for entry in manifest["articles"]:
        path = SITES_DIR / entry["path"].lstrip("/")
        path = path / "index.html" if path.is_dir() else path
        if entry["kind"] in {"article", "trap", "borderline"} and path.suffix == ".html" and path.exists():
            pages.append({**entry, "file": path})
    return pages


def story_paragraphs(page: dict) -> list[str]:
    tree = lxml_html.fromstring(page["file"].read_text(encoding="utf-8"))
    texts = [t if isinstance(t, str) else t.text_content() for t in tree.xpath(STORY_XPATH[page["outlet"]])]
    # sentences of the story, not its one-line labels ("Moscow:") or the syndication note "(Except ..."
    return [" ".join(t.split()) for t in texts if len(t.split()) >= 12 and not t.strip().startswith("(")]


@pytest.mark.skipif(not SITES_DIR.is_dir(), reason="demo sites not bundled")
@pytest.mark.parametrize("page", demo_pages(), ids=lambda page: page["path"])
def test_demo_page_clutter_gone_story_kept(page):
    html = page["file"].read_text(encoding="utf-8").replace("{{BASE}}", DEMO_BASE)
    article = extract_article(html, DEMO_BASE + page["path"])
    assert article is not None
    lines = article.text.split("\n")
    story = story_paragraphs(page)
    assert story[0] in lines[0] and lines[-1] == story[-1]
    assert not [c for c in page.get("clutter", []) if survives(c, lines)]
    assert article.title == page["title"]
    if "published" in page:
        expected = page["published"]
        expected = expected if isinstance(expected, datetime) else datetime.combine(expected, datetime.min.time())
        assert article.published == (expected if expected.tzinfo else expected.replace(tzinfo=timezone.utc))


# --- metadata helpers, one source at a time ----------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("https://artifexnews.net/2024/07/25/russian-bombers/", utc(2024, 7, 25)),
    ("https://example.com/news/2024-07-25-joint-sea-opens.html", utc(2024, 7, 25)),
    ("https://example.com/world/20240725/joint-sea/", utc(2024, 7, 25)),
    ("https://example.com/2024/13/45/not-a-date/", None),
    ("https://example.com/reports/Russian_defence_minister_999.html", None),
])
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


@pytest.mark.parametrize("text, reference, expected", [
    ("Moscow, Oct 14 (AFP) Oct 14, 2024\nRussia's defence minister arrived.", utc(2025, 1, 1), utc(2024, 10, 14)),
    ("ZHANJIANG, July 14 (Xinhua) -- The exercise opened.", utc(2024, 7, 20), utc(2024, 7, 14)),
    ("ZHANJIANG, July 14 (Xinhua) -- The exercise opened.", utc(2024, 7, 10), utc(2023, 7, 14)),  # not the future
    ("MOSCOW, October 18. /TASS/. Putin met Zhang Youxia.", utc(2023, 10, 20), utc(2023, 10, 18)),
    ("The drills will run from August 30 to September 5, Moscow said.", utc(2022, 8, 20), None),
    ("First line.\nSecond.\nThird.\nFourth.\nBEIJING, May 3 (Reuters) - late dateline", utc(2024, 6, 1), None),
    # an archive copy crawled today: the year-less dateline is not this year's (issue 11)
    ("BEIJING, Aug 18 (Xinhua) -- The Peace Mission 2005 drill opened in Vladivostok.", utc(2026, 12, 7), None),
    ("BEIJING, Aug 18 (Xinhua) -- The Peace Mission 2026 drill opened.", utc(2026, 12, 7), utc(2026, 8, 18)),
])
def test_date_from_dateline(text, reference, expected):
    assert date_from_dateline(text, reference) == expected


def test_markup_date_is_converted_to_utc_and_beats_url_and_dateline():
    assert parse_datetime("2024-07-25T07:14:00+0300") == utc(2024, 7, 25, 4, 14)
    assert published_date("2024-07-25T07:14:00+03:00", "https://x.example/2024/07/20/a", "Moscow, July 1 (AFP) -",
                          utc(2024, 8, 1)) == utc(2024, 7, 25, 4, 14)
    assert published_date(None, "https://x.example/2024/07/20/a", "Moscow, July 1 (AFP) -",
                          utc(2024, 8, 1)) == utc(2024, 7, 20)
    assert published_date(None, None, "Moscow, July 1 (AFP) -", utc(2024, 8, 1)) == utc(2024, 7, 1)


@pytest.mark.parametrize("text, author, expected", [
    ("WASHINGTON (AP) — Russia and China will hold drills.\nMore text.", None, "AP"),
    ("ZHANJIANG, July 14 (Xinhua) -- The exercise opened.", None, "Xinhua"),
    ("MOSCOW, July 25. /TASS/. Bombers flew a patrol.", None, "TASS"),
    ("Bombers flew a patrol near Alaska.\nThe flight lasted five hours. — Reuters", None, "Reuters"),
    ("Bombers flew.\n(Reporting by Guy Faulconbridge; Editing by Mark Trevelyan)", None, "Reuters"),
    ("Defence ministers met.\nAll rights reserved. Copyright Agence France-Presse.", None, "AFP"),
    ("Defence ministers met.\n© 2024 The Associated Press. All rights reserved.", None, "AP"),
    ("Defence ministers met in Beijing.", "AFP Staff Writers", "AFP"),
    ("Ekman told AFP the drills were a signal.\n(Except for the headline, this story has not been edited by "
     "NDTV staff and is published from a syndicated feed.)", None, "syndicated"),
    ("Kelly Grieco told AFP the timing was deliberate. Reuters reported the same.", "Jane Doe", None),
    # a Turkish keyboard's dotted capital I: the patterns match it as "i" (case-insensitive), the
    # agency is named all the same (it used to raise KeyError and lose the page)
    ("MOSCOW (İTAR-TASS) - Bombers flew a patrol.", None, "TASS"),
    ("Defence ministers met.\n(c) XİNHUA 2024. All rights reserved.", None, "Xinhua"),
])
def test_wire_agency(text, author, expected):
    assert detect_agency(text, author) == expected


def test_language_from_text_when_the_page_declares_another_script_or_english():
    russian = "Российские и китайские стратегические бомбардировщики выполнили совместное патрулирование. " * 5
    assert article_language(None, russian) == "ru"
    assert article_language("uk", russian) == "uk"  # Cyrillic declared stays
    assert article_language("ro", "The drills will run until Friday and the ministry said that the ships " * 5) == "en"
    assert article_language("de", "Kurz.") == "de"


# --- the page's date against the feed's, and never a date after the fetch ----------------------------------

from crawler.text.dates import choose_published  # noqa: E402

FETCHED = utc(2024, 7, 26)


def test_page_markup_and_feed_a_week_apart_keep_the_page_date_and_say_why():
    choice = choose_published(utc(2024, 7, 25), "page markup", utc(2024, 7, 18), FETCHED)
    assert (choice.published, choice.source) == (utc(2024, 7, 25), "page markup")
    assert "page's markup says 2024-07-25" in choice.note and "feed 2024-07-18" in choice.note


def test_a_date_only_guessed_from_the_url_gives_way_to_the_feed():
    choice = choose_published(utc(2024, 7, 1), "page URL", utc(2024, 7, 20), FETCHED)
    assert (choice.published, choice.source) == (utc(2024, 7, 20), "feed") and "the feed was used" in choice.note


def test_page_and_feed_within_a_day_agree_without_a_note():
    choice = choose_published(utc(2024, 7, 25, 9), "page markup", utc(2024, 7, 25, 4), FETCHED)
    assert (choice.published, choice.source, choice.note) == (utc(2024, 7, 25, 9), "page markup", None)


@pytest.mark.parametrize("page, feed", [
    (utc(2024, 7, 26, 6), None),               # hours after the fetch: the page's clock or a time zone
    (utc(2030, 1, 1), utc(2031, 1, 1)),        # both wrong
    (None, utc(2024, 8, 2)),                   # a feed dated next week
])
def test_never_a_date_after_the_fetch(page, feed):
    choice = choose_published(page, "page markup" if page else None, feed, FETCHED)
    assert choice.published is None and "after the fetch" in choice.note


def test_a_future_page_date_falls_back_to_the_feed_date():
    choice = choose_published(utc(2030, 1, 1), "page markup", utc(2024, 7, 25), FETCHED)
    assert (choice.published, choice.source) == (utc(2024, 7, 25), "feed") and "2030-01-01" in choice.note


def _front_page(count: int) -> str:
    """A front page of teasers whose first one sits alone in its own <article> list (the fast mode
    takes that one and stops)."""
    def teaser(n: int) -> str:
        return (f'<li><article><h2><a href="/news/{n}.html">Patrol ship No. {n} returns from its longest patrol</a>'
                f'</h2><p>Sailors from patrol ship No. {n} spent {n + 3} days at sea this month, rehearsing convoy '
                f'escorts, night landings and the rescue of a crew from a burning tanker, the fleet said.</p>'
                f'<p>Its captain, Oleg Marin, said the crew would rest for a week before the winter exercises.</p>'
                f'<p>By Anna Petrova</p></article></li>')
    rest = "".join(teaser(n) for n in range(2, count + 1))
    return (f"<!doctype html><html><head><title>Fleet Daily</title></head><body><main><section><ol>{teaser(1)}</ol>"
            f"</section><section><div><ol>{rest}</ol></div></section></main></body></html>")


def test_when_the_fast_mode_keeps_a_sliver_of_the_page_the_full_cascade_is_used():
    article = extract_article(_front_page(20), "http://fleet.example/")
    assert article is not None
    assert "patrol ship No. 1 spent 4 days" in article.text and "patrol ship No. 20 spent 23 days" in article.text


def test_a_block_of_column_teasers_under_the_article_is_not_part_of_it():
    # the template puts "More ... Columns" inside the <article>: kicker + linked headline, a dek each
    story = ["The harbour board approved the new dues on Tuesday after a debate that lasted most of the night.",
             "Shipping firms said the rise would be passed on to their customers within weeks, not months.",
             "The board will review the dues again in the spring, its chairwoman told reporters afterwards."]
    cards = [("Editorial", "harbour-dues", "Harbour dues must fall again",
              "THE board has missed its chance to make the port cheaper for everyone who uses it."),
             ("Tides of change", "fishermen", "Fishermen deserve a better deal",
              "ANNA PETROVA The fleet has shrunk by half in ten years, and nobody in charge seems to care."),
             ("Night shift", "cranes", "Cranes that never sleep at the terminal",
              "TOM REED Why the busiest crane drivers in the country want a four-day week at last.")]
    block = "".join(f'<h4><strong>{kicker}</strong> <a href="/opinion/{slug}.html">{headline}</a></h4><p>{dek}</p>'
                    for kicker, slug, headline, dek in cards)
    page = ("<!doctype html><html><head><title>Board approves new harbour dues</title></head><body>"
            "<h1>Board approves new harbour dues</h1><article>" + "".join(f"<p>{p}</p>" for p in story)
            + "<h2>More Harbour Columns</h2>" + block + "</article></body></html>")
    article = extract_article(page, "http://harbour.example/news/dues.html")
    assert article is not None and article.text.splitlines() == story


def test_agency_detection_skips_only_searches_that_cannot_match():
    """detect_agency runs each pattern only on lines holding the characters the pattern must match (a
    quick test): the same answers as running every search, on every text here (the demo pages as HTML
    and as extracted text, bench/crawl.py's generated texts, and made-up datelines, sign-offs and
    footers in odd cases)."""
    import random
    import re
    import sys

    from crawler.text import metadata
    from crawler.text.extract import extract_article

    def every_search(lines):
        for line in lines[:4]:
            if match := metadata._DATELINE_TAG.search(line[:200]):
                return metadata._canonical_agency(match.group(1) or match.group(2))
        for line in lines[-6:]:
            if match := metadata._SIGNOFF.search(line):
                return metadata._canonical_agency(match.group(1))
            if metadata._REUTERS_CREDIT.match(line):
                return "Reuters"
        for line in lines[:4] + lines[-10:]:
            if match := metadata._FOOTER.regex.search(line):
                return metadata._canonical_agency(match.group(1))
        return None

    sys.path.insert(0, str(SITES_DIR.parent.parent.parent / "bench"))
    import crawl as bench_crawl

    rng = random.Random(5)
    pages = [page.read_text(encoding="utf-8") for page in sorted(SITES_DIR.rglob("*.html"))]
    texts = pages + [(a.text if a else "") for a in (extract_article(t, "http://127.0.0.1/x.html") for t in pages)]
    texts += ["\n".join(bench_crawl.sentence(rng) for _ in range(rng.randint(1, 20))) for _ in range(200)]
    marks = ["MOSCOW, Oct 14 (AFP) -", "Washington (ap) —", "MOSCOW, July 25. /TASS/.", "(Xinhua)", "/tass/",
             "said. — Reuters", "-- Xinhua", "– dpa", "Copyright Agence France-Presse", "© 2024 The Associated Press",
             "(c) AP", "COPYRIGHT REUTERS", "CopyrİGHT Reuters", "(C) 2024 Kyodo", "copy right AFP",
             "(Reporting by A B; Editing by C D)", "AFP (AFP)", "Ｃｏｐｙｒｉｇｈｔ AFP", "(AFP", "AFP)"]
    for _ in range(300):
        lines = [rng.choice(marks + [bench_crawl.sentence(rng)] * 3) for _ in range(rng.randint(1, 16))]
        texts.append("\n".join(lines))
    assert len(texts) > 500
    for text in texts:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert metadata._agency_in_lines(lines) == every_search(lines)


def test_letters_are_counted_by_removing_the_rest():
    """text_language counts letters as what is left once every non-letter is removed: the two classes
    split every character, so the count is the one of matching each letter."""
    import re

    from crawler.text import metadata

    everything = "".join(map(chr, range(0x110000)))
    letters = metadata._LETTER.findall(everything)
    assert len(metadata._NOT_LETTERS.sub("", everything)) == len(letters)
    assert "".join(metadata._NOT_LETTERS.split(everything)) == "".join(letters)
    assert not re.search(r"[^\W\d_]", "".join(metadata._NOT_LETTERS.findall(everything)))


def test_ascii_text_gets_the_language_guess_of_the_full_count():
    """text_language counts an ASCII text's letters with bytes.translate and skips the Han, kana and Cyrillic
    counts (it has none): the same guesses as the full count, on random texts around the 100-letter floor
    and the 15 % share of English words, ASCII or not."""
    import random
    import re

    from crawler.text import metadata

    def plain(text):
        head = text[:1500]
        letters = len(re.findall(r"[^\W\d_]", head))
        if letters < 100:
            return None
        if len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff]", head)) > letters / 3:
            return "ja" if re.search(r"[\u3040-\u30ff]", head) else "zh"
        if len(re.findall(r"[\u0400-\u04ff]", head)) > letters / 2:
            return "ru"
        words = re.findall(r"[a-z]+", head.lower())
        return "en" if words and sum(w in metadata._ENGLISH for w in words) > 0.15 * len(words) else None

    rng = random.Random(2)
    pieces = ["the ", "and ", "of ", "Said ", "xyz ", "ABC", ".,", "\n", " 12", "_", "Войска ", "中国", "の"]
    texts = ["".join(rng.choice(pieces[:9] if n % 2 else pieces) for _ in range(rng.randint(0, 500)))
             for n in range(2000)]
    texts += ["Войска " * n + "the " * 20 for n in range(10, 40)] + ["中国" * n + " the" * 20 for n in range(30, 90)]
    guesses = [metadata.text_language(text) for text in texts]
    assert guesses == [plain(text) for text in texts]
    assert {"en", None, "ru", "zh"} <= set(guesses)
