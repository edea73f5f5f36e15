"""One story however many outlets carried it: fingerprints, near-duplicate decisions (pure), the persistent
LSH index on SQLite, PostgreSQL and Redis, and the demo outlets crawled end to end."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from crawler.demo.server import SITES_DIR
from crawler.text.dedup import (Sketch, content_hash, fingerprint_and_signature, is_near_duplicate, jaccard,
                                minhash, shingles, signature_of, similarity)
from crawler.text.extract import extract_article
from storage.articles import ArticleData, StoreOptions, store_article
from storage.db import make_engine, session_scope
from storage.dedup import LEAD_BAND, LshIndex, RedisLshIndex, SqlLshIndex, find_copy, rebuild_sql_index
from storage.models import Article, LshBucket, Story
from tests.conftest import REDIS_URL, crawl_demo, run_drillwatch, service_missing

ALASKA = {
    "artifex": "/artifex/russian-and-chinese-bombers-patrol-near-alaska-in-joint-military-exercise-6185288/",
    "spacewar": "/spacewar/reports/Russia_China_fly_joint_bomber_patrol_near_Alaska_999.html",
    "kremlinwire": "/kremlinwire/defense/2024/07/25/russian-chinese-strategic-bombers-conduct-joint-air-patrol-near-alaska.html",
}
PUTIN_ZHANG = {
    "socialrepost": "/socialrepost/post/48213.html",
    "kremlinwire": "/kremlinwire/politics/2023/10/18/putin-meets-vice-chairman-of-chinas-central-military-commission.html",
}


def demo_text(path: str) -> str:
    file = SITES_DIR / path.strip("/")
    file = file / "index.html" if file.is_dir() else file
    html = file.read_text(encoding="utf-8").replace("{{BASE}}", "http://127.0.0.1:8000")
    return extract_article(html, "http://127.0.0.1:8000" + path).text


WIRE = ("Russian and Chinese strategic bombers flew a joint patrol over the Bering Sea close to Alaska, the Russian "
        "defence ministry said on Thursday.\n"
        "According to the ministry, Tu-95MS missile carriers and Xian H-6 bombers flew over the Chukchi and Bering "
        "Seas and the northern Pacific Ocean.\n"
        "NORAD said American and Canadian fighter jets had intercepted two Russian and two Chinese bombers flying "
        "in international airspace off Alaska on Wednesday, and that they were not regarded as a threat.\n"
        "Moscow said the flight complied with international law and was not aimed at third countries.\n"
        "Beijing and Moscow have grown closer in recent years and regularly stage joint military drills, including "
        "air patrols over the Sea of Japan and the East China Sea.\n"
        "The US military regularly flies over international waters, but Moscow has reacted more forcefully to such "
        "flights in recent months.")
WIRE_ELSEWHERE = ("Moscow (AFP) - Updated 10:32 GMT\n" + WIRE.rsplit("\n", 1)[0]
                  + "\nShare this:\nRelated Posts\nLeave a Reply")  # other clutter, last paragraph trimmed
OTHER_REPORT = ("Strategic missile carriers of Russia and China conducted a joint air patrol over the Chukchi and "
                "Bering seas, the Defense Ministry reported on July 25.\n"
                "The group included Tu-95MS aircraft of the Aerospace Forces and H-6K planes of the People's "
                "Liberation Army Air Force.\n"
                "The patrol became the eighth such flight organised by the two militaries since 2019, the "
                "ministry said, and at some stages the bombers were accompanied by foreign fighters.\n"
                "The flight lasted more than five hours and was carried out in strict accordance with "
                "international law.")


# --- pure ---------------------------------------------------------------------------------------------

def test_fingerprint_ignores_whitespace_case_quotes_and_timestamps_but_not_words():
    base = content_hash('Russia said the patrol was "not aimed at third countries".\nNORAD tracked it.')
    assert content_hash('  russia said the patrol was “not aimed at third countries”.\n\n NORAD  tracked it. ') == base
    assert content_hash('Updated 10:32 GMT\nRussia said the patrol was "not aimed at third countries".\n'
                        'NORAD tracked it.\n3 hours ago') == base
    assert content_hash('Russia said the patrol was "aimed at third countries".\nNORAD tracked it.') != base
    inline = 'Moscow (AFP) - Updated 10:32 GMT - Russia said the patrol was "not aimed at third countries".'
    assert content_hash(inline) == content_hash('Moscow (AFP) - - Russia said the patrol was "not aimed at third countries".')


def test_the_workers_fingerprint_and_signature_are_what_storage_computes_from_the_text():
    for text in (WIRE, WIRE_ELSEWHERE, "Updated 10:32 GMT\nShort text.", ""):
        for sketch in (Sketch(), Sketch(num_perm=64, shingle_words=3)):
            assert fingerprint_and_signature(text, sketch) == (
                content_hash(text), signature_of(text, sketch.num_perm, sketch.shingle_words))


def test_wire_copy_with_other_clutter_and_trim_is_a_near_duplicate_and_a_rewrite_is_not():
    assert jaccard(shingles(WIRE), shingles(WIRE_ELSEWHERE)) > 0.7
    assert is_near_duplicate(signature_of(WIRE), signature_of(WIRE_ELSEWHERE))
    assert not is_near_duplicate(signature_of(WIRE), signature_of(OTHER_REPORT))


def test_the_lead_sketch_tokenises_only_the_lead_and_gives_what_the_whole_text_gave():
    """lead_sketch reads the first 60 words only (the analysis workers compute it with the signature); its
    sketch is the one of the first 60 words of all the text's words, on every text here: the demo pages'
    articles, and made-up texts around the 60-word edge, with casefolding that changes words."""
    from crawler.text.dedup import LEAD_PERM, LEAD_SEED, LEAD_WORDS, lead_sketch
    from crawler.text.minhash import Signature

    def whole_text_lead(text):
        tokens = re.findall(r"\w+", (text or "").casefold())[:LEAD_WORDS]
        if len(tokens) < LEAD_WORDS:
            return None
        return Signature.of([" ".join(tokens[i:i + 4]).encode("utf-8") for i in range(len(tokens) - 3)],
                            LEAD_PERM, LEAD_SEED).serialize()
    texts = [page.read_text(encoding="utf-8") for page in sorted(SITES_DIR.rglob("*.html"))]
    texts += [(a.text if a else "") for a in (extract_article(t, "http://127.0.0.1/x.html") for t in texts)]
    words = "İstanbul Straße ǅemal naïve ﬁsh ΣΊΣΥΦΟΣ a_b 42 x".split()
    texts += [" ".join(words[i % len(words)] + ("," if i % 7 == 0 else "") for i in range(n))
              for n in (0, 1, 58, 59, 60, 61, 62, 100, 300)]
    texts += [None, "", "\n\n", "— ’ “” …"]
    assert len(texts) > 40
    for text in texts:
        lead = lead_sketch(text)
        assert (lead.serialize() if lead is not None else None) == whole_text_lead(text)


def test_ascii_text_is_split_into_the_words_the_regex_finds():
    """ASCII text is split into words with bytes.translate and bytes.split, other text with the regex: the
    word count, the lead sketch and the signature are those of the regex's words, on random ASCII texts
    of every character (around the 60-word lead) and the same texts with a non-ASCII letter."""
    import random

    from crawler.text import dedup
    from crawler.text.minhash import Signature
    from crawler.text.words import utf8_words, word_count

    def plain_lead(text):
        tokens = re.findall(r"\w+", text.casefold())[:60]
        if len(tokens) < 60:
            return None
        return Signature.of([" ".join(tokens[i:i + 4]).encode("utf-8") for i in range(len(tokens) - 3)], 32, 7).serialize()

    rng = random.Random(5)
    alphabet = [chr(c) for c in range(128)] + list("aeiouAEIOU _-  \n") * 4
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 600))) for _ in range(3000)]
    texts += [text + " Straße" for text in texts[:300]]
    for text in texts:
        assert utf8_words(text) == [word.encode("utf-8") for word in re.findall(r"\w+", text)]
        assert word_count(text) == len(re.findall(r"\w+", text))
        assert dedup.shingle_count(text) == max(1, len(re.findall(r"\w+", text)) - 3)
        lead = dedup.lead_sketch(text)
        assert (lead.serialize() if lead is not None else None) == plain_lead(text)


def test_the_quicker_normalisation_and_signature_give_what_the_plain_ones_gave():
    """meaningful_lines skips the case-blind stamp search when a quick test says it cannot match, and
    collapses whitespace with str.split; signatures hash a list. Same fingerprints and signatures as the
    plain code (kept here) on every text: the demo pages (HTML and extracted text), bench/crawl.py's
    generated pages, and made-up lines with stamps in odd cases and odd whitespace."""
    import hashlib as _hashlib
    import random
    import sys

    from crawler.text import dedup
    from crawler.text.minhash import Signature

    def plain_lines(text):
        lines = []
        for line in text.translate(dedup._QUOTES).splitlines():
            if dedup.is_volatile(line):
                continue
            line = dedup.INLINE_STAMP.regex.sub(" ", line)
            line = re.sub(r"\s+", " ", line).strip().casefold()
            if line:
                lines.append(line)
        return lines

    def plain(text):
        normal = " ".join(plain_lines(text))
        grams = dedup._shingles(re.findall(r"\w+", normal), 4)
        signature = Signature.of([g.encode("utf-8") for g in grams], 128, 1)  # datasketch's: test below
        return _hashlib.sha256(normal.encode("utf-8")).hexdigest(), signature.serialize()

    sys.path.insert(0, str(SITES_DIR.parent.parent.parent / "bench"))
    import crawl as bench_crawl

    rng = random.Random(3)
    texts = [page.read_text(encoding="utf-8") for page in sorted(SITES_DIR.rglob("*.html"))]
    texts += [(a.text if a else "") for a in (extract_article(t, "http://127.0.0.1/x.html") for t in texts)]
    texts += ["\n".join(bench_crawl.sentence(rng) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    stamps = ["Updated 10:32 GMT", "UPDATED: 3 June 2024", "Modİfied on 2024-06-03 at 10:00", "EDİTED 4/6/24",
              "last modıfied 3 June 2024", "(Updated 10:32 GMT)", "edited", "3 comments", "5 min read",
              "The update came in a modest tone", "pdat MOD ted", "Ｕｐｄａｔｅｄ 10:32"]
    spaces = [" ", "  ", "\t", "\u00a0", "\u2009", "\u3000", "\x1c", "\x85", "\u2028", "\r\n"]
    for _ in range(300):
        parts = [rng.choice(stamps + [bench_crawl.sentence(rng)]) for _ in range(rng.randint(1, 8))]
        texts.append("".join(part + rng.choice(spaces) for part in parts))
    assert len(texts) > 600
    for text in texts:
        assert dedup.meaningful_lines(text) == plain_lines(text)
        assert dedup.fingerprint_and_signature(text) == plain(text)


def test_signatures_are_datasketchs_bit_for_bit():
    """Signatures are computed without importing datasketch (crawler.text.minhash): a database filled by
    datasketch itself, and one filled now, must hold the same bytes and the same band keys."""
    from datasketch import LeanMinHash, MinHash

    from storage.dedup import LEAD_PERM, band_keys, decode, lead_sketch
    for text, num_perm, seed in ((WIRE, 128, 1), (OTHER_REPORT, 64, 1), ("", 128, 1), (WIRE, 32, 7)):
        reference = MinHash(num_perm=num_perm, seed=seed)
        reference.update_batch([gram.encode("utf-8") for gram in shingles(text)])
        lean = LeanMinHash(reference)
        buf = bytearray(lean.bytesize())
        lean.serialize(buf)
        ours = minhash(text, num_perm, seed=seed)
        assert ours.serialize() == bytes(buf)
        assert band_keys(ours, 8, 4) == band_keys(lean, 8, 4) == band_keys(decode(bytes(buf)), 8, 4)
        assert LeanMinHash.deserialize(ours.serialize()).jaccard(lean) == 1.0
    words = re.findall(r"\w+", WIRE.casefold())[:60]
    reference = MinHash(num_perm=LEAD_PERM, seed=7)
    reference.update_batch([" ".join(words[i:i + 4]).encode("utf-8") for i in range(len(words) - 3)])
    assert list(lead_sketch(WIRE).hashvalues) == list(reference.hashvalues)
    legacy = MinHash(num_perm=128, seed=1, scheme="legacy")  # signatures stored before datasketch 2.0
    legacy.update_batch([gram.encode("utf-8") for gram in shingles(WIRE)])
    buf = bytearray(LeanMinHash(legacy).bytesize())
    LeanMinHash(legacy).serialize(buf)
    assert decode(bytes(buf)).jaccard(LeanMinHash(legacy)) == 1.0


def test_demo_afp_copies_are_near_duplicates_and_the_tass_style_report_is_not():
    artifex, spacewar, kremlin = (signature_of(demo_text(ALASKA[k])) for k in ("artifex", "spacewar", "kremlinwire"))
    assert similarity(artifex, spacewar) > 0.8
    assert similarity(artifex, kremlin) < 0.2 and similarity(spacewar, kremlin) < 0.2
    assert not is_near_duplicate(signature_of(demo_text(PUTIN_ZHANG["socialrepost"])),
                                 signature_of(demo_text(PUTIN_ZHANG["kremlinwire"])))


def test_minhash_estimate_tracks_the_exact_jaccard():
    exact = jaccard(shingles(WIRE), shingles(WIRE_ELSEWHERE))
    assert abs(minhash(WIRE).jaccard(minhash(WIRE_ELSEWHERE)) - exact) < 0.12
    assert similarity(signature_of(WIRE), signature_of(WIRE)) == 1.0


# --- storage: SQLite and PostgreSQL -----------------------------------------------------------------------

JULY_25 = datetime(2024, 7, 25, 8, 40, tzinfo=timezone.utc)


def data(outlet: str, text: str, published: datetime | None = JULY_25, title: str = "Joint patrol",
         url: str | None = None, **kw) -> ArticleData:
    url = url or f"https://{outlet}.example/{uuid.uuid4().hex[:8]}"
    return ArticleData(outlet=outlet, url=url, canonical_url=url, title=title, text=text,
                       content_hash=content_hash(text), published_at=published, minhash=signature_of(text), **kw)


def store(engine, item: ArticleData, index: LshIndex):
    with session_scope(engine) as session:
        return store_article(session, item, StoreOptions(index=index))


def story_of(engine, article_id: int) -> tuple[Story, list[str]]:
    with session_scope(engine) as session:
        article = session.get(Article, article_id)
        story = session.get(Story, article.story_id)
        outlets = sorted(session.scalars(select(Article.outlet).where(Article.story_id == story.id)))
        return story, outlets


def test_near_copy_in_another_outlet_joins_the_story_and_the_earliest_copy_is_origin(engine):
    later = store(engine, data("artifex", WIRE, JULY_25 + timedelta(minutes=49), "Bombers patrol near Alaska"),
                  SqlLshIndex())
    # a new process, a new index object: the buckets live in the database
    earlier = store(engine, data("spacewar", WIRE_ELSEWHERE, JULY_25, "Russia, China fly joint patrol"), SqlLshIndex())
    assert earlier.status == "new" and earlier.copy_of == later.article_id and earlier.similarity >= 0.5
    story, outlets = story_of(engine, earlier.article_id)
    assert outlets == ["artifex", "spacewar"] and story.copies == 2
    assert story.origin_article_id == earlier.article_id and story.title == "Russia, China fly joint patrol"


def test_origin_falls_back_to_first_fetch_without_publication_dates(engine):
    first = store(engine, data("artifex", WIRE, None, fetched_at=JULY_25), SqlLshIndex())
    second = store(engine, data("spacewar", WIRE_ELSEWHERE, None, fetched_at=JULY_25 + timedelta(hours=1)),
                   SqlLshIndex())
    story, _ = story_of(engine, second.article_id)
    assert second.story_id == first.story_id and story.origin_article_id == first.article_id


def test_a_different_report_of_the_same_event_is_another_story(engine):
    wire = store(engine, data("spacewar", WIRE), SqlLshIndex())
    other = store(engine, data("kremlinwire", OTHER_REPORT), SqlLshIndex())
    assert other.copy_of is None and other.story_id != wire.story_id


class EveryArticle:
    """A brute-force index (every stored article is a candidate): shows that candidates must be confirmed."""
    threshold = 0.5

    def candidates(self, session, sketch, lead=None):
        return set(session.scalars(select(Article.id)))

    def add(self, session, article_id, sketch, lead=None):
        pass

    def remove(self, session, article_id):
        pass


def test_candidates_below_the_threshold_are_not_merged(engine):
    with session_scope(engine) as session:
        wire = store_article(session, data("spacewar", WIRE), StoreOptions(index=EveryArticle()))
        half = "\n".join(WIRE.splitlines()[:2]) + "\n" + OTHER_REPORT  # shares a third of its shingles
        other = store_article(session, data("kremlinwire", half), StoreOptions(index=EveryArticle()))
        assert other.story_id != wire.story_id
        close = data("artifex", WIRE_ELSEWHERE)
        assert find_copy(session, EveryArticle(), minhash(close.text)).article_id == wire.article_id


def test_sql_index_writes_one_bucket_per_band_and_follows_an_edited_text(engine):
    index = SqlLshIndex()
    original = data("spacewar", WIRE)
    result = store(engine, original, index)
    edited = data("spacewar", OTHER_REPORT, url=original.url)  # the same article, rewritten
    assert store(engine, edited, index).status == "updated"
    with session_scope(engine) as session:
        bands = session.scalars(select(LshBucket.band).where(LshBucket.article_id == result.article_id)).all()
        assert len([band for band in bands if band < LEAD_BAND]) == index.bands  # and the lead's bands above
        assert find_copy(session, index, minhash(OTHER_REPORT)).article_id == result.article_id
        assert find_copy(session, index, minhash(WIRE)) is None


def test_rebuilding_the_sql_index_for_another_threshold_keeps_finding_copies(engine):
    first = store(engine, data("artifex", WIRE), SqlLshIndex())
    store(engine, data("kremlinwire", OTHER_REPORT), SqlLshIndex())
    stricter = SqlLshIndex(threshold=0.8)
    with session_scope(engine) as session:
        assert rebuild_sql_index(session, stricter) == 2
        assert len(session.scalars(select(LshBucket.id).where(LshBucket.band < LEAD_BAND)).all()) == 2 * stricter.bands
    copy = store(engine, data("spacewar", WIRE.replace("Thursday", "Wednesday")), stricter)
    assert copy.copy_of == first.article_id and copy.similarity >= 0.8


@pytest.mark.redis
def test_redis_index_through_datasketch_groups_copies_and_persists(sqlite_url):
    import redis

    basename = f"drillwatch-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        service_missing(f"Redis not reachable at {REDIS_URL}: {exc}")
    engine = make_engine(sqlite_url)
    from storage.db import init_db
    init_db(engine)
    try:
        first = store(engine, data("artifex", WIRE), RedisLshIndex(REDIS_URL, basename))
        second = store(engine, data("spacewar", WIRE_ELSEWHERE), RedisLshIndex(REDIS_URL, basename))
        other = store(engine, data("kremlinwire", OTHER_REPORT), RedisLshIndex(REDIS_URL, basename))
        assert second.story_id == first.story_id and second.copy_of == first.article_id
        assert other.story_id != first.story_id
        assert client.keys(basename + "*"), "datasketch wrote no keys under the basename"
        with session_scope(engine) as session:
            assert session.scalars(select(LshBucket.id)).all() == []  # the SQL table stays unused
    finally:
        keys = client.keys(basename + "*")
        if keys:
            client.delete(*keys)
        engine.dispose()


# --- end to end: the demo outlets ---------------------------------------------------------------------------

@pytest.mark.slow
def test_demo_wire_story_on_two_outlets_is_one_story_and_the_other_report_stays_apart(db_url, demo_server):
    crawl_demo(db_url, demo_server, "artifex", "spacewar", "kremlinwire")
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        by_path = {a.url.removeprefix(demo_server.url): a for a in session.scalars(select(Article))}
        artifex, spacewar, kremlin = (by_path[ALASKA[k]] for k in ("artifex", "spacewar", "kremlinwire"))
        assert artifex.story_id == spacewar.story_id != kremlin.story_id
        story = session.get(Story, spacewar.story_id)
        assert story.copies == 2 and story.origin_article_id == spacewar.id  # AFP at 08:40, NDTV copy 09:29
    engine.dispose()

    rows = json.loads(run_drillwatch("articles", "--limit", "50", "--json", db=db_url).stdout)
    alaska = [r for r in rows if r["story_id"] == spacewar.story_id]
    assert [(r["id"], r["copies"]) for r in alaska] == [(spacewar.id, 2)]
    assert len(rows) == len({r["story_id"] for r in rows})
    in_artifex = json.loads(run_drillwatch("articles", "--outlet", "artifex", "--limit", "50", "--json",
                                           db=db_url).stdout)
    assert [(r["id"], r["copies"]) for r in in_artifex if r["story_id"] == spacewar.story_id] == [(artifex.id, 2)]

    shown = json.loads(run_drillwatch("show", str(artifex.id), "--json", db=db_url).stdout)
    assert [(c["outlet"], c["origin"]) for c in shown["copies_in_other_outlets"]] == [("spacewar", True)]
    assert shown["copies"] == 2 and shown["origin"] is False
    table = run_drillwatch("show", str(kremlin.id), db=db_url).stdout
    assert "no copies in other outlets" in table and "Chukchi" in table


# --- copies across templates: trimmed, "Read more" tail, another headline -------------------------------

STORY = [
    "The navies of Russia and China opened a joint exercise in the Sea of Japan on Monday, sending eleven "
    "warships and two submarines to waters south of Vladivostok, the Russian Pacific Fleet said.",
    "The drills, the fleet said, would rehearse anti-submarine warfare, air defence of a naval group and the "
    "rescue of a disabled submarine, and would last until the end of the week.",
    "Chinese state media said the destroyers Xining and Urumqi had sailed from Qingdao on Saturday with a supply "
    "ship and would be joined by naval aviation over the open sea.",
    "Japan's defence ministry said it was watching the ships closely and had sent patrol aircraft from its base "
    "at Hachinohe to follow the group as it crossed the strait.",
    "Analysts in Tokyo said the exercise was larger than last year's and came days before a summit of the "
    "leaders of Japan, South Korea and the United States in Washington.",
    "The Russian fleet said a joint staff aboard the corvette Sovershenny directed the drills and that officers "
    "of both navies had planned them together over two months of meetings.",
    "After the exercise, the fleet added, several ships would sail on to a joint patrol in the western Pacific, "
    "the fifth such patrol since the two navies began them in 2021.",
    "Beijing said the exercise was part of an annual plan of cooperation and was not aimed at any third "
    "country or related to the current international and regional situation.",
    "The two militaries have held joint naval drills every year since 2012, and their aircraft have flown "
    "joint bomber patrols over the Sea of Japan and the East China Sea.",
    "The next round of staff talks between the two navies is planned for the autumn in Shanghai, where officers "
    "will review the drills and prepare next year's programme, the fleet said.",
]


def outlet_page(headline: str, paragraphs: list[str], chrome: str, tail: str = "") -> str:
    """One outlet's template around an article: navigation, headline, body, a tail, a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><title>{headline} | {chrome}</title></head><body>"
            f"<nav><a href='/'>{chrome}</a> <a href='/world'>World</a> <a href='/defence'>Defence</a></nav>"
            f"<article><h1>{headline}</h1>{body}{tail}</article>"
            f"<footer><p>{chrome} is published by {chrome} Media Group.</p></footer></body></html>")


def stored_page(engine, outlet: str, html: str) -> ArticleData:
    url = f"https://{outlet}.example/news/{uuid.uuid4().hex[:8]}"
    article = extract_article(html, url)
    fingerprint, signature = fingerprint_and_signature(article.text)
    return ArticleData(outlet=outlet, url=url, canonical_url=url, title=article.title, text=article.text,
                       content_hash=fingerprint, minhash=signature)


def test_a_copy_cut_short_with_a_read_more_tail_on_another_template_joins_its_story(engine):
    original = stored_page(engine, "fleetnews", outlet_page("Russia and China open naval drills", STORY,
                                                            "Fleet News"))
    cut = stored_page(engine, "harbourpost", outlet_page(
        "Eleven warships as Moscow and Beijing drill near Japan", STORY[:4], "Harbour Post",
        tail="<p><a href='/full/drills-story'>Read more</a></p>"))
    assert "Read more" not in cut.text and cut.text.splitlines() == STORY[:4]
    assert jaccard(shingles(original.text), shingles(cut.text)) < 0.5  # too short for the Jaccard test alone
    first = store(engine, original, SqlLshIndex())
    copy = store(engine, cut, SqlLshIndex())
    assert copy.copy_of == first.article_id and copy.story_id == first.story_id
    story, outlets = story_of(engine, copy.article_id)
    assert outlets == ["fleetnews", "harbourpost"] and story.copies == 2


def test_a_story_that_opens_like_another_but_goes_on_differently_is_another_story(engine):
    follow_up = STORY[:2] + [OTHER_REPORT.replace("\n", " "), WIRE.replace("\n", " ")]
    first = store(engine, stored_page(engine, "fleetnews", outlet_page("Naval drills open", STORY, "Fleet News")),
                  SqlLshIndex())
    other = store(engine, stored_page(engine, "harbourpost", outlet_page("Drills and patrols", follow_up,
                                                                         "Harbour Post")), SqlLshIndex())
    assert other.copy_of is None and other.story_id != first.story_id
