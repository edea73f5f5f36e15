"""`drillwatch run`: the scheduled crawl daemon (or, with --once, one round of it)."""
from __future__ import annotations

import logging
import os
import sys

import click

from config.schema import parse_duration
from scheduler.context import Context
from scheduler.jobs import ENV_CRAWL_TIMEOUT
from scheduler.output import emit, fail, output_options

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"


def _duration(_ctx, _param, value):
    if value is None:
        return None
    try:
        seconds = parse_duration(value if not str(value).isdigit() else int(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds < 1:
        raise click.BadParameter("must be at least 1 second")
    return seconds


def setup_logging(level: str) -> None:
    """One line per event on stderr. APScheduler's own INFO lines repeat ours; keep its warnings
    (missed runs, skipped overlapping runs)."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, stream=sys.stderr, force=True)
    if level.upper() != "DEBUG":
        for noisy in ("apscheduler", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


@click.command()
@click.option("--once", is_flag=True,
              help="Crawl every enabled outlet once, run the post-crawl steps, print a summary and exit "
                   "(for cron; exit status 1 if a crawl failed).")
@click.option("--crawl-timeout", callback=_duration, envvar=ENV_CRAWL_TIMEOUT, metavar="DURATION",
              help="Stop a crawl that takes longer than this (e.g. 90s, 30m) "
                   "[default: daemon.crawl_timeout in settings.yaml].")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1),
              help="Crawls that may run at the same time.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--redis", "redis_opt", help="Redis URL of a cluster: this daemon leads (one at a time) and seeds the "
                                          "workers' queue on schedule [default: $DRILLWATCH_REDIS, else cluster.redis].")
@output_options
@click.pass_obj
def run(ctx: Context, once, crawl_timeout, workers, log_level, redis_opt, as_json):
    """Crawl every enabled outlet on its schedule until stopped.

    Each crawl runs in its own process within the time limit; an outlet that keeps failing is
    retried less and less often (up to daemon.max_backoff). The schedule lives in the database
    (table apscheduler_jobs), so a restart resumes it. SIGTERM or Ctrl-C: stop after running
    crawls finish (daemon.stop_grace); SIGHUP: re-read outlets.yaml and settings.yaml.

    One daemon per database: a second one refuses to start and says who runs. With a Redis URL it is a
    cluster leader instead: one leads and seeds the workers' queue, the others wait and take over when
    the leader's lease runs out.
    """
    from config.load import load_settings
    from crawler.cluster import key_prefix, redis_url
    from scheduler.daemon import Daemon
    from storage.locks import DaemonLockHeld

    setup_logging(log_level)
    if crawl_timeout is not None:
        os.environ[ENV_CRAWL_TIMEOUT] = str(crawl_timeout)  # read by each crawl job in this process
    ctx.engine()  # create or migrate the schema first, with a clear error if the database is unusable
    settings = load_settings(ctx.config)
    daemon = Daemon(ctx.config_dir, ctx.db_url, workers=workers, redis_url=redis_url(redis_opt, settings),
                    redis_prefix=key_prefix(None, settings))
    if not once:
        sys.exit(daemon.run_forever())
    try:
        results, _post = daemon.run_once()
    except DaemonLockHeld as exc:
        fail(str(exc))
    emit(results, [("outlet", "outlet"), ("status", "status"), ("pages", "pages fetched"),
                   ("new", "articles stored"), ("updated", "updated"), ("errors", "errors"),
                   ("message", "message")], as_json, title="crawl round", empty="no enabled outlets")
    failed = [r["outlet"] for r in results if r["status"] == "failed"]
    if failed:
        fail(f"{len(failed)} of {len(results)} crawls failed ({', '.join(failed)}); "
             f"see `drillwatch runs --outlet {failed[0]}`")


COMMANDS = [run]
