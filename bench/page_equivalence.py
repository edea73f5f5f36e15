"""Does the analysis worker return the same results as before a change? (A speed change must.)

    .venv/bin/python bench/page_equivalence.py save BEFORE.pkl    # on the code before the change
    .venv/bin/python bench/page_equivalence.py check BEFORE.pkl   # on the code after it

`save` runs what an analysis worker runs per page (crawler.workers: analyse_page, then plain_result)
on every page it can find and pickles every field of each result: the article's fields, relevance,
mentions, content hash, signature, lead signature, shingle count, identity URL. `check` runs the same
pages again and names each difference; it exits 1 on any. (bench/detection_equivalence.py checks
relevance and detection alone, over more texts.)

Pages: the AEB and Readability pages, the demo sites, the generated web of crawler.demo.generated and
bench/crawl.py's generated outlet; each once with the default options and a fixed "now", the demo
and AEB pages also with a title hint, a publication-date hint and an outlet language hint.
"""
from __future__ import annotations

import gzip
import pickle
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.load import load_gazetteer  # noqa: E402
from crawler.text.analyse import analyse_page  # noqa: E402
from crawler.text.dedup import Sketch  # noqa: E402
from crawler.text.extract import ExtractOptions  # noqa: E402
from crawler.workers import plain_result  # noqa: E402

SHARED = next((d / "shared" for d in ROOT.parents if (d / "shared" / "data").is_dir()), ROOT.parent / "shared")
NOW = datetime(2024, 8, 1, 12, tzinfo=timezone.utc)
HINTS = ("Joint drills hint", datetime(2024, 7, 20, tzinfo=timezone.utc))
GENERATED = 400
CRAWL_PAGES = 300


def gather() -> list[tuple[str, bytes | str, str]]:
    """(id, html, url) of every page found."""
    pages: list[tuple[str, bytes | str, str]] = []
    for path in sorted((SHARED / "data" / "aeb" / "html").glob("*.html.gz")):
        pages.append((f"aeb:{path.name}", gzip.decompress(path.read_bytes()), f"http://aeb.invalid/{path.name}"))
    for path in sorted((SHARED / "data" / "readability" / "pages").glob("*/source.html.gz")):
        pages.append((f"readability:{path.parent.name}", gzip.decompress(path.read_bytes()),
                      f"http://readability.invalid/{path.parent.name}/"))
    sites = ROOT / "crawler" / "demo" / "sites"
    for path in sorted(sites.rglob("*.html")):
        relative = path.relative_to(sites).as_posix()
        html = path.read_text(encoding="utf-8").replace("{{BASE}}", "http://demo.invalid")
        pages.append((f"demo:{relative}", html, f"http://demo.invalid/{relative}"))
    from bench.crawl import make_site
    from crawler.demo.generated import write_web

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = "http://127.0.0.1:1"
        for url in write_web(root / "web", 2, GENERATED, base=base):
            pages.append((f"generated:{url}", (root / "web" / url[len(base) + 1:]).read_text(encoding="utf-8"), url))
        make_site(root / "crawl", CRAWL_PAGES)
        for n in range(CRAWL_PAGES):
            html = (root / "crawl" / "bench" / "a" / f"{n}.html").read_text(encoding="utf-8")
            url = f"http://bench.invalid/bench/a/{n}.html"
            pages.append((f"crawl:{n}", html.replace("{{BASE}}", "http://bench.invalid"), url))
    return pages


def runs(pages) -> list[tuple[str, bytes | str, str, str | None, datetime | None, str | None]]:
    """Each page plainly; the demo and AEB pages also with hints (they reach other branches)."""
    out = []
    for page_id, html, url in pages:
        out.append((page_id, html, url, None, None, None))
        if page_id.startswith(("demo:", "aeb:")):
            out.append((page_id, html, url, *HINTS, "ru"))
    return out


def _fields(value) -> dict | None:
    return None if value is None else dict(vars(value))


def result(analysis) -> dict:
    """Every field of a worker's result, as plain values."""
    return {"article": _fields(analysis.article), "relevance": _fields(analysis.relevance),
            "mentions": [_fields(m) for m in analysis.mentions], "content_hash": analysis.content_hash,
            "signature": analysis.signature, "lead_signature": analysis.lead_signature,
            "shingles": analysis.shingles, "identity_url": analysis.identity_url}


def run(cases, gazetteer) -> list[dict]:
    options: dict[str | None, ExtractOptions] = {}
    sketch = Sketch()
    out = []
    for _, html, url, title, published, language in cases:
        if language not in options:
            options[language] = ExtractOptions(language=language, reference_time=NOW)
        analysis = analyse_page(html, url, options[language], gazetteer, title, published, sketch)
        out.append(result(plain_result(analysis, url)))
    return out


def _differences(old: dict, new: dict) -> list[str]:
    keys = dict.fromkeys([*old, *new])
    return [key for key in keys if old.get(key) != new.get(key)]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "check"):
        print(__doc__)
        return 2
    gazetteer = load_gazetteer(None)
    path = Path(argv[1])
    if argv[0] == "save":
        cases = runs(gather())
        if not any(case[0].startswith(("aeb:", "readability:")) for case in cases):
            print(f"no AEB or Readability pages under {SHARED / 'data'}")
            return 2
        started = time.process_time()
        results = run(cases, gazetteer)
        path.write_bytes(pickle.dumps((cases, results)))
        articles = sum(r["article"] is not None for r in results)
        print(f"saved {len(cases)} runs ({articles} with an article) to {path} "
              f"in {time.process_time() - started:.1f} CPU s")
        return 0
    cases, before = pickle.loads(path.read_bytes())
    started = time.process_time()
    after = run(cases, gazetteer)
    spent = time.process_time() - started
    differ = [(case, old, new) for case, old, new in zip(cases, before, after) if old != new]
    for case, old, new in differ[:20]:
        print(f"DIFFERS: {case[0]} (hints {case[3:]})")
        for key in _differences(old, new):
            if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
                for field in _differences(old[key], new[key]):
                    print(f"  {key}.{field}: {old[key].get(field)!r:.200} -> {new[key].get(field)!r:.200}")
            else:
                print(f"  {key}: {old.get(key)!r:.200} -> {new.get(key)!r:.200}")
    articles = sum(r["article"] is not None for r in after)
    print(f"{len(cases)} runs ({articles} with an article): {len(differ)} differ; {spent:.1f} CPU s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
