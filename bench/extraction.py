"""Extraction benchmark: drillwatch's ``extract_article`` against plain trafilatura.

1. The Article Extraction Benchmark (../shared/data/aeb: 181 pages + human-annotated bodies), scored as
   its authors do: tokens are ``\\w+`` matches, each text a bag of 4-token shingles, per page tp/fp/fn
   normalised to sum to 1, precision and recall averaged over pages, F1 = 2PR/(P+R) of the averages.
   Times are per page, the minimum over ``--repeat`` runs, both extractors interleaved page by page so
   that load from other processes hits both alike. Targets: F1 >= 0.970, time <= 1.3x trafilatura.
2. Clutter left on the demo outlet pages (crawler/demo/sites, pages and feed items): lines of the
   extracted text that match a list of known clutter (independent of clean.py's rules) or are the text
   of a link on the page (teasers). Target: zero.

    python bench/extraction.py [--aeb PATH] [--limit N] [--repeat N] [--variants] [--worst N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from lxml import etree  # noqa: E402

from crawler.text.clean import normalise_line  # noqa: E402
from crawler.text.extract import MODES, ExtractOptions, extract_article, parse_html  # noqa: E402
from crawler.text.metadata import link_texts  # noqa: E402

DEMO_BASE = "http://127.0.0.1:8000"

# --- AEB metric --------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_scores(truth: str, prediction: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over shingles, normalised to sum to 1 so long pages weigh like short ones."""
    expected, got = shingles(truth), shingles(prediction)
    tp, fp, fn = sum((expected & got).values()), sum((got - expected).values()), sum((expected - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _ratio(tp: float, other: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + other) if tp + other else 0.0


def aggregate(scores: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    """(precision, recall, F1): means over pages (pages without predicted / true shingles skipped)."""
    scores = list(scores)
    precision = statistics.mean(_ratio(tp, fp, fp, fn) for tp, fp, fn in scores if tp + fp > 0)
    recall = statistics.mean(_ratio(tp, fn, fp, fn) for tp, fp, fn in scores if tp + fn > 0)
    return precision, recall, 2 * precision * recall / (precision + recall)


# --- running extractors ------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: bytes
    truth: str


def load_aeb(path: Path, limit: int | None) -> list[Page]:
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    return [
        Page(key, truth[key].get("url", ""), gzip.decompress((path / "html" / f"{key}.html.gz").read_bytes()),
             truth[key].get("articleBody", ""))
        for key in keys
    ]


Extractor = Callable[[Page], str]


def plain_trafilatura(page: Page) -> str:
    return trafilatura.extract(page.html) or ""


def trafilatura_with(**settings: bool) -> Extractor:
    def run(page: Page) -> str:
        return trafilatura.extract(page.html, **settings) or ""

    return run


def drillwatch(options: ExtractOptions | None = None) -> Extractor:
    def run(page: Page) -> str:
        article = extract_article(page.html, page.url, options)
        return article.text if article else ""

    return run


@dataclass
class Result:
    name: str
    texts: dict[str, str]
    seconds: dict[str, float]

    def ms_per_page(self) -> float:
        return 1000 * statistics.mean(self.seconds.values())


def run_interleaved(pages: list[Page], extractors: dict[str, Extractor], repeat: int) -> list[Result]:
    """Each page through every extractor in turn; per page, the fastest of ``repeat`` runs."""
    results = {name: Result(name, {}, {}) for name in extractors}
    for name, extract in extractors.items():  # warm-up: lazy imports, stoplists, dateparser
        extract(pages[0])
    for page in pages:
        for name, extract in extractors.items():
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                text = extract(page)
                best = min(best, time.perf_counter() - start)
            results[name].texts[page.key] = text
            results[name].seconds[page.key] = best
    return list(results.values())


def report_aeb(pages: list[Page], results: list[Result]) -> None:
    base = results[0].ms_per_page()
    print(f"AEB: {len(pages)} pages")
    print(f"{'extractor':52} {'precision':>9} {'recall':>7} {'F1':>7} {'ms/page':>8} {'x plain':>8}")
    for result in results:
        p, r, f1 = aggregate(page_scores(page.truth, result.texts[page.key]) for page in pages)
        ms = result.ms_per_page()
        print(f"{result.name:52} {p:9.4f} {r:7.4f} {f1:7.4f} {ms:8.2f} {ms / base:8.2f}")
    f1 = aggregate(page_scores(page.truth, results[1].texts[page.key]) for page in pages)[2]
    ratio = results[1].ms_per_page() / base
    print(f"targets: F1 >= 0.970: {'met' if f1 >= 0.970 else 'MISSED'} ({f1:.4f}); "
          f"time <= 1.3x plain: {'met' if ratio <= 1.3 else 'MISSED'} ({ratio:.2f}x)")


def report_worst(pages: list[Page], result: Result, count: int) -> None:
    rows = sorted(((page_scores(p.truth, result.texts[p.key]), p) for p in pages), key=lambda row: row[0][0])
    print(f"\nworst {count} pages for {result.name} (tp fp fn url):")
    for (tp, fp, fn), page in rows[:count]:
        print(f"  {tp:.2f} {fp:.2f} {fn:.2f} {page.url[:100]}")


# --- clutter on the demo outlets ---------------------------------------------------------------

# Literal clutter of the seeds and demo pages, kept apart from clean.py so the check is not circular.
KNOWN_CLUTTER = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"avg\. rating", r"^leave a reply", r"your email address will not be published",
        r"required fields are marked", r"^(advertisement|sponsor|sponsored)$", r"^[\d.,]+\s*[km]?(\s+[\d.,]+\s*[km]?)*$",
        r"^source link$", r"^read more\b", r"\]\]>", r"waiting for response to load",
        r"published from a syndicated feed", r"google-site-verification", r"all rights reserved",
        r"copyright agence france-presse", r"space news from spacedaily", r"news coverage$",
        r"^share (this|on)\b", r"^(facebook|x|whatsapp|email|print|telegram)$", r"^post comment",
        r"save my name, email", r"^related posts$", r"^recent posts$", r"citeste mai mult",
        r"^by \S+ \d{4}-\d{2}-\d{2}", r"^(îmi place|comentează|distribuie)\b", r"subscribe free",
        r"^tagged\b", r"^moscow:$", r"^warsaw:$", r"^(previous|next)\b", r"^(cancel reply|comment|name|website)\b",
    )
]


def demo_documents(sites: Path) -> Iterable[tuple[str, str, str]]:
    """(label, url, html) of every demo page and of every full-content feed item."""
    for path in sorted(sites.rglob("*.html")):
        url = f"{DEMO_BASE}/{path.relative_to(sites).as_posix()}"
        yield str(path.relative_to(sites)), url, path.read_text(encoding="utf-8").replace("{{BASE}}", DEMO_BASE)
    content = "{http://purl.org/rss/1.0/modules/content/}encoded"
    for path in sorted(sites.rglob("*.xml")):
        try:
            items = etree.fromstring(path.read_bytes()).iter("item")
            for n, item in enumerate(items):
                if (body := item.findtext(content)) and (link := item.findtext("link")):
                    label = f"{path.relative_to(sites)}#item{n}"
                    yield label, link.replace("{{BASE}}", DEMO_BASE), body.replace("{{BASE}}", DEMO_BASE)
        except etree.XMLSyntaxError:
            continue  # the broken feeds are crawl tests, not extraction ones


def clutter_lines(text: str, page_links: frozenset[str]) -> list[str]:
    return [
        line for line in text.splitlines()
        if any(p.search(line.strip()) for p in KNOWN_CLUTTER) or normalise_line(line) in page_links
    ]


def report_demo(sites: Path) -> None:
    if not sites.is_dir():
        print(f"\ndemo clutter: {sites} not found, skipped")
        return
    total = articles = 0
    print(f"\ndemo clutter ({sites.relative_to(ROOT) if sites.is_relative_to(ROOT) else sites}):")
    for label, url, html in demo_documents(sites):
        article = extract_article(html, url)
        if article is None:
            continue
        tree = parse_html(html)
        left = clutter_lines(article.text, link_texts(tree) if tree is not None else frozenset())
        articles += 1
        total += len(left)
        for line in left:
            print(f"  {label}: {line[:100]!r}")
    print(f"  {articles} extracted documents, {total} clutter lines left (target 0)")


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aeb", type=Path, default=ROOT.parent / "shared" / "data" / "aeb")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages (sorted ids)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; the fastest counts")
    parser.add_argument("--variants", action="store_true",
                        help="also trafilatura without comments / with favor_precision, and drillwatch in every mode")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages for drillwatch")
    parser.add_argument("--demo", type=Path, default=ROOT / "crawler" / "demo" / "sites")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # trafilatura logs every discarded page

    extractors: dict[str, Extractor] = {
        "trafilatura.extract(html)": plain_trafilatura,
        "drillwatch extract_article": drillwatch(),
    }
    if args.variants:
        extractors["trafilatura include_comments=False"] = trafilatura_with(include_comments=False)
        extractors["trafilatura no comments, favor_precision"] = trafilatura_with(
            include_comments=False, favor_precision=True)
        extractors["trafilatura no comments, fast (drillwatch's input)"] = trafilatura_with(
            include_comments=False, fast=True)
        for mode in MODES:
            extractors[f"drillwatch mode={mode}"] = drillwatch(ExtractOptions(mode=mode))
        extractors["drillwatch mode=fast, tables off"] = drillwatch(ExtractOptions(include_tables=False))
    pages = load_aeb(args.aeb, args.limit)
    results = run_interleaved(pages, extractors, args.repeat)
    report_aeb(pages, results)
    if args.worst:
        report_worst(pages, results[1], args.worst)
    report_demo(args.demo)


if __name__ == "__main__":
    main()
