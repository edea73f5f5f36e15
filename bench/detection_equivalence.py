"""Do relevance and exercise detection give the same results as before a change? (A speed change must.)

    .venv/bin/python bench/detection_equivalence.py save BEFORE.pkl    # on the code before the change
    .venv/bin/python bench/detection_equivalence.py check BEFORE.pkl   # on the code after it

`save` gathers every text it can find, runs analyse_text (crawler/text/analyse.py: relevance with the
gazetteer, exercise detection, reconcile) on each with its own publication date, with none and with a
fixed one, plus score_relevance without the gazetteer, and pickles the inputs with the full results
(Relevance and every Mention tuple). `check` runs the same inputs again and names each difference;
it exits 1 on any.

Texts: tests/eval/detection/*.yaml, the seeds (whole and per item), the demo pages, the AEB and
Readability pages (each extracted by the front door), pages of bench/crawl.py's generator (extracted),
bench/detection.py's synthetic ~600- and ~2,000-word articles, and the string literals of the
detection and relevance tests (tests/test_real_news_families.py, test_exercises*.py, test_relevance*.py).
"""
from __future__ import annotations

import ast
import gzip
import pickle
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bench.detection as detection  # noqa: E402
from config.gazetteer import load_gazetteer  # noqa: E402
from crawler.text.analyse import analyse_text  # noqa: E402
from crawler.text.relevance import score_relevance  # noqa: E402

FIXED = date(2024, 7, 25)
TEST_FILES = ("test_real_news_families.py", "test_exercises*.py", "test_relevance*.py", "test_exercise_cli.py")
CRAWL_PAGES = 300


def _extracted(html: str | bytes, url: str) -> tuple[str, str, date | None] | None:
    from crawler.text.extract import extract_article

    article = extract_article(html, url)
    if article is None or not article.text.strip():
        return None
    published = article.published.date() if hasattr(article.published, "date") else article.published
    return article.title or "", article.text, published


def gather() -> list[tuple[str, str, str, date | None]]:
    """(id, title, text, published) of every text found."""
    texts: list[tuple[str, str, str, date | None]] = []
    for path in sorted((ROOT / "tests" / "eval" / "detection").glob("*.yaml")):
        texts += [(f"{path.stem}:{c.id}", c.title, c.text, c.published) for c in detection.load_cases(path)]
    for path in sorted(detection.SEEDS.glob("*.txt")):
        whole = path.read_text(encoding="utf-8")
        texts.append((f"seed:{path.name}", "", whole, None))
        items = whole.split(detection.SEED_ITEM_SPLIT)
        if len(items) > 1:
            texts += [(f"seed:{path.name}:{i}", "", item, None) for i, item in enumerate(items)]
    texts += [(f"demo:{i}", s.title, s.text, s.published) for i, s in enumerate(detection.demo_samples())]
    aeb = detection.SHARED / "data" / "aeb" / "html"
    for path in sorted(aeb.glob("*.html.gz")):
        found = _extracted(gzip.decompress(path.read_bytes()), f"http://aeb.invalid/{path.name}")
        if found:
            texts.append((f"aeb:{path.name[:16]}", *found))
    readability = detection.SHARED / "data" / "readability" / "pages"
    for path in sorted(readability.glob("*/source.html.gz")):
        found = _extracted(gzip.decompress(path.read_bytes()), f"http://readability.invalid/{path.parent.name}/")
        if found:
            texts.append((f"readability:{path.parent.name}", *found))
    from bench.crawl import make_site

    with tempfile.TemporaryDirectory() as tmp:
        make_site(Path(tmp), CRAWL_PAGES)
        for n in range(CRAWL_PAGES):
            html = (Path(tmp) / "bench" / "a" / f"{n}.html").read_text(encoding="utf-8")
            found = _extracted(html.replace("{{BASE}}", "http://bench.invalid"), f"http://bench.invalid/bench/a/{n}.html")
            if found:
                texts.append((f"crawl:{n}", *found))
    cases = detection.load_cases(detection.LABELS) + detection.load_cases(detection.HOLDOUT)
    long = [c.text for c in cases if c.lang == "en"] + [t for i, _, t, _ in texts if i.startswith("demo:")]
    for words, count in ((600, 40), (2000, 15)):
        texts += [(f"synthetic-{words}:{i}", s.title, s.text, s.published)
                  for i, s in enumerate(detection.synthetic_samples(long, words, count))]
    literals = set()
    for pattern in TEST_FILES:
        for path in sorted((ROOT / "tests").glob(pattern)):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 20:
                    literals.add(node.value)
    texts += [(f"test-literal:{i}", "", text, None) for i, text in enumerate(sorted(literals))]
    return texts


def inputs(texts) -> list[tuple[str, str, str, date | None]]:
    """Each text with its own date, with none and with a fixed one (each once)."""
    out = []
    for text_id, title, text, published in texts:
        for when in dict.fromkeys((published, None, FIXED)):
            out.append((text_id, title, text, when))
    return out


def run(cases, gazetteer) -> list:
    return [(analyse_text(text, title, published, gazetteer), score_relevance(text, title))
            for _, title, text, published in cases]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "check"):
        print(__doc__)
        return 2
    gazetteer = load_gazetteer()
    path = Path(argv[1])
    if argv[0] == "save":
        cases = inputs(gather())
        started = time.process_time()
        results = run(cases, gazetteer)
        path.write_bytes(pickle.dumps((cases, results)))
        mentions = sum(len(r[0][1]) for r in results)
        print(f"saved {len(cases)} runs of {len({c[2] for c in cases})} distinct texts ({mentions} mentions) "
              f"to {path} in {time.process_time() - started:.1f} CPU s")
        return 0
    cases, before = pickle.loads(path.read_bytes())
    started = time.process_time()
    after = run(cases, gazetteer)
    spent = time.process_time() - started
    differ = [(case, old, new) for case, old, new in zip(cases, before, after) if old != new]
    for (text_id, _, _, published), old, new in differ[:20]:
        print(f"DIFFERS: {text_id} (published {published})")
        print(f"  before: {old}")
        print(f"  after:  {new}")
    mentions = sum(len(r[0][1]) for r in after)
    characters = sum(len(case[2]) for case in cases)
    print(f"{len(cases)} runs of {len({c[2] for c in cases})} distinct texts ({characters:,} characters, {mentions} "
          f"mentions): {len(differ)} differ; {spent:.1f} CPU s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
