"""Peak memory of a crawl facing hostile responses, with the shipped size limits (or others).

    .venv/bin/python bench/limits.py [--page-limit 10MB] [--feed-limit 20MB]

Serves, on 127.0.0.1, one outlet per case: a small normal article (the baseline), an endless chunked
page, a 63 MB page, a 19 MB feed (under the limit), a 50 MB feed and a billion-laughs feed. Each is crawled by `drillwatch crawl` in a
fresh process (analysis inline, DRILLWATCH_WORKERS=0, so one process holds everything); prints the
crawl process's peak RSS, seconds, the bytes the server sent, and what the run recorded.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.loopback import Loopback, endless, news_article, page, write_config  # noqa: E402
from tests.test_limits import BILLION_LAUGHS, rss  # noqa: E402

MB = 1024 * 1024

PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")


def cases(site: Loopback) -> dict[str, tuple[str, str]]:
    """outlet name -> (entry kind, path); the routes are added to `site`."""
    site.routes.update({
        "/normal/": page("<html><body><a href='/normal/a.html'>a</a></body></html>"),
        "/normal/a.html": page(news_article(1)),
        "/endless/": page("<html><body><a href='/endless/a.html'>a</a></body></html>"),
        "/endless/a.html": endless(site, "/endless/a.html"),
        "/big/": page("<html><body><a href='/big/a.html'>a</a></body></html>"),
        "/big/a.html": page("<html><body>" + "<p>word</p>" * (63 * MB // 11) + "</body></html>"),
        "/bigfeed.xml": page(rss(site.url, ["/normal/a.html"] * 50, padding=MB), "application/rss+xml"),
        "/feed19mb.xml": page(rss(site.url, ["/normal/a.html"] * 19, padding=MB), "application/rss+xml"),
        "/laughs.xml": page(BILLION_LAUGHS, "application/rss+xml"),
    })
    return {"normal": ("listing", "/normal/"), "endless": ("listing", "/endless/"), "page63mb": ("listing", "/big/"),
            "feed19mb": ("feed", "/feed19mb.xml"), "feed50mb": ("feed", "/bigfeed.xml"), "laughs": ("feed", "/laughs.xml")}


def outlet_yaml(name: str, kind: str, url: str) -> str:
    entry = f'feeds: ["{url}"]' if kind == "feed" else f"listings: [{{url: \"{url}\", links: '\\.html$'}}]"
    return f"outlets:\n  - name: {name}\n    domains: [127.0.0.1]\n    {entry}\n"


def crawl_peak(tmp: Path, name: str, outlets: str, settings: str) -> dict:
    config = write_config(tmp / name / "config", outlets, settings)
    db = f"sqlite:///{tmp / name / 'drillwatch.db'}"
    env = dict(os.environ, DRILLWATCH_DB=db, DRILLWATCH_CONFIG=str(config), DRILLWATCH_WORKERS="0")
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "scheduler.cli", "crawl"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.split()
    seconds = time.monotonic() - started
    runs = subprocess.run([sys.executable, "-m", "scheduler.cli", "runs", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True).stdout
    errors = _errors(db)
    return {"peak_mb": int(out[0]) / 1024, "exit": int(out[1]), "seconds": seconds,
            "status": json.loads(runs)[0]["status"], "errors": errors}


def _errors(db: str) -> str:
    from sqlalchemy import select

    from storage.db import make_engine, session_scope
    from storage.models import CrawlError

    engine = make_engine(db)
    with session_scope(engine) as session:
        rows = [f"{e.kind}: {e.message[:70]}" for e in session.scalars(select(CrawlError))]
    engine.dispose()
    return "; ".join(rows) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-limit", default="10MB")
    parser.add_argument("--feed-limit", default="20MB")
    args = parser.parse_args()
    settings = (f"crawl:\n  obey_robots: false\n  max_page_size: {args.page_limit}\n"
                f"  max_feed_size: {args.feed_limit}\n")
    print(f"limits: pages {args.page_limit}, feeds {args.feed_limit}; one crawl process per case, analysis inline")
    print(f"{'case':<10} {'peak RSS':>9} {'seconds':>8} {'sent':>9}  {'run':<7} recorded")
    with tempfile.TemporaryDirectory() as tmp, Loopback() as site:
        for name, (kind, path) in cases(site).items():
            result = crawl_peak(Path(tmp), name, outlet_yaml(name, kind, site.url + path), settings)
            time.sleep(0.3)
            sent = site.sent.get("/endless/a.html", 0) if name == "endless" else None
            print(f"{name:<10} {result['peak_mb']:>6.0f} MB {result['seconds']:>8.1f} "
                  f"{(f'{sent / MB:.1f} MB' if sent is not None else '-'):>9}  {result['status']:<7} "
                  f"{result['errors']}")
    print(f"(children's max RSS by getrusage; this machine: {os.cpu_count()} cores, shared)")


if __name__ == "__main__":
    main()
