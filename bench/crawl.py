"""Crawl throughput: Scrapy fetching alone vs the full drillwatch pipeline, on one loopback outlet.

    .venv/bin/python bench/crawl.py [--pages 2000]

Generates an outlet of N article pages (realistic page weight: navigation, sidebars, clutter) behind a
news sitemap, serves it with the demo server on 127.0.0.1, then crawls it twice in fresh processes:
  raw  - the same spider with no pipelines, middlewares or run recording (Scrapy's fetch speed)
  full - drillwatch as shipped: extract + clean, relevance, store (SQLite), boilerplate counts
and prints pages/s and CPU-ms per page (crawl process and analysis workers) for both, their ratio (target >= 0.7) and peak memory (crawl process; largest
analysis worker). Seconds include process start-up (about 2 s), as a user's crawl would.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("Russian Chinese joint naval patrol exercise ministry defence bombers warships Sea Japan Pacific "
         "strategic cooperation statement officials drills troops aircraft week region military training "
         "analysts partnership Moscow Beijing command forces units Vostok air exercise navy fleet").split()

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | BenchWire</title>
<link rel="canonical" href="{{{{BASE}}}}/bench/a/{n}.html"><meta property="article:published_time" content="2024-07-{day:02d}T08:00:00Z">
</head><body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/defence">Defence</a>
<a href="/asia">Asia</a> <a href="/europe">Europe</a> <a href="/opinion">Opinion</a></nav></header>
<div class="ad">ADVERTISEMENT</div><main><article><h1>{title}</h1><p class="byline">By Staff Writer</p>
{paragraphs}</article><aside><h3>Related news</h3><ul>{related}</ul></aside>
<section class="comments"><h3>Leave a Reply</h3><p>Your email address will not be published.</p></section></main>
<footer><p>All rights reserved. Copyright BenchWire 2024.</p></footer></body></html>"""


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 24))
    return " ".join(words).capitalize() + "."


def make_site(root: Path, pages: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    site = root / "bench"
    (site / "a").mkdir(parents=True)
    urls = []
    for n in range(pages):
        paras = "\n".join(f"<p>{' '.join(sentence(rng) for _ in range(rng.randint(3, 5)))}</p>"
                          for _ in range(rng.randint(6, 10)))
        related = "".join(f"<li><a href='/bench/r/{rng.randint(0, 9999)}.html'>{sentence(rng)}</a></li>"
                          for _ in range(5))
        title = f"Report {n}: " + sentence(rng)[:70]
        (site / "a" / f"{n}.html").write_text(
            PAGE.format(title=title, n=n, day=1 + n % 28, paragraphs=paras, related=related), encoding="utf-8")
        urls.append(f"<url><loc>{{{{BASE}}}}/bench/a/{n}.html</loc></url>")
    (site / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(urls) + "</urlset>", encoding="utf-8")


def write_config(directory: Path, base: str, pages: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "outlets.yaml").write_text(
        f"outlets:\n  - name: benchwire\n    domains: [127.0.0.1]\n    sitemaps: ['{base}/bench/sitemap.xml']\n"
        f"    max_pages: {pages + 10}\n", encoding="utf-8")
    (directory / "settings.yaml").write_text("crawl:\n  obey_robots: false\n  retries: 0\n", encoding="utf-8")


def child(mode: str, config: str, db: str) -> None:
    """Runs in a fresh process: one crawl, then prints pages, seconds and peak RSS as JSON."""
    from crawler.run import RunsNotRecorded, crawl
    from storage.db import init_db, make_engine
    init_db(make_engine(db))  # the spider itself skips links already stored: it needs the schema
    overrides = {"LOG_LEVEL": "ERROR"}
    if mode == "raw":
        overrides.update(ITEM_PIPELINES={}, DOWNLOADER_MIDDLEWARES={},
                         EXTENSIONS={"scrapy.extensions.closespider.CloseSpider": 200, "crawler.extensions.RunRecorder": None})
    stats = {}

    def keep_stats(crawler):
        stats["crawler"] = crawler
    started = time.perf_counter()
    try:
        crawl(["benchwire"], config=config, db=db, log_level="ERROR", overrides=overrides, observe=keep_stats)
    except RunsNotRecorded:
        if mode != "raw":  # raw Scrapy has no run recorder, by design
            raise
    seconds = time.perf_counter() - started
    s = stats["crawler"].stats.get_stats()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"mode": mode, "seconds": seconds, "responses": s.get("downloader/response_count", 0),
                      "items": s.get("item_scraped_count", 0), "dropped": s.get("item_dropped_count", 0),
                      "maxrss_mb": me.ru_maxrss / 1024, "cpu": me.ru_utime + me.ru_stime,
                      # the analysis workers are this process's children (largest of them; CPU summed)
                      "worker_maxrss_mb": kids.ru_maxrss / 1024, "worker_cpu": kids.ru_utime + kids.ru_stime}))


def run_child(mode: str, config: Path, db: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, "--config", str(config), "--db", db],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--child", choices=["raw", "full"])
    parser.add_argument("--config")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.config, args.db)

    from crawler.demo.server import DemoServer
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_site(tmp / "sites", args.pages)
        with DemoServer(tmp / "sites") as server:
            write_config(tmp / "config", server.url, args.pages)
            raw = run_child("raw", tmp / "config", f"sqlite:///{tmp / 'raw.db'}")
            full = run_child("full", tmp / "config", f"sqlite:///{tmp / 'full.db'}")
    print(f"loopback outlet: {args.pages} article pages behind a sitemap; cores seen: {os.cpu_count()}; "
          f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"{'mode':<6}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'CPU s':>8}{'worker CPU s':>14}{'CPU-ms/page':>13}"
          f"{'peak MB':>9}{'worker MB':>11}")
    for r in (raw, full):
        print(f"{r['mode']:<6}{r['responses']:>7}{r['seconds']:>9.1f}{r['responses'] / r['seconds']:>9.1f}"
              f"{r['cpu']:>8.1f}{r['worker_cpu']:>14.1f}{1000 * (r['cpu'] + r['worker_cpu']) / max(r['responses'], 1):>13.1f}"
              f"{r['maxrss_mb']:>9.0f}{r['worker_maxrss_mb']:>11.0f}")
    ratio = (full["responses"] / full["seconds"]) / (raw["responses"] / raw["seconds"])
    print(f"full/raw throughput ratio: {ratio:.2f} (target >= 0.7); stored items: {full['items']}, "
          f"dropped: {full['dropped']}")


if __name__ == "__main__":
    main()
