"""`drillwatch worker` and `drillwatch status`: crawl workers on a shared Redis queue, and the view of it."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from config.load import load_outlets, load_settings
from scheduler.context import Context
from scheduler.output import emit, fail, output_options

REDIS_HELP = "Redis URL of the shared queue [default: $DRILLWATCH_REDIS, else cluster.redis in settings.yaml]."


def cluster_of(ctx: Context, redis_opt: str | None) -> tuple[str, str, object]:
    """(Redis URL, key prefix, settings), or a clear failure when no Redis URL is configured."""
    from crawler.cluster import key_prefix, redis_url

    settings = load_settings(ctx.config)
    url = redis_url(redis_opt, settings)
    if not url:
        fail("no Redis URL: pass --redis redis://HOST:6379/0, set DRILLWATCH_REDIS, or cluster.redis in settings.yaml")
    return url, key_prefix(None, settings), settings


def check_outlets(ctx: Context, names) -> list[str]:
    configured = {o.name for o in load_outlets(ctx.config) if o.enabled}
    names = [n for name in names for n in name.split(",") if n]
    unknown = [n for n in names if n not in configured]
    if unknown:
        fail(f"no such enabled outlet: {', '.join(unknown)} (configured: {', '.join(sorted(configured))})")
    return names


@click.command()
@click.option("--outlets", "outlet_names", multiple=True, metavar="NAME",
              help="Work only on these outlets (repeat, or comma-separated) [default: every enabled outlet].")
@click.option("--idle-exit", type=click.FloatRange(0), default=0, metavar="SECONDS",
              help="Exit after this long with no work anywhere in the cluster [default: never].")
@click.option("--redis", "redis_opt", help=REDIS_HELP)
@click.option("--db", "db_opt", help="Shared database URL (overrides the global --db / $DRILLWATCH_DB).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@output_options
@click.pass_obj
def worker(ctx: Context, outlet_names, idle_exit, redis_opt, db_opt, verbose, as_json):
    """Crawl requests from the shared Redis queue (scrapy-redis) into the shared database.

    Run any number of workers on any number of machines; `drillwatch crawl --queue` or the leader
    daemon (`drillwatch run` with a Redis URL) seeds the queue. A worker killed outright loses nothing:
    its requests go back to the queue once its heartbeat expires (3 x cluster.heartbeat)."""
    import redis

    from crawler.run import work
    from scheduler.cli import summarise_runs

    if db_opt:
        ctx = Context(db_opt, ctx.config)
    url, prefix, settings = cluster_of(ctx, redis_opt)
    names = check_outlets(ctx, outlet_names)
    ctx.engine()
    if not as_json:
        click.echo(f"worker on {_safe(url)} (prefix {prefix}), database {_safe(ctx.db_url)}; "
                   f"outlets: {', '.join(names) or 'all enabled'}"
                   + (f"; exits after {idle_exit:g}s idle" if idle_exit else ""), err=True)
    try:
        run_ids = work(names or None, redis_url=url, prefix=prefix, config=ctx.config, db=ctx.db_url,
                       idle_exit=idle_exit, heartbeat=settings.cluster.heartbeat,
                       log_level="INFO" if verbose else "WARNING")
    except redis.RedisError as exc:
        fail(f"{_safe(url)}: Redis is not reachable ({exc})")
    summarise_runs(ctx, run_ids, as_json, "worker")


@click.command()
@click.option("--redis", "redis_opt", help=REDIS_HELP)
@output_options
@click.pass_obj
def status(ctx: Context, redis_opt, as_json):
    """The cluster at work: queue depth per outlet, live workers and their last heartbeat, the leader."""
    import redis

    from crawler.cluster import Keys, cluster_status

    url, prefix, _settings = cluster_of(ctx, redis_opt)
    names = [o.name for o in load_outlets(ctx.config)]
    server = redis.Redis.from_url(url)
    try:
        state = cluster_status(server, Keys(prefix), names)
    except redis.RedisError as exc:
        fail(f"{_safe(url)}: Redis is not reachable ({exc})")
    finally:
        server.close()
    if as_json:
        click.echo(__import__("json").dumps(state, indent=2, default=str))
        return
    now = datetime.now(timezone.utc).timestamp()
    leader = state["leader"]
    click.echo(f"leader: {leader['holder']} (lease {leader['ttl']:.0f}s left)" if leader else
               "leader: none (no daemon with this Redis URL is running)")
    emit(state["queues"], [("outlet", "outlet"), ("seeds", "seeds"), ("queued", "queued"),
                           ("in_flight", "in flight"), ("seen", "requests this round")], False, title="queues")
    workers = [{"worker": w["worker"], "outlets": ", ".join(w["outlets"]),
                "beat": f"{now - w['beat']:.0f}s ago", "up": f"{now - w['started']:.0f}s"} for w in state["workers"]]
    emit(workers, [("worker", "worker"), ("outlets", "outlets"), ("beat", "last heartbeat"), ("up", "up for")],
         False, title="workers", empty="no live workers")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True) if "://" in url and not url.startswith(
            ("redis", "unix")) else _hide_redis_password(url)
    except Exception:
        return url


def _hide_redis_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


COMMANDS = [worker, status]
