"""Near-duplicate ingestion at scale: does storing one article stay as cheap at 100,000 as at 1,000?

    .venv/bin/python bench/dedup.py [--articles 100000] [--db URL] [--lsh sql|redis://...] [--dup-share 0.1]

Generates synthetic news texts (Zipf-like vocabulary, 8-14 paragraphs), a share of them planted
near-duplicates of an earlier text (other clutter lines, a trimmed last paragraph or two, a few words
changed, another headline: the wire-copy pattern) and a share of "same event, other report" texts that
reuse single sentences but not the copy. Every text goes through the real path: fingerprint + MinHash
(crawler.text.dedup), then storage.articles.store_article with the persistent LSH index, one transaction
per article as in a crawl. Prints ms/article (wall clock, and this process's CPU time, which other
processes on a busy machine do not inflate) over the 1,000-article batch ending at 1k, 10k, 25k, 50k, 75k
and 100k, and recall / precision of the near-duplicate grouping on the planted pairs.
Default database: a fresh SQLite file in a temp dir.

    .venv/bin/python bench/dedup.py --real [--limit N]

Copies across real page templates: every AEB and Readability real-site page with a story of 5+
paragraphs is an original; its extracted paragraphs are placed in another site's page (the other page's
own article paragraphs taken out, its headline kept, so the copy has a different headline), in turn
(1) whole, (2) trimmed by its last paragraph, (3) cut to its first 60 % with a "Read more" link tail,
(4) trimmed by a paragraph with a "Read more" tail. Originals and copies go through the real path
(extract_article, fingerprint + MinHash, store_article with the SQL LSH index); prints near-duplicate
recall (copies that joined their original's story) and precision (joins that were right, originals
included: two different real articles must never merge), per kind of copy.
"""
from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawler.text.dedup import content_hash, signature_of  # noqa: E402
from storage.articles import ArticleData, StoreOptions, store_article  # noqa: E402
from storage.db import init_db, make_engine, session_scope  # noqa: E402
from storage.dedup import index_name, make_index  # noqa: E402

CHECKPOINTS = (1_000, 10_000, 25_000, 50_000, 75_000, 100_000, 250_000, 500_000, 1_000_000)
CLUTTER = ["Share this:", "Related Posts", "Leave a Reply", "Advertisement", "Source link", "Read more",
           "Follow us on Telegram", "Sign up for our newsletter"]


class Corpus:
    def __init__(self, seed: int = 5, vocabulary: int = 30_000):
        self.rng = random.Random(seed)
        self.words = [f"w{i}" for i in range(vocabulary)]
        weights = [1 / (rank + 1) ** 0.9 for rank in range(vocabulary)]  # Zipf-like
        self.cum_weights = list(itertools.accumulate(weights))

    def sentence(self) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cum_weights, k=self.rng.randint(10, 26))).capitalize() + "."

    def article(self) -> str:
        return "\n".join(" ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))
                         for _ in range(self.rng.randint(8, 14)))

    def wire_copy(self, text: str) -> str:
        """Other clutter, the last paragraph or two trimmed, a few words changed."""
        paragraphs = text.split("\n")
        paragraphs = paragraphs[:len(paragraphs) - self.rng.randint(0, 2)]
        words = " \n ".join(paragraphs).split(" ")
        for _ in range(self.rng.randint(0, 6)):
            words[self.rng.randrange(len(words))] = self.rng.choice(self.words)
        body = " ".join(words).replace(" \n ", "\n")
        return "\n".join([self.rng.choice(CLUTTER), body, *self.rng.sample(CLUTTER, 2)])

    def other_report(self, text: str) -> str:
        """Same event: two of its sentences quoted, the rest written anew."""
        quoted = self.rng.sample([s + "." for s in text.replace("\n", " ").split(". ") if s], 2)
        return "\n".join([*quoted, *self.article().split("\n")[:8]])


def generate(count: int, dup_share: float, seed: int):
    """(text, planted original index or None, kind) for each article."""
    corpus = Corpus(seed)
    texts: list[str] = []
    for n in range(count):
        roll = corpus.rng.random()
        if texts and roll < dup_share:
            original = corpus.rng.randrange(len(texts))
            text, planted, kind = corpus.wire_copy(texts[original]), original, "copy"
        elif texts and roll < dup_share * 1.5:
            text, planted, kind = corpus.other_report(texts[corpus.rng.randrange(len(texts))]), None, "report"
        else:
            text, planted, kind = corpus.article(), None, "original"
        texts.append(text)
        yield text, planted, kind


def run(args) -> None:
    tmp = tempfile.TemporaryDirectory()
    db = args.db or f"sqlite:///{Path(tmp.name) / 'dedup.db'}"
    engine = make_engine(db)
    init_db(engine)
    index = make_index(args.lsh, args.threshold, 128, basename=index_name(db) + f"-bench-{time.time_ns()}")
    options = StoreOptions(index=index)
    article_ids: list[int] = []
    story_of: dict[int, int] = {}
    copies = true_positive = false_positive = 0
    batch_store = batch_sketch = batch_cpu = 0.0
    print(f"database: {engine.url.render_as_string(hide_password=True)}  lsh: {args.lsh} "
          f"(bands x rows = {getattr(index, 'bands', '?')} x {getattr(index, 'rows', '?')}), threshold {args.threshold}")
    print(f"{'articles':>9} {'wall ms/article (1k)':>22} {'CPU ms':>10} {'of which MinHash':>17} {'stories':>9}")
    for n, (text, planted, kind) in enumerate(generate(args.articles, args.dup_share, args.seed), start=1):
        started, cpu_started = time.perf_counter(), time.process_time()
        data = ArticleData(outlet=f"o{n % 50}", url=f"https://o{n % 50}.example/a/{n}",
                           canonical_url=f"https://o{n % 50}.example/a/{n}", title=f"Story {n}", text=text,
                           content_hash=content_hash(text), minhash=signature_of(text))
        sketched = time.perf_counter()
        with session_scope(engine) as session:
            result = store_article(session, data, options)
        batch_sketch += sketched - started
        batch_store += time.perf_counter() - started
        batch_cpu += time.process_time() - cpu_started
        article_ids.append(result.article_id)
        story_of[result.article_id] = result.story_id
        if planted is not None:
            copies += 1
            true_positive += result.story_id == story_of[article_ids[planted]]
        elif result.copy_of is not None:
            false_positive += 1
        if n % 1000 == 0:
            if n in CHECKPOINTS or args.verbose:  # seconds per 1,000 articles = ms per article
                print(f"{n:>9,} {batch_store:>22.2f} {batch_cpu:>10.2f} {batch_sketch:>17.2f} "
                      f"{len(set(story_of.values())):>9,}", flush=True)
            batch_store = batch_sketch = batch_cpu = 0.0
    merged = true_positive + false_positive
    print(f"planted near-duplicates: {copies:,}; grouped with their original: {true_positive:,} "
          f"(recall {true_positive / max(copies, 1):.3f}); merged without being planted: {false_positive:,} "
          f"(precision {true_positive / max(merged, 1):.3f})")
    engine.dispose()
    tmp.cleanup()


# --- copies across real page templates -------------------------------------------------------------

COPY_KINDS = ("whole", "trimmed", "read-more tail", "trimmed + read-more tail")
_BODY_TAGS = ("p", "h2", "h3", "h4", "li", "blockquote", "pre", "figcaption", "td")


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def place_in_template(template_html: bytes, template_lines: list[str], paragraphs: list[str],
                      read_more: bool = False) -> bytes | None:
    """The template page with its own article paragraphs taken out and ``paragraphs`` put where the
    first of them stood; None when the template's paragraphs cannot be found in its markup."""
    from lxml import html as lxml_html

    from crawler.text.extract import parse_html

    tree = parse_html(template_html)  # trafilatura's loader: the page's own encoding, as in a crawl
    if tree is None:
        return None
    own = {_norm(line.lstrip("-• ")) for line in template_lines}
    found = [el for el in tree.iter(*_BODY_TAGS) if _norm(el.text_content()) in own]
    if len(found) < 3:
        return None
    first = found[0]
    parent, position = first.getparent(), first.getparent().index(first)
    # every element holding one of the template's own lines goes (outermost first), not only paragraphs
    body = tree.find("body")
    for el in list(body.iter() if body is not None else ()):
        if el is not parent and el.getparent() is not None and isinstance(el.tag, str) and el.tag not in ("body", "html") \
                and _norm(el.text_content()) in own and parent not in el.iterdescendants():
            el.drop_tree()
    for n, text in enumerate(paragraphs):
        para = lxml_html.Element("p")
        para.text = text
        parent.insert(position + n, para)
    if read_more:
        parent.insert(position + len(paragraphs),
                      lxml_html.fragment_fromstring('<p><a href="/full-story">Read more</a></p>'))
    for meta in tree.xpath("//meta[@charset] | //meta[@http-equiv]"):  # the copy is served as UTF-8
        meta.drop_tree()
    return lxml_html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")


def make_copy(paragraphs: list[str], kind: str) -> list[str]:
    if kind == "whole":
        return paragraphs
    if kind == "trimmed":
        return paragraphs[:-1]
    if kind == "read-more tail":
        return paragraphs[:max(3, round(len(paragraphs) * 0.6))]
    return paragraphs[:-1]


def run_real(args) -> None:
    import logging
    from collections import Counter

    from bench.extraction import load_aeb, load_readability, shared_data
    from crawler.text.dedup import fingerprint_and_signature
    from crawler.text.extract import extract_article

    logging.disable(logging.WARNING)
    data = shared_data()
    pages = load_aeb(data / "aeb", args.limit) + load_readability(data / "readability", args.limit)[0]
    stories = []
    for page in pages:
        article = extract_article(page.html, page.url)
        if article is not None and len(article.text.splitlines()) >= 5 and len(article.text.split()) >= 150:
            stories.append((page, article))
    tmp = tempfile.TemporaryDirectory()
    engine = make_engine(f"sqlite:///{Path(tmp.name) / 'real.db'}")
    init_db(engine)
    options = StoreOptions(index=make_index("sql", args.threshold, 128))

    def store(outlet: str, url: str, article) -> int | None:
        fingerprint, signature = fingerprint_and_signature(article.text)
        with session_scope(engine) as session:
            return store_article(session, ArticleData(outlet=outlet, url=url, canonical_url=url, title=article.title,
                                                      text=article.text, content_hash=fingerprint,
                                                      minhash=signature), options).story_id

    story_of = [store(f"orig-{page.site}", f"https://orig.example/{page.key}", article) for page, article in stories]
    # Readability holds one Lifehacker article twice (two fetches): originals that share 90 % of their
    # shingles are one story in truth, and their join is right
    from crawler.text.dedup import jaccard, shingles
    same = {n for n, story in enumerate(story_of) if story_of.index(story) != n
            and jaccard(shingles(stories[n][1].text), shingles(stories[story_of.index(story)][1].text)) >= 0.9}
    if args.verbose:
        for n, story in enumerate(story_of):
            if story_of.index(story) != n:
                print(f"  originals merged: {stories[n][0].key[:16]} {stories[n][0].url[:60]} with "
                      f"{stories[story_of.index(story)][0].key[:16]} {stories[story_of.index(story)][0].url[:60]}")
    wrong_originals = len(story_of) - len(set(story_of)) - len(same)
    tried, joined, wrong, skipped = Counter(), Counter(), Counter(), Counter()
    for i, (page, article) in enumerate(stories):
        kind = COPY_KINDS[i % len(COPY_KINDS)]
        for step in range(1, len(stories)):  # the next story from another site lends its template
            template, template_article = stories[(i + step) % len(stories)]
            if template.site != page.site:
                break
        paragraphs = make_copy(article.text.splitlines(), kind)
        markup = place_in_template(template.html, template_article.text.splitlines(), paragraphs,
                                   read_more=kind.endswith("read-more tail"))
        copy = extract_article(markup, template.url) if markup is not None else None
        # the template's own article must be gone: lines of it left in the copy (markup the placement could
        # not match) make a mixture of two stories, not a copy, and the copy is skipped
        own = set(template_article.text.splitlines()) - set(article.text.splitlines())
        if copy is None or sum(line in own for line in copy.text.splitlines()) > 0.1 * len(copy.text.splitlines()):
            skipped[kind] += 1
            continue
        tried[kind] += 1
        story = store(f"copy-{template.site}", f"https://copy.example/{page.key}", copy)
        joined[kind] += story == story_of[i]
        wrong[kind] += story != story_of[i] and story in story_of
        if args.verbose and story != story_of[i]:
            a, b = shingles(article.text), shingles(copy.text)
            print(f"  missed {kind}: {page.key[:16]} in {template.key[:16]}: jaccard {jaccard(a, b):.2f} "
                  f"containment {len(a & b) / max(1, min(len(a), len(b))):.2f} sizes {len(a)}/{len(b)}"
                  f"{' WRONG STORY' if story in story_of else ''}")
    print(f"{len(stories)} originals (AEB + Readability real sites, 5+ paragraphs), threshold {args.threshold}; "
          f"{len(same)} pair(s) of originals are the same article and rightly joined")
    print(f"{'copy':26} {'copies':>6} {'joined':>6} {'recall':>7} {'wrong story':>11} {'skipped':>7}")
    print("(skipped: the copy page yielded no article, or the template's own article text was left in it)")
    for kind in COPY_KINDS:
        print(f"{kind:26} {tried[kind]:6} {joined[kind]:6} {joined[kind] / max(tried[kind], 1):7.3f} "
              f"{wrong[kind]:11} {skipped[kind]:7}")
    total, right, bad = sum(tried.values()), sum(joined.values()), sum(wrong.values()) + wrong_originals
    print(f"near-duplicate recall {right / max(total, 1):.3f} ({right}/{total}); precision "
          f"{right / max(right + bad, 1):.3f} ({bad} wrong joins, {wrong_originals} between different originals)")
    print(f"targets: recall >= 0.98 at precision 1.0: "
          f"{'met' if right / max(total, 1) >= 0.98 and bad == 0 else 'MISSED'}")
    engine.dispose()
    tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", help="database URL [default: a temp SQLite file]")
    parser.add_argument("--lsh", default="sql", help="sql or a redis:// URL")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="print every 1k batch")
    parser.add_argument("--real", action="store_true", help="copies placed in real page templates (see above)")
    parser.add_argument("--limit", type=int, default=None, help="--real: only the first N pages of each set")
    args = parser.parse_args()
    run_real(args) if args.real else run(args)


if __name__ == "__main__":
    main()
