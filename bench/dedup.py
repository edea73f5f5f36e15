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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", help="database URL [default: a temp SQLite file]")
    parser.add_argument("--lsh", default="sql", help="sql or a redis:// URL")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="print every 1k batch")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
