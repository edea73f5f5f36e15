"""Extraction benchmark: drillwatch's ``extract_article`` against plain trafilatura, on two sets of real
pages and on the demo outlets, in one run.

Sets (paths default to ../shared/data, found from the repository or its worktree):
- AEB: the Article Extraction Benchmark, 181 real news and blog pages with human-annotated bodies.
- Readability: Mozilla Readability's test pages. Gold is ``expected.html`` (the extraction Readability's
  maintainers checked in), turned into text by ``html_to_text`` below, the same way for every system.
  Pages whose source is under 5 KB are the small synthetic feature pages ("rtl-1", "replace-brs"...);
  they are scored apart from the ~94 real-site pages, which carry the target.
- Each set has a fixed held-out part chosen before any rule was tuned: the pages whose
  blake2b("<set>:<key>") first byte is divisible by 4 (about a quarter). Rules were tuned looking at the
  other part only; both are printed.

Metric (AEB's authors'): tokens are ``\\w+`` matches, each text a bag of 4-token shingles, per page
tp/fp/fn normalised to sum to 1, precision and recall averaged over pages, F1 = 2PR/(P+R).

Extractors: plain ``trafilatura.extract(html)``; ``extract_article`` with no outlet knowledge; and
``extract_article`` with learned template lines, running each set as if its pages came from one crawl
per site (pages of a site in key order, each extracted with the template learned from the pages before
it, a line being template once seen on ``--min-pages`` pages; site = URL host for AEB, the page name
without its "-N" suffix for Readability).

Clutter lines: lines of an extracted text that match a family of known clutter (kept here, apart from
clean.py's rules, so the check is not circular) or are the whole text of a link on the page (teasers,
related-news), and that are not in the gold text. Printed per family. Target: zero, on the demo outlets
and on both real sets.

Times: ms per AEB page, the minimum over ``--repeat`` runs, extractors interleaved page by page.

    python bench/extraction.py [--data DIR] [--limit N] [--repeat N] [--variants] [--worst N] [--show-clutter]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from lxml import etree, html as lxml_html  # noqa: E402

from crawler.text.clean import normalise_line  # noqa: E402
from crawler.text.extract import MODES, ExtractOptions, extract_article, parse_html  # noqa: E402
from crawler.text.metadata import link_texts  # noqa: E402

DEMO_BASE = "http://127.0.0.1:8000"
SYNTHETIC_BYTES = 5000

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
    precision = statistics.mean([_ratio(tp, fp, fp, fn) for tp, fp, fn in scores if tp + fp > 0] or [0.0])
    recall = statistics.mean([_ratio(tp, fn, fp, fn) for tp, fp, fn in scores if tp + fn > 0] or [0.0])
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# --- the sets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: bytes
    truth: str
    site: str
    held_out: bool


def held_out(set_name: str, key: str) -> bool:
    """The fixed held-out quarter of a set, chosen before tuning."""
    return hashlib.blake2b(f"{set_name}:{key}".encode(), digest_size=8).digest()[0] % 4 == 0


def load_aeb(path: Path, limit: int | None) -> list[Page]:
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    pages = []
    for key in keys:
        url = truth[key].get("url", "")
        pages.append(Page(key, url, gzip.decompress((path / "html" / f"{key}.html.gz").read_bytes()),
                          truth[key].get("articleBody", ""), urlsplit(url).hostname or key, held_out("aeb", key)))
    return pages


_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr", "br", "td", "th",
           "figcaption", "dt", "dd", "section", "article", "table", "ul", "ol"}


def html_to_text(markup: bytes | str) -> str:
    """Text of an HTML fragment in document order: block elements start new lines; scripts and styles
    dropped. An element's tail comes after the text of its children ("<p>a <tt><span>b</span></tt> c</p>"
    is "a b c"; the first three rounds put the tail first, "a c b", garbling nested inline markup)."""
    root = lxml_html.fromstring(markup.decode("utf-8") if isinstance(markup, bytes) else markup)
    etree.strip_elements(root, "script", "style", etree.Comment, with_tail=False)
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        if isinstance(element.tag, str):
            if element.tag.lower() in _BLOCKS:
                parts.append("\n")
            parts.append(element.text or "")
            for child in element:
                walk(child)
        parts.append(element.tail or "")

    walk(root)
    return "\n".join(line.strip() for line in "".join(parts).splitlines() if line.strip())


_CANONICAL = re.compile(rb"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)|"""
                        rb"""<meta[^>]+property=["']og:url["'][^>]*content=["']([^"']+)""", re.I)


def load_readability(path: Path, limit: int | None) -> tuple[list[Page], list[Page]]:
    """(real-site pages, synthetic feature pages)."""
    real, synthetic = [], []
    dirs = sorted(d for d in (path / "pages").iterdir() if d.is_dir())
    for d in dirs[:limit] if limit else dirs:
        source = gzip.decompress((d / "source.html.gz").read_bytes())
        truth = html_to_text(gzip.decompress((d / "expected.html.gz").read_bytes()))
        found = _CANONICAL.search(source)
        url = (found.group(1) or found.group(2)).decode("utf-8", "replace") if found else ""
        if not url.startswith("http"):
            url = f"http://{d.name}.example/"
        page = Page(d.name, url, source, truth, re.sub(r"-\d+$", "", d.name), held_out("readability", d.name))
        (synthetic if len(source) < SYNTHETIC_BYTES else real).append(page)
    return real, synthetic


# --- extractors -------------------------------------------------------------------------------------

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
    seconds: dict[str, float] = field(default_factory=dict)

    def ms_per_page(self) -> float:
        return 1000 * statistics.mean(self.seconds.values()) if self.seconds else float("nan")


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


def run_with_templates(pages: list[Page], min_pages: int) -> Result:
    """One crawl per site: each page extracted with the template learned from the site's earlier pages."""
    result = Result(f"drillwatch + learned template ({min_pages} pages)", {})
    by_site: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        by_site[page.site].append(page)
    for site_pages in by_site.values():
        counts: Counter[str] = Counter()
        for page in sorted(site_pages, key=lambda p: p.key):
            template = frozenset(key for key, n in counts.items() if n >= min_pages)
            article = extract_article(page.html, page.url, ExtractOptions(template_lines=template))
            result.texts[page.key] = article.text if article else ""
            if article:
                counts.update(article.line_keys)
    return result


# --- clutter -------------------------------------------------------------------------------------------

# Known clutter by family, literal patterns from the seeds, the demo pages and the real sets' failures.
# Kept apart from clean.py so the check is not circular; searched on the stripped line, case-insensitive.
CLUTTER_FAMILIES: dict[str, tuple[str, ...]] = {
    "ad label": (r"^[-–\s]*(advertisement|sponsor|sponsored|anzeige|publicidad|publicité)[-–\s]*$",
                 r"^(story|article) continues below"),
    "counter": (r"^\d[\d.,]*\s*[km]?(\s+\d[\d.,]*\s*[km]?)*$", r"^\d+\s+(comments?|shares?|likes?)$"),
    "rating widget": (r"avg\. rating", r"^rate this\b", r"no votes so far"),
    "comment form": (r"^leave a (reply|comment)", r"your email address will not be published",
                     r"required fields are marked", r"save my name, email", r"^post comment",
                     r"^(cancel reply|comment|name|website)\b\W*$", r"^\d*\s*comments?\W*$"),
    "syndication note": (r"published from a syndicated feed", r"this story has not been edited by",
                         r"auto-generated from a syndicated feed"),
    "read more / source link": (r"^source link$", r"^read more\b", r"^continue reading\b", r"citeste mai mult",
                                r"^(lire aussi|leia (também|mais)|lesen sie auch|see also|related)\s*:"),
    "share bar": (r"^share (this|on|article|story)\b", r"^(facebook|twitter|x|whatsapp|email|e-mail|print|telegram"
                  r"|linkedin|pinterest|reddit|copy link)$", r"^(îmi place|comentează|distribuie)\b"),
    "follow / newsletter": (r"subscribe free", r"^(sign up|subscribe) (for|to) (our|the) .{0,40}newsletter",
                            r"^follow (us|@)\b", r"^(get|sign up for) the .{0,30} newsletter"),
    "copyright footer": (r"all rights reserved", r"copyright agence france-presse", r"^(©|\(c\)|copyright)\s*\d{4}"),
    "markup debris": (r"\]\]>", r"waiting for response to load", r"google-site-verification",
                      r"^(loading|please wait)\W*$", r"enable javascript"),
    "site label": (r"space news from spacedaily", r"news coverage$", r"^tagged\b", r"^(moscow|warsaw):$",
                   r"^(previous|next)( (post|article|story))?\W*$"),
    "byline stamp": (r"^by \S+ \d{4}-\d{2}-\d{2}", r"^(updated|published|posted)( on)?:?\s+\S+.{0,40}\d{4}\W*$",
                     r"^\d+\s*min(ute)?s?\s+read$"),
}
_FAMILY_PATTERNS = [(family, re.compile(p, re.IGNORECASE)) for family, ps in CLUTTER_FAMILIES.items() for p in ps]
LINK_FAMILY = "page link (teaser)"


def _words(text: str) -> str:
    return " " + " ".join(_TOKEN.findall(text.casefold())) + " "


def clutter_lines(text: str, page_links: frozenset[str], truth: str | None = None) -> list[tuple[str, str]]:
    """(family, line) of the clutter lines of an extracted text; with ``truth``, lines found in it
    (word for word) are the article's and never count."""
    gold = _words(truth) if truth is not None else None
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or (gold is not None and _words(stripped) in gold):
            continue
        family = next((f for f, p in _FAMILY_PATTERNS if p.search(stripped)), None)
        if family is None and normalise_line(stripped.lstrip("-•* ")) in page_links and len(_TOKEN.findall(stripped)) >= 2:
            family = LINK_FAMILY
        if family:
            found.append((family, stripped))
    return found


def page_links(page: Page) -> frozenset[str]:
    tree = parse_html(page.html)
    return link_texts(tree) if tree is not None else frozenset()


# --- report ---------------------------------------------------------------------------------------------


@dataclass
class SetRun:
    name: str
    pages: list[Page]
    results: list[Result]
    clutter: dict[str, Counter[str]] = field(default_factory=dict)  # extractor -> family -> lines
    examples: dict[str, list[str]] = field(default_factory=dict)

    def score(self, result: Result, part: str) -> tuple[int, float, float, float]:
        pages = [p for p in self.pages if part == "all" or (p.held_out == (part == "held-out"))]
        p, r, f1 = aggregate(page_scores(page.truth, result.texts[page.key]) for page in pages)
        return len(pages), p, r, f1


def count_clutter(run: SetRun, with_truth: bool) -> None:
    links = {page.key: page_links(page) for page in run.pages}
    for result in run.results:
        counts: Counter[str] = Counter()
        for page in run.pages:
            for family, line in clutter_lines(result.texts[page.key], links[page.key],
                                              page.truth if with_truth else None):
                counts[family] += 1
                run.examples.setdefault(result.name, []).append(f"{page.key}: [{family}] {line[:110]!r}")
        run.clutter[result.name] = counts


def report_scores(runs: list[SetRun]) -> None:
    print(f"{'set':24} {'part':8} {'pages':>5}  {'extractor':44} {'P':>6} {'R':>6} {'F1':>6} {'clutter':>7}")
    for run in runs:
        parts = ("tuned", "held-out", "all") if any(p.held_out for p in run.pages) else ("all",)
        for part in parts:
            for result in run.results:
                n, p, r, f1 = run.score(result, part)
                clutter = sum(run.clutter[result.name].values()) if part == "all" else ""
                print(f"{run.name:24} {part:8} {n:5}  {result.name:44} {p:6.4f} {r:6.4f} {f1:6.4f} {clutter:>7}")
        print()


def report_families(runs: list[SetRun]) -> None:
    families = sorted({f for run in runs for c in run.clutter.values() for f in c})
    columns = [(run, result) for run in runs for result in run.results[:2]]
    print("clutter lines left per family (plain trafilatura / drillwatch):")
    print(f"  {'family':26}" + "".join(f" {run.name[:22]:>24}" for run in runs))
    for family in families + ["total"]:
        cells = []
        for run in runs:
            plain, ours = (sum(run.clutter[r.name].values()) if family == "total" else run.clutter[r.name][family]
                           for r in run.results[:2])
            cells.append(f" {f'{plain} / {ours}':>24}")
        print(f"  {family:26}" + "".join(cells))
    del columns


def report_worst(run: SetRun, result: Result, count: int) -> None:
    rows = sorted(((page_scores(p.truth, result.texts[p.key]), p) for p in run.pages if not p.held_out),
                  key=lambda row: row[0][0])
    print(f"\nworst {count} tuned pages of {run.name} for {result.name} (tp fp fn key url):")
    for (tp, fp, fn), page in rows[:count]:
        print(f"  {tp:.2f} {fp:.2f} {fn:.2f} {page.key} {page.url[:90]}")


# --- demo outlets ------------------------------------------------------------------------------------


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


def report_demo(sites: Path) -> int:
    if not sites.is_dir():
        print(f"\ndemo clutter: {sites} not found, skipped")
        return 0
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
        for family, line in left:
            print(f"  {label}: [{family}] {line[:100]!r}")
    print(f"  {articles} extracted documents, {total} clutter lines left (target 0)")
    return total


# --- main ----------------------------------------------------------------------------------------


def shared_data() -> Path:
    """../shared/data beside the repository (or beside the main checkout, from a worktree)."""
    for base in (ROOT.parent, ROOT.parent.parent, Path("/work")):
        if (base / "shared" / "data").is_dir():
            return base / "shared" / "data"
    return ROOT.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="directory holding aeb/ and readability/")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each set (sorted ids)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per AEB page for timing; the fastest counts")
    parser.add_argument("--min-pages", type=int, default=4, help="pages a line must be seen on to be template")
    parser.add_argument("--variants", action="store_true",
                        help="also trafilatura without comments / with favor_precision, and drillwatch in every mode")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst tuned pages per real set")
    parser.add_argument("--show-clutter", action="store_true", help="print every clutter line left")
    parser.add_argument("--demo", type=Path, default=ROOT / "crawler" / "demo" / "sites")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    data = args.data or shared_data()

    extractors: dict[str, Extractor] = {
        "trafilatura.extract(html)": plain_trafilatura,
        "drillwatch extract_article": drillwatch(),
    }
    if args.variants:
        extractors["trafilatura include_comments=False"] = trafilatura_with(include_comments=False)
        extractors["trafilatura no comments, favor_precision"] = trafilatura_with(
            include_comments=False, favor_precision=True)
        for mode in MODES:
            extractors[f"drillwatch mode={mode}"] = drillwatch(ExtractOptions(mode=mode))
    aeb = load_aeb(data / "aeb", args.limit)
    real, synthetic = load_readability(data / "readability", args.limit)
    runs = []
    for name, pages, repeat in (("AEB", aeb, args.repeat), ("Readability real sites", real, 1),
                                ("Readability synthetic", synthetic, 1)):
        results = run_interleaved(pages, extractors, repeat)
        results.append(run_with_templates(pages, args.min_pages))
        run = SetRun(name, pages, results)
        count_clutter(run, with_truth=True)
        runs.append(run)

    report_scores(runs)
    report_families(runs)
    base, ours = runs[0].results[0].ms_per_page(), runs[0].results[1].ms_per_page()
    print(f"\nAEB time: plain {base:.2f} ms/page, drillwatch {ours:.2f} ms/page ({ours / base:.2f}x)")
    if args.show_clutter:
        for run in runs[:2]:
            for line in run.examples.get(run.results[1].name, []):
                print(f"  {run.name}: {line}")
    if args.worst:
        for run in runs[:2]:
            report_worst(run, run.results[1], args.worst)
    demo_left = report_demo(args.demo)

    aeb_f1 = runs[0].score(runs[0].results[1], "all")[3]
    plain_real, ours_real = (runs[1].score(r, "all")[3] for r in runs[1].results[:2])
    real_clutter = sum(sum(run.clutter[run.results[1].name].values()) for run in runs[:2])
    print("\ntargets:")
    print(f"  AEB F1 >= 0.975: {'met' if aeb_f1 >= 0.975 else 'MISSED'} ({aeb_f1:.4f})")
    print(f"  Readability real-site F1 >= plain + 0.02: {'met' if ours_real >= plain_real + 0.02 else 'MISSED'} "
          f"({ours_real:.4f} vs {plain_real:.4f}, {ours_real - plain_real:+.4f})")
    print(f"  clutter lines 0 on demo and real sets: {'met' if demo_left == real_clutter == 0 else 'MISSED'} "
          f"(demo {demo_left}, real {real_clutter})")
    print(f"  time <= 1.3x plain on AEB: {'met' if ours <= 1.3 * base else 'MISSED'} ({ours / base:.2f}x)")


if __name__ == "__main__":
    main()
