"""Crawling unchanged outlets again: how much of the first crawl's work does the second one redo?

    .venv/bin/python bench/recrawl.py [--pages 2000] [--revisits 200] [--db URL] [--recheck]

Generates two loopback outlets with PAGES article pages between them (realistic page weight): a
paginated listing (100 links a page) and an RSS feed (links only, pages fetched). Serves them with the
demo server and runs the real command a user types, `drillwatch crawl synthlist synthfeed` (a fresh
process each time, its output captured as a script's would be), several times:
  1. first crawl: every article fetched, extracted, stored;
  2. second crawl, nothing changed, nothing due: only the listing pages and the feed are fetched;
     target: wall time <= 5% of the first crawl's, zero articles extracted again;
  3. REVISITS articles made due: conditional requests, all answered 304, still nothing extracted;
  4. with --recheck: `drillwatch crawl --recheck` (every stored article revisited now, conditional
     requests), all answered 304; target: wall time < 10% of the first crawl's. Then, as the floor,
     Scrapy alone (a bare spider, no pipelines, no database) sends the same conditional requests, in one
     process and then in one process per outlet at once.
Prints per crawl: the command's wall time (process start to exit: start-up, crawl, summary), its CPU time
(the process and any analysis workers), crawl time (crawl_runs: spider opened to closed), pages fetched,
article pages fetched, 304 answers, items extracted (new + updated + unchanged in crawl_runs); then the
ratios to the first crawl, wall clock first.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update  # noqa: E402

from crawler.demo.server import DemoServer  # noqa: E402
from storage.db import init_db, make_engine, session_scope  # noqa: E402
from storage.models import Article, CrawlRun  # noqa: E402

WORDS = ("Russian Chinese joint naval patrol exercise ministry defence bombers warships Sea Japan Pacific strategic "
         "cooperation statement officials drills troops aircraft week region military training analysts partnership "
         "Moscow Beijing command forces units Vostok air navy fleet coast guard missile carriers escort the a of in "
         "and said on with for by at from that was were will".split())
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | SynthWire</title>
<link rel="canonical" href="{{{{BASE}}}}{path}"><meta property="article:published_time" content="{published}">
</head><body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/defence">Defence</a>
<a href="/asia">Asia</a> <a href="/opinion">Opinion</a></nav></header><div class="ad">ADVERTISEMENT</div>
<main><article><h1>{title}</h1><p class="byline">By Staff Writer</p>{paragraphs}</article>
<aside><h3>Related news</h3><ul>{related}</ul></aside></main>
<footer><p>All rights reserved. Copyright SynthWire.</p></footer></body></html>"""
LISTING_PAGE = 100


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(12, 24))).capitalize() + "."


def write_article(site: Path, path: str, n: int, rng: random.Random, published: str) -> None:
    paragraphs = "\n".join(f"<p>{' '.join(sentence(rng) for _ in range(rng.randint(3, 5)))}</p>"
                           for _ in range(rng.randint(6, 10)))
    related = "".join(f"<li><a href='/r/{rng.randint(0, 9999)}.html'>{sentence(rng)}</a></li>" for _ in range(5))
    file = site / path.lstrip("/")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(PAGE.format(title=f"Report {n}: {sentence(rng)[:60]}", path=path, published=published,
                                paragraphs=paragraphs, related=related), encoding="utf-8")


def make_sites(root: Path, pages: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    published = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat(timespec="seconds")
    listed, fed = pages // 2, pages - pages // 2
    links = [f"/synth/a/{n}.html" for n in range(listed)]
    for n, path in enumerate(links):
        write_article(root, path, n, rng, published)
    chunks = [links[i:i + LISTING_PAGE] for i in range(0, len(links), LISTING_PAGE)]
    for i, chunk in enumerate(chunks, start=1):
        nxt = f'<a href="{{{{BASE}}}}/synth/list/page-{i + 1}.html">Next</a>' if i < len(chunks) else ""
        items = "".join(f'<li><a href="{{{{BASE}}}}{p}">Report {p}</a></li>' for p in chunk)
        (root / "synth" / "list").mkdir(parents=True, exist_ok=True)
        (root / "synth" / "list" / f"page-{i}.html").write_text(
            f"<html><body><ul>{items}</ul>{nxt}</body></html>", encoding="utf-8")
    items = []
    for n in range(fed):
        path = f"/synth/f/{n}.html"
        write_article(root, path, listed + n, rng, published)
        items.append(f"<item><title>Report {n}</title><link>{{{{BASE}}}}{path}</link>"
                     f"<pubDate>Mon, 01 Jul 2024 08:00:00 +0000</pubDate></item>")
    (root / "synth" / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>SynthWire</title>' + "".join(items)
        + "</channel></rss>", encoding="utf-8")


def write_config(directory: Path, base: str, pages: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "outlets.yaml").write_text(f"""outlets:
  - name: synthlist
    domains: [127.0.0.1]
    listings:
      - url: "{base}/synth/list/page-1.html"
        links: '/synth/a/\\d+\\.html$'
        next: '/synth/list/page-\\d+\\.html$'
    max_pages: {pages + 100}
  - name: synthfeed
    domains: [127.0.0.1]
    feeds: ["{base}/synth/feed.xml"]
    max_pages: {pages + 100}
""", encoding="utf-8")
    (directory / "settings.yaml").write_text("crawl:\n  obey_robots: false\n  retries: 0\n", encoding="utf-8")


def crawl(config: Path, db: str, server: DemoServer, engine, *extra: str) -> dict:
    server.clear_requests()
    with session_scope(engine) as session:
        last_run = session.scalar(select(func.max(CrawlRun.id))) or 0
    started, cpu, own = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu()
    proc = subprocess.run([*drillwatch(), "--db", db, "--config", str(config), "crawl", "synthlist", "synthfeed",
                           *extra], cwd=ROOT, capture_output=True, text=True)
    wall, served = time.perf_counter() - started, server_cpu() - own
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime  # the crawl process (and its workers)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed:\n{proc.stderr[-3000:]}")
    with session_scope(engine) as session:
        runs = session.scalars(select(CrawlRun).where(CrawlRun.id > last_run)).all()
        inside = max(r.finished_at for r in runs) - min(r.started_at for r in runs)
        extracted = sum(r.articles_new + r.articles_updated + r.articles_unchanged for r in runs)
    article_gets = [r for r in server.requests if "/synth/a/" in r[1] or "/synth/f/" in r[1]]
    return {"wall": wall, "cpu": cpu, "server": served, "inside": inside.total_seconds(),
            "pages": len(server.requests),
            "article_pages": len(article_gets), "not_modified": sum(1 for r in article_gets if r[2] == 304),
            "extracted": extracted}


RAW_304 = """
import sys
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.settings import default_settings

BASE, PAGES = sys.argv[1], int(sys.argv[2])
IMS = {"If-Modified-Since": "Mon, 01 Jan 2035 00:00:00 GMT"}  # later than any page's mtime: all answer 304


class Raw(Spider):
    paths = ()

    async def start(self):
        for path in self.paths:
            yield Request(BASE + path, headers=IMS, meta={"handle_httpstatus_list": [304]}, dont_filter=True)

    def parse(self, response):
        pass


listed = PAGES // 2
# one spider per outlet in one process, as `drillwatch crawl synthlist synthfeed --recheck` runs them, with the
# settings its recheck runs with (concurrency, items per response, extensions, log level, download handlers)
spiders = [type("RawList", (Raw,), {"name": "rawlist", "paths": [f"/synth/a/{n}.html" for n in range(listed)]}),
           type("RawFeed", (Raw,), {"name": "rawfeed", "paths": [f"/synth/f/{n}.html" for n in range(PAGES - listed)]})]
process = CrawlerProcess({
    "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
    "WARN_ON_GENERATOR_RETURN_VALUE": False, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CONCURRENT_ITEMS": 1, "DOWNLOAD_HANDLERS": {"ftp": None, "s3": None, "file": None, "data": None},
    "EXTENSIONS_BASE": {name: order for name, order in default_settings.EXTENSIONS_BASE.items()
                        if name not in ("scrapy.extensions.remote_control.RemoteControl",
                                        "scrapy.extensions.telnet.TelnetConsole")}})
for spider in spiders[int(sys.argv[3]):int(sys.argv[4])]:  # a slice: all, or one outlet per process
    process.crawl(spider)
process.start()
"""


def raw_scrapy_304(server: DemoServer, pages: int, per_outlet: bool = False) -> dict:
    """The floor: Scrapy alone (no pipelines, no database) sending the same conditional requests, all answered
    304, configured as the recheck runs: one spider per outlet in one process, the same concurrency,
    CONCURRENT_ITEMS and extensions (Scrapy's RemoteControl and telnet console not even imported).
    per_outlet: one such process per outlet, run at once (the one way left to use a second core)."""
    server.clear_requests()
    started, cpu, own = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu()
    slices = [(0, 1), (1, 2)] if per_outlet else [(0, 2)]
    logs = [tempfile.TemporaryFile() for _ in slices]  # files, not pipes: a full pipe would stall the other process
    procs = [subprocess.Popen([sys.executable, "-c", RAW_304, server.url, str(pages), str(a), str(b)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=log) for (a, b), log in zip(slices, logs)]
    for proc in procs:
        proc.wait()
    wall, served = time.perf_counter() - started, server_cpu() - own
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if any(proc.returncode != 0 for proc in procs):
        for log in logs:
            log.seek(0)
        raise SystemExit("raw Scrapy failed:\n" + b"".join(log.read() for log in logs).decode(errors="replace")[-3000:])
    return {"wall": wall, "cpu": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
            "server": served, "not_modified": sum(1 for r in server.requests if r[2] == 304),
            "pages": len(server.requests)}


def server_cpu() -> float:
    """CPU seconds of this process: while a crawl runs, its main thread waits on the crawl process and the
    demo server's threads answer the requests, so the difference is the loopback server's share."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drillwatch() -> list[str]:
    """The installed `drillwatch` command of this interpreter's environment (the console script)."""
    script = Path(sys.executable).with_name("drillwatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scheduler.cli"]


def make_due(engine, count: int) -> None:
    with session_scope(engine) as session:
        ids = session.scalars(select(Article.id).order_by(Article.id).limit(count)).all()
        session.execute(update(Article).where(Article.id.in_(ids))
                        .values(next_visit_at=datetime.now(timezone.utc) - timedelta(minutes=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--revisits", type=int, default=200)
    parser.add_argument("--db", help="database URL [default: a temp SQLite file]")
    parser.add_argument("--recheck", action="store_true", help="also time a forced recheck of every stored article")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_sites(tmp / "sites", args.pages)
        db = args.db or f"sqlite:///{tmp / 'recrawl.db'}"
        engine = make_engine(db)
        init_db(engine)
        with DemoServer(tmp / "sites") as server:
            write_config(tmp / "config", server.url, args.pages)
            first = crawl(tmp / "config", db, server, engine)
            second = crawl(tmp / "config", db, server, engine)
            make_due(engine, args.revisits)
            third = crawl(tmp / "config", db, server, engine)
            fourth = crawl(tmp / "config", db, server, engine, "--recheck") if args.recheck else None
            raw = raw_scrapy_304(server, args.pages) if args.recheck else None
            split = raw_scrapy_304(server, args.pages, per_outlet=True) if args.recheck else None
        engine.dispose()
    print(f"two loopback outlets, {args.pages} article pages (listing of {LISTING_PAGE} links/page + RSS feed); "
          f"database {db.split(':')[0]}")
    print(f"{'crawl':<28}{'wall s':>8}{'CPU s':>7}{'crawl s':>9}{'pages':>7}{'articles':>9}{'304':>6}{'extracted':>10}")
    rows = [("1 first", first), ("2 unchanged, none due", second), (f"3 {args.revisits} due, unchanged", third)]
    if fourth:
        rows.append(("4 --recheck, all unchanged", fourth))
    for label, r in rows:
        print(f"{label:<28}{r['wall']:>8.1f}{r['cpu']:>7.1f}{r['inside']:>9.1f}{r['pages']:>7}{r['article_pages']:>9}"
              f"{r['not_modified']:>6}{r['extracted']:>10}")
    print(f"second/first: wall {second['wall'] / first['wall']:.1%}, crawl {second['inside'] / first['inside']:.1%} "
          f"(target <= 5%); articles extracted again: {second['extracted']} (target 0)")
    if fourth:
        ratio = fourth["wall"] / first["wall"]
        print(f"recheck/first: WALL {ratio:.1%} ({fourth['wall']:.1f} s / {first['wall']:.1f} s; target < 10%: "
              f"{'met' if ratio < 0.10 else 'MISSED'}), CPU {fourth['cpu'] / first['cpu']:.1%}, "
              f"crawl {fourth['inside'] / first['inside']:.1%}; demo server {fourth['server']:.1f} CPU s; "
              f"{fourth['not_modified']} of "
              f"{fourth['article_pages']} article pages answered 304; articles extracted again: {fourth['extracted']}")
    if raw:
        print(f"floor: Scrapy alone sending the same {raw['pages']} conditional requests ({raw['not_modified']} "
              f"answered 304), no pipelines or database: wall {raw['wall']:.1f} s, CPU {raw['cpu']:.1f} s "
              f"(demo server {raw['server']:.1f} CPU s) "
              f"({raw['wall'] / first['wall']:.1%} and {raw['cpu'] / first['cpu']:.1%} of the first crawl)")
        print(f"floor, one Scrapy process per outlet at once ({split['not_modified']} answered 304): wall "
              f"{split['wall']:.1f} s, CPU {split['cpu']:.1f} s ({split['wall'] / first['wall']:.1%} of the first crawl)")
    print(f"second crawl: {second['wall'] - second['inside']:.1f} s of its wall time is outside the crawl "
          "(process start-up, settings, pipeline and middleware set-up, the summary), paid by every crawl")
    print(f"cores seen: {os.cpu_count()}; load average at the end: {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main()
