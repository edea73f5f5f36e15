"""Scaling out: one loopback web crawled by a single process on SQLite, one worker and two workers on
PostgreSQL + Redis, with raw Scrapy (no pipelines) as the CPU reference.

    .venv/bin/python bench/scale.py [--pages 5000] [--outlets 4] [--pg URL] [--redis URL]

Generates N article pages over several outlets (crawler/demo/generated.py, news sitemaps), serves them
with the demo server on 127.0.0.1 and crawls them in each mode in fresh processes. Prints per mode:
pages fetched, articles stored, seconds (process start to the last article stored), pages/s, and CPU-ms
per page summed over every process of the mode (crawl processes, their analysis workers, the seeding),
then the PostgreSQL and Redis servers' CPU over the cluster runs separately (those servers are shared
with anything else running on the machine: an upper bound). Each mode ends with a duplicates/missing
check: the stored canonical URLs against the generated ones.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("DRILLWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("DRILLWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")
TICK = os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cpu(name: str) -> float | None:
    """CPU seconds of a server process and its reaped children (PostgreSQL's backends), if visible here."""
    try:
        pids = subprocess.run(["pgrep", "-o", "-x", name], capture_output=True, text=True).stdout.split()
        fields = Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except (IndexError, OSError):
        return None
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / TICK


def stored_urls(db: str) -> list[str]:
    from sqlalchemy import select

    from storage.db import make_engine, session_scope
    from storage.models import Article

    engine = make_engine(db)
    with session_scope(engine) as session:
        urls = list(session.scalars(select(Article.canonical_url)))
    engine.dispose()
    return urls


def error_kinds(db: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage.db import make_engine, session_scope
    from storage.models import CrawlError

    engine = make_engine(db)
    with session_scope(engine) as session:
        kinds = dict(session.execute(select(CrawlError.kind, func.count()).group_by(CrawlError.kind)).all())
    engine.dispose()
    return kinds


def article_count(engine) -> int:
    from sqlalchemy import text

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM articles")).scalar()
    except Exception:  # not created yet
        return 0


def watch(procs: list[subprocess.Popen], db: str) -> float:
    """Wait for the processes; return the moment the last article was stored (perf_counter)."""
    from storage.db import make_engine

    engine = make_engine(db)
    last_count, last_change = -1, time.perf_counter()
    while any(p.poll() is None for p in procs):
        count = article_count(engine)
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        time.sleep(0.5)
    if article_count(engine) != last_count:
        last_change = time.perf_counter()
    engine.dispose()
    for p in procs:
        if p.returncode != 0:
            raise SystemExit(f"a crawl process failed ({p.returncode}): {p.stderr.read()[-3000:] if p.stderr else ''}")
    return last_change


def child(mode: str, config: str, db: str) -> None:
    """Runs in a fresh process: one in-process crawl of every outlet (raw: no pipelines); prints JSON."""
    from crawler.run import RunsNotRecorded, crawl
    from storage.db import init_db, make_engine
    init_db(make_engine(db))
    overrides = {"LOG_LEVEL": "ERROR"}
    if mode == "raw":
        overrides.update(ITEM_PIPELINES={}, DOWNLOADER_MIDDLEWARES={},
                         EXTENSIONS={"scrapy.extensions.closespider.CloseSpider": 200, "crawler.extensions.RunRecorder": None})
    pages = []
    try:
        crawl(None, config=config, db=db, log_level="ERROR", overrides=overrides, observe=pages.append)
    except RunsNotRecorded:
        if mode != "raw":  # raw Scrapy has no run recorder, by design
            raise
    print(json.dumps({"responses": sum(c.stats.get_value("downloader/response_count", 0) for c in pages)}))


def run_single(mode: str, config: Path, db: str) -> dict:
    cpu0, start = children_cpu(), time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, "--config", str(config), "--db", db],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = watch([proc], db) if mode != "raw" else None
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{err[-3000:]}")
    end = end or time.perf_counter()
    return {"mode": mode, "responses": json.loads(out.strip().splitlines()[-1])["responses"],
            "seconds": end - start, "cpu": children_cpu() - cpu0, "db": db}


def run_cluster(workers: int, config: Path, db: str, redis_url: str) -> dict:
    env = dict(os.environ, DRILLWATCH_DB=db, DRILLWATCH_CONFIG=str(config), DRILLWATCH_REDIS=redis_url,
               DRILLWATCH_REDIS_PREFIX=f"bench-{uuid.uuid4().hex[:8]}")
    servers0 = {name: server_cpu(name) for name in ("postgres", "redis-server")}
    cpu0, start = children_cpu(), time.perf_counter()
    cli = [sys.executable, "-m", "scheduler.cli"]
    subprocess.run([*cli, "crawl", "--queue", "--json"], cwd=ROOT, env=env, check=True, capture_output=True)
    procs = [subprocess.Popen([*cli, "worker", "--idle-exit", "2", "--json"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    end = watch(procs, db)
    responses = 0
    for p in procs:
        responses += sum(row["pages"] for row in json.loads(p.stdout.read()))
    servers = {name: (server_cpu(name) - before) if before is not None else None for name, before in servers0.items()}
    _clear(redis_url, env["DRILLWATCH_REDIS_PREFIX"])
    return {"mode": f"{workers} worker{'s' if workers > 1 else ''}", "responses": responses, "seconds": end - start,
            "cpu": children_cpu() - cpu0, "db": db, "servers": servers}


def _clear(redis_url: str, prefix: str) -> None:
    import redis
    server = redis.Redis.from_url(redis_url)
    keys = list(server.scan_iter(match=f"{prefix}:*"))
    if keys:
        server.delete(*keys)


def pg_schema(url: str) -> tuple[str, str]:
    from sqlalchemy import text

    from storage.db import make_engine
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema, f"{url}?options=-csearch_path%3D{schema}"


def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import text

    from storage.db import make_engine
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--outlets", type=int, default=4)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--redis", default=REDIS)
    parser.add_argument("--child", choices=["raw", "full"])
    parser.add_argument("--config")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.config, args.db)

    from crawler.demo.generated import write_config, write_web
    from crawler.demo.server import DemoServer

    results, schemas = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        urls = write_web(tmp / "sites", args.outlets, args.pages)
        with DemoServer(tmp / "sites") as server:
            # one retry: on a loaded machine the loopback server itself can miss the download timeout
            config = write_config(tmp / "config", server.url, args.outlets, args.pages, retries=1)
            expected = sorted(u.replace("{{BASE}}", server.url) for u in urls)
            try:
                results.append(run_single("raw", config, f"sqlite:///{tmp / 'raw.db'}"))
                results.append(run_single("full", config, f"sqlite:///{tmp / 'full.db'}"))
                results[-1]["mode"] = "single (SQLite)"
                for workers in (1, 2):
                    schema, db = pg_schema(args.pg)
                    schemas.append(schema)
                    results.append(run_cluster(workers, config, db, args.redis))
                for r in results[1:]:
                    stored = stored_urls(r["db"])
                    r["stored"] = len(stored)
                    r["duplicates"] = len(stored) - len(set(stored))
                    r["missing"] = len(set(expected) - set(stored))
                    r["errors"] = error_kinds(r["db"])
            finally:
                for schema in schemas:
                    drop_schema(args.pg, schema)

    raw = results[0]
    raw_cpu = 1000 * raw["cpu"] / max(raw["responses"], 1)
    print(f"loopback web: {args.pages} article pages over {args.outlets} outlets; cores seen: {os.cpu_count()}; "
          f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"{'mode':<17}{'pages':>7}{'stored':>8}{'seconds':>9}{'pages/s':>9}{'CPU-ms/page':>13}{'x raw':>7}"
          f"{'dupes':>7}{'missing':>9}")
    for r in results:
        cpu_page = 1000 * r["cpu"] / max(r["responses"], 1)
        print(f"{r['mode']:<17}{r['responses']:>7}{r.get('stored', '-'):>8}{r['seconds']:>9.1f}"
              f"{r['responses'] / r['seconds']:>9.1f}{cpu_page:>13.1f}{cpu_page / raw_cpu:>7.1f}"
              f"{r.get('duplicates', '-'):>7}{r.get('missing', '-'):>9}")
    for r in results[1:]:
        if r["errors"]:
            print(f"{r['mode']}: crawl errors: {', '.join(f'{k} {n}' for k, n in sorted(r['errors'].items()))}")
    for r in results[2:]:
        servers = ", ".join(f"{name} {1000 * cpu / max(r['responses'], 1):.1f}" for name, cpu in r["servers"].items()
                            if cpu is not None)
        print(f"{r['mode']}: server CPU-ms/page (shared servers, upper bound): {servers or 'not visible'}")
    one, two = results[2], results[3]
    print(f"two workers / one worker throughput: {(two['responses'] / two['seconds']) / (one['responses'] / one['seconds']):.2f}"
          f" (target >= 1.7 where the cores allow it)")


if __name__ == "__main__":
    main()
