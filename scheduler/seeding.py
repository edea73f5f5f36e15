"""Seeding the shared queue: what `drillwatch crawl --queue` and the leader daemon's jobs do.

A seeding puts an outlet's entry points (feeds, sitemaps, listings) and its due revisits on the outlet's
start-URL list in Redis, where the workers pick them up, and records a crawl run (trigger `seed`) that
says so. It returns at once: the workers do the crawling.
"""
from __future__ import annotations

import os
import socket

import redis

from config.load import load_outlets, load_settings
from crawler.cluster import Keys, seed_outlet
from storage import runs
from storage.db import init_db, make_engine, session_scope
from storage.models import utcnow
from storage.monitor import due_revisits


def seed(names: list[str] | None, *, config: str | None, db: str, redis_url: str, prefix: str,
         trigger: str = "seed") -> list[dict]:
    """Seed the named (default: all enabled) outlets; one result (and one run row) per outlet."""
    settings = load_settings(config)
    outlets = {o.name: o for o in load_outlets(config)}
    names = names or [n for n, o in outlets.items() if o.enabled]
    server = redis.Redis.from_url(redis_url)
    keys = Keys(prefix)
    engine = make_engine(db)
    seeder = f"{socket.gethostname()}:{os.getpid()}"
    results = []
    try:
        init_db(engine)
        for name in names:
            outlet = outlets[name]
            with session_scope(engine) as session:
                limit = int(outlet.max_pages * settings.monitor.revisit_share)
                revisits = [] if outlet.feed_content or limit < 1 else due_revisits(session, name, utcnow(), limit)
                run = runs.start_run(session, name, trigger, os.getpid(), worker=seeder)
                try:
                    result = seed_outlet(server, keys, outlet, revisits)
                except redis.RedisError as exc:
                    runs.finish_run(session, run.id, "failed", {}, finish_reason="seed",
                                    message=f"could not seed the queue: {exc}")
                    results.append({"outlet": name, "run": run.id, "status": "failed", "message": str(exc)})
                    continue
                message = (f"queued {result['seeds']} entry points and {result['revisits']} revisits"
                           + (" (new round)" if result["new_round"] else " (added to a round in progress)"))
                runs.finish_run(session, run.id, "ok", {}, finish_reason="seed", message=message)
                results.append({**result, "run": run.id, "status": "ok", "message": message})
    finally:
        engine.dispose()
        server.close()
    return results
