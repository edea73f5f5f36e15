"""Many crawl workers on one shared queue: scrapy-redis wired into drillwatch.

scrapy-redis gives the shared scheduler queue, the duplicate filter and the start-URL lists (one set of
keys per outlet, under the cluster's prefix). What it does not give is crash safety: its queue pops a
request for good, so a worker killed with SIGKILL would lose whatever it had in flight. `ReliableQueue`
moves each popped request into the worker's in-flight hash instead (one Lua script, atomic), and
`InFlightMiddleware` removes it once the response's callback and every item it yielded are through
(stored or dropped). Each worker keeps a heartbeat key alive (`Presence`); the in-flight requests of a
worker whose heartbeat expired go back to the queue (`requeue_orphans`), where any worker takes them.

Keys, for prefix P and outlet O:
  P:O:start_urls        seeds (JSON: kind, url, ...) pushed by `seed_outlet`, read by the worker's spider
  P:O:requests          the scheduler's priority queue (scrapy-redis)
  P:O:dupefilter        fingerprints of requests already queued (scrapy-redis)
  P:O:requests:inflight:W   requests worker W is working on (field: the encoded request, value: its score)
  P:worker:W            worker W's heartbeat (JSON, expires after 3 beats)
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
import warnings
from dataclasses import dataclass

import redis
from scrapy import Request, signals
from scrapy_redis.queue import PriorityQueue

log = logging.getLogger("drillwatch.cluster")
# scrapy-redis 0.9.1 still passes spider= to the stats collector: Scrapy 2.19 warns on every request.
warnings.filterwarnings("ignore", message="Passing a 'spider' argument to StatsCollector", module="scrapy_redis")

ENV_REDIS = "DRILLWATCH_REDIS"
ENV_PREFIX = "DRILLWATCH_REDIS_PREFIX"
INFLIGHT = ":inflight:"
MISSED_BEATS = 3  # a worker silent this many heartbeats is dead


def redis_url(explicit: str | None, settings=None) -> str | None:
    """--redis beats $DRILLWATCH_REDIS beats settings.yaml cluster.redis; None: no cluster."""
    return explicit or os.environ.get(ENV_REDIS) or (settings.cluster.redis if settings is not None else None)


def key_prefix(explicit: str | None = None, settings=None) -> str:
    return explicit or os.environ.get(ENV_PREFIX) or (settings.cluster.prefix if settings is not None else "drillwatch")


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Keys:
    prefix: str

    def start_urls(self, outlet: str) -> str:
        return f"{self.prefix}:{outlet}:start_urls"

    def requests(self, outlet: str) -> str:
        return f"{self.prefix}:{outlet}:requests"

    def dupefilter(self, outlet: str) -> str:
        return f"{self.prefix}:{outlet}:dupefilter"

    def inflight(self, outlet: str, worker: str = "*") -> str:
        return f"{self.requests(outlet)}{INFLIGHT}{worker}"

    def worker(self, worker: str = "*") -> str:
        return f"{self.prefix}:worker:{worker}"

    def leader(self) -> str:
        return f"{self.prefix}:leader"


def scrapy_settings(url: str, prefix: str, worker: str, idle_exit: float = 0, heartbeat: int = 10) -> dict:
    """The Scrapy settings that make a crawl a cluster worker (scrapy-redis as its docs say)."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.cluster.ReliableQueue",
        "SCHEDULER_PERSIST": True,           # the queue outlives every worker
        "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:dupefilter",
        "REDIS_START_URLS_KEY": f"{prefix}:%(name)s:start_urls",
        "REDIS_URL": url,
        "MAX_IDLE_TIME_BEFORE_CLOSE": int(idle_exit),
        "DRILLWATCH_QUEUED": True,
        "DRILLWATCH_WORKER_ID": worker,
        "DRILLWATCH_REDIS": url,
        "DRILLWATCH_REDIS_PREFIX": prefix,
        "DRILLWATCH_HEARTBEAT": heartbeat,
        "DRILLWATCH_TRIGGER": "worker",
        "SPIDER_MIDDLEWARES": {"crawler.cluster.InFlightMiddleware": 0},
    }


# --- the reliable queue ---------------------------------------------------------------------------

# Take the best request and keep it in the worker's in-flight hash, in one step: nothing is ever held only
# in a process's memory.
_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return nil end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], top[1], top[2])
return top[1]
"""

# Everything in an in-flight hash back into its queue (the hash's worker is gone).
_REQUEUE = """
local items = redis.call('HGETALL', KEYS[1])
for i = 1, #items, 2 do redis.call('ZADD', KEYS[2], items[i + 1], items[i]) end
redis.call('DEL', KEYS[1])
return #items / 2
"""

MARK = "drillwatch_inflight"  # request.meta: (in-flight hash, field) of the queue entry it came from


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps the request in this worker's in-flight hash."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.worker = spider.settings.get("DRILLWATCH_WORKER_ID") or new_worker_id()
        self.inflight_key = f"{self.key}{INFLIGHT}{self.worker}"
        self._pop = server.register_script(_POP)

    def push(self, request):
        mark = request.meta.pop(MARK, None)  # a redirect or retry: the new request is queued on its own
        super().push(request)
        if mark:
            self.server.hdel(*mark)

    def pop(self, timeout=0):
        data = self._pop(keys=[self.key, self.inflight_key])
        if data is None:
            return None
        request = self._decode_request(data)
        request.meta[MARK] = (self.inflight_key, data)
        return request


def requeue(server: redis.Redis, inflight_key: str) -> int:
    queue_key = inflight_key.split(INFLIGHT, 1)[0]
    return int(server.register_script(_REQUEUE)(keys=[inflight_key, queue_key]))


def requeue_orphans(server: redis.Redis, keys: Keys) -> int:
    """Put back the in-flight requests of workers whose heartbeat has expired; how many."""
    moved = 0
    for key in server.scan_iter(match=f"{keys.prefix}:*{INFLIGHT}*", count=500):
        key = key.decode() if isinstance(key, bytes) else key
        worker = key.split(INFLIGHT, 1)[1]
        if not server.exists(keys.worker(worker)):
            count = requeue(server, key)
            if count:
                log.warning("worker %s is gone: %d of its requests put back in the queue", worker, count)
            moved += count
    return moved


class InFlightMiddleware:
    """Spider middleware (outermost): a queued request is done, and leaves the in-flight hash, when its
    callback has finished and each item it yielded has been through the pipelines (item_scraped,
    item_dropped or item_error); a failed request when its errback has run."""

    def __init__(self, crawler):
        self.server = redis.Redis.from_url(crawler.settings.get("REDIS_URL"))
        self.pending: dict[tuple, int] = {}   # mark -> items still in the pipelines
        self.open: set[tuple] = set()         # marks whose callback output is not finished yet
        self.worker = crawler.settings.get("DRILLWATCH_WORKER_ID")
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_done, signal=signal)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_spider_output(self, response, result, spider=None):
        mark = response.request.meta.get(MARK) if response.request is not None else None
        if mark is None:
            async for output in result:
                yield output
            return
        self.open.add(mark)
        try:
            async for output in result:
                if not isinstance(output, Request):
                    self.pending[mark] = self.pending.get(mark, 0) + 1
                yield output
        finally:
            self.open.discard(mark)
            self._maybe_done(mark)

    def item_done(self, item=None, response=None, **_kw) -> None:
        request = getattr(response, "request", None)
        mark = request.meta.get(MARK) if request is not None else None
        if mark is None or mark not in self.pending:
            return
        self.pending[mark] -= 1
        self._maybe_done(mark)

    def spider_closed(self, spider, reason: str) -> None:
        """Whatever is still marked in flight goes back to the queue (a stop before the crawl was done),
        or, when the crawl finished, is a request the duplicate filter dropped after a redirect."""
        key = f"{spider.settings.get('SCHEDULER_QUEUE_KEY') % {'spider': spider.name}}{INFLIGHT}{self.worker}"
        if reason == "finished":
            self.server.delete(key)
        else:
            requeue(self.server, key)
        self.server.close()

    def _maybe_done(self, mark: tuple) -> None:
        if mark in self.open or self.pending.get(mark, 0) > 0:
            return
        self.pending.pop(mark, None)
        done(self.server, mark)


def done(server: redis.Redis, mark: tuple) -> None:
    server.hdel(*mark)


# --- worker presence ------------------------------------------------------------------------------

class Presence:
    """A worker's heartbeat key (expires after MISSED_BEATS beats) plus, at every beat, the requeueing
    of dead workers' requests. A daemon thread: a SIGKILLed worker simply stops beating."""

    def __init__(self, server: redis.Redis, keys: Keys, worker: str, outlets: list[str], beat: float,
                 on_beat=None):
        self.server, self.keys, self.worker, self.beat, self.on_beat = server, keys, worker, beat, on_beat
        self.info = {"worker": worker, "host": socket.gethostname(), "pid": os.getpid(), "outlets": outlets,
                     "started": time.time()}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="drillwatch-heartbeat", daemon=True)

    def start(self) -> "Presence":
        self.touch()
        self.thread.start()
        return self

    def touch(self) -> None:
        self.server.set(self.keys.worker(self.worker), json.dumps({**self.info, "beat": time.time()}),
                        ex=max(1, int(self.beat * MISSED_BEATS)))

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.touch()
                requeue_orphans(self.server, self.keys)
                if self.on_beat:
                    self.on_beat(self)
            except redis.RedisError as exc:
                log.warning("heartbeat: Redis: %s", exc)
            except Exception:  # the heartbeat must go on
                log.exception("heartbeat")
            self.stop.wait(self.beat)

    def alive(self, worker: str) -> bool:
        return worker == self.worker or bool(self.server.exists(self.keys.worker(worker)))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.server.delete(self.keys.worker(self.worker))


# --- seeding --------------------------------------------------------------------------------------

def seed_messages(outlet, revisits=()) -> list[dict]:
    """What a crawl of the outlet starts from, as RedisSpider start-URL messages (JSON)."""
    messages = [{"kind": "feed", "url": url} for url in outlet.feeds]
    messages += [{"kind": "sitemap", "url": url} for url in outlet.sitemaps]
    messages += [{"kind": "listing", "url": listing.url} for listing in outlet.listings]
    messages += [{"kind": "revisit", "url": r.url, "article_id": r.article_id, "etag": r.etag,
                  "last_modified": r.last_modified} for r in revisits]
    return messages


def outlet_busy(server: redis.Redis, keys: Keys, outlet: str) -> bool:
    """Requests of the outlet queued or in flight on some worker."""
    return bool(server.zcard(keys.requests(outlet)) or server.llen(keys.start_urls(outlet))
                or next(iter(server.scan_iter(match=keys.inflight(outlet), count=500)), None))


def seed_outlet(server: redis.Redis, keys: Keys, outlet, revisits=()) -> dict:
    """Queue the outlet's entry points for the workers. A new round (nothing of the outlet queued or in
    flight) starts with an empty duplicate filter, so links that failed last round are tried again."""
    new_round = not outlet_busy(server, keys, outlet.name)
    messages = seed_messages(outlet, revisits)
    with server.pipeline() as pipe:
        if new_round:
            pipe.delete(keys.dupefilter(outlet.name))
        if messages:
            pipe.rpush(keys.start_urls(outlet.name), *(json.dumps(m) for m in messages))
        pipe.execute()
    return {"outlet": outlet.name, "seeds": len(messages) - len(revisits), "revisits": len(revisits),
            "new_round": new_round}


# --- reading the cluster's state ------------------------------------------------------------------

def cluster_status(server: redis.Redis, keys: Keys, outlets: list[str]) -> dict:
    """Queue depth per outlet, live workers with their last heartbeat, the leader."""
    queues = []
    for name in outlets:
        inflight = sum(server.hlen(k) for k in server.scan_iter(match=keys.inflight(name), count=500))
        queues.append({"outlet": name, "seeds": server.llen(keys.start_urls(name)),
                       "queued": server.zcard(keys.requests(name)), "in_flight": inflight,
                       "seen": server.scard(keys.dupefilter(name))})
    workers = []
    for key in server.scan_iter(match=keys.worker(), count=500):
        raw = server.get(key)
        if raw:
            info = json.loads(raw)
            info["ttl"] = server.ttl(key)
            workers.append(info)
    leader = server.get(keys.leader())
    return {"queues": queues, "workers": sorted(workers, key=lambda w: w["worker"]),
            "leader": {"holder": leader.decode() if isinstance(leader, bytes) else leader,
                       "ttl": server.pttl(keys.leader()) / 1000} if leader else None}
