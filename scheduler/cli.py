"""`drillwatch`: a thin shell over the library. Each command validates, calls one function, prints."""
from __future__ import annotations

import os
import sys

import click

from config import DEMO_DIR
from config.load import load_outlets
from scheduler.context import Context, Group
from scheduler.output import emit, fail, output_options
from storage import queries, runs
from storage.db import session_scope


@click.group(cls=Group)
@click.option("--db", envvar="DRILLWATCH_DB", help="Database URL or SQLite path [default: ./drillwatch.db].")
@click.option("--config", envvar="DRILLWATCH_CONFIG", type=click.Path(file_okay=False),
              help="Config directory with outlets.yaml [default: the shipped config/].")
@click.version_option(package_name="drillwatch")
@click.pass_context
def cli(ctx, db, config):
    """Watch the news on China–Russia military cooperation."""
    ctx.obj = Context(db, config)


# --- crawling -------------------------------------------------------------------------------------

def run_crawl(ctx: Context, names: list[str], trigger: str, config: str | None, verbose: bool,
              overrides: dict | None = None) -> list[int]:
    from crawler.run import crawl
    from scheduler.progress import CrawlProgress

    with CrawlProgress(enabled=not verbose) as progress:
        return crawl(names or None, config=config, db=ctx.db_url, trigger=trigger,
                     log_level="INFO" if verbose else "WARNING", observe=progress.observe, overrides=overrides)


def summarise_recheck(ctx: Context, run_ids: list[int], as_json: bool) -> None:
    """Per outlet: articles rechecked, answered 304, fetched again, changed (a new version), errors."""
    with session_scope(ctx.engine()) as session:
        rows = []
        for run_id in run_ids:
            run = session.get(runs.CrawlRun, run_id)
            stats = run.stats or {}
            rows.append({"run": run.id, "outlet": run.outlet, "status": run.status,
                         "rechecked": stats.get("drillwatch/revisits/due", 0),
                         "not_modified": stats.get("drillwatch/revisits/304", 0),
                         "refetched": stats.get("drillwatch/revisits/200", 0),
                         "changed": run.articles_updated, "unchanged": run.articles_unchanged,
                         "new": run.articles_new, "errors": run.errors})
    emit(rows, [("outlet", "outlet"), ("status", "status"), ("rechecked", "rechecked"),
                ("not_modified", "not modified (304)"), ("refetched", "fetched again"), ("changed", "changed"),
                ("unchanged", "unchanged"), ("new", "new"), ("errors", "errors")], as_json, title="recheck")
    if not as_json:
        click.echo(f"{sum(r['changed'] for r in rows)} of {sum(r['rechecked'] for r in rows)} rechecked "
                   f"articles changed", err=True)


def deliver_alerts(ctx: Context, config: str | None) -> None:
    """Alerts raised by the crawl go out now; failures stay pending for the next crawl."""
    from config.load import load_settings
    from scheduler.alerts import deliver_pending

    report = deliver_pending(ctx.engine(), load_settings(config))
    if report.alerts:
        click.echo(f"alerts: {report.sent} delivered, {report.pending} pending, {report.failed} failed", err=True)
    for error in report.errors:
        click.echo(f"alert sink error: {error}", err=True)


def summarise_runs(ctx: Context, run_ids: list[int], as_json: bool, title: str) -> None:
    with session_scope(ctx.engine()) as session:
        rows = []
        for run_id in run_ids:
            run = session.get(runs.CrawlRun, run_id)
            rows.append({"run": run.id, "outlet": run.outlet, "status": run.status,
                         "pages": run.pages_fetched, "new": run.articles_new,
                         "updated": run.articles_updated, "unchanged": run.articles_unchanged,
                         "errors": run.errors,
                         "error_kinds": sorted({e.kind for e in runs.run_errors(session, run.id)})})
    emit(rows, [("outlet", "outlet"), ("status", "status"), ("pages", "pages fetched"),
                ("new", "articles stored"), ("updated", "updated"), ("unchanged", "unchanged"),
                ("errors", "errors"), ("error_kinds", "error kinds")], as_json, title=title)


@cli.command()
@click.argument("outlets", nargs=-1)
@click.option("--recheck", is_flag=True,
              help="Revisit every stored article of these outlets now (conditional requests) and count the edits.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@click.option("--queue", is_flag=True, help="Seed the shared Redis queue for `drillwatch worker`s and return.")
@click.option("--redis", "redis_opt", help="Redis URL for --queue [default: $DRILLWATCH_REDIS, else cluster.redis].")
@output_options
@click.pass_obj
def crawl(ctx: Context, outlets, recheck, verbose, queue, redis_opt, as_json):
    """Crawl all (or the named) outlets once (with --queue: seed the workers' queue; with --recheck:
    revisit every stored article now)."""
    configured = {o.name for o in load_outlets(ctx.config)}
    unknown = [o for o in outlets if o not in configured]
    if unknown:
        fail(f"no such outlet: {', '.join(unknown)} (configured: {', '.join(sorted(configured))})")
    ctx.engine()
    if queue:
        return seed_queue(ctx, list(outlets), redis_opt, as_json)
    from crawler.run import RECHECK_SETTINGS, RunsNotRecorded

    try:
        run_ids = run_crawl(ctx, list(outlets), "recheck" if recheck else "manual", ctx.config, verbose,
                            RECHECK_SETTINGS if recheck else None)
    except RunsNotRecorded as exc:  # never a silent success: what ran is shown, then the error
        if exc.run_ids:
            summarise_runs(ctx, exc.run_ids, as_json, "crawl")
        fail(str(exc))
    deliver_alerts(ctx, ctx.config)
    if recheck:
        summarise_recheck(ctx, run_ids, as_json)
    else:
        summarise_runs(ctx, run_ids, as_json, "crawl")


def seed_queue(ctx: Context, names: list[str], redis_opt: str | None, as_json: bool) -> None:
    import redis

    from scheduler.cmd_cluster import cluster_of
    from scheduler.seeding import seed

    url, prefix, _settings = cluster_of(ctx, redis_opt)
    try:
        results = seed(names or None, config=ctx.config, db=ctx.db_url, redis_url=url, prefix=prefix)
    except redis.RedisError as exc:
        fail(f"Redis is not reachable: {exc}")
    emit(results, [("outlet", "outlet"), ("run", "run"), ("status", "status"), ("seeds", "entry points"),
                   ("revisits", "revisits"), ("new_round", "new round")], as_json, title="queued",
         empty="no enabled outlets")
    if any(r["status"] != "ok" for r in results):
        sys.exit(1)


DEMO_PORT = 8765


def start_demo_server(port: int):
    """The demo's URLs are the articles' identity: a stable port keeps repeated demos in one database
    free of duplicates. Falls back to a free port when that one is taken."""
    from crawler.demo.server import SITES_DIR, DemoServer

    try:
        return DemoServer(SITES_DIR, port=port).start()
    except OSError:
        click.echo(f"port {port} is taken; serving the demo on a free port (articles get new URLs)", err=True)
        return DemoServer(SITES_DIR, port=0).start()


@cli.command()
@click.option("--port", default=DEMO_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the demo outlets on 127.0.0.1.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@output_options
@click.pass_obj
def demo(ctx: Context, port, verbose, as_json):
    """Serve the bundled offline demo outlets on 127.0.0.1 and crawl them once."""
    ctx.engine()
    with start_demo_server(port) as server:
        os.environ["DRILLWATCH_DEMO_URL"] = server.url
        if not as_json:
            click.echo(f"demo outlets served at {server.url}/ ; database {ctx.db_url}", err=True)
        run_ids = run_crawl(ctx, [], "demo", str(DEMO_DIR), verbose)
    deliver_alerts(ctx, str(DEMO_DIR))
    summarise_runs(ctx, run_ids, as_json, "demo crawl")


# --- reading --------------------------------------------------------------------------------------

@cli.command()
@output_options
@click.pass_obj
def outlets(ctx: Context, as_json):
    """List the configured outlets: schedule, next and last run, failures in a row, new articles."""
    from scheduler.daemon import format_span, stored_next_runs

    rows = []
    engine = ctx.engine()
    next_runs = stored_next_runs(engine)  # the daemon's job store (`drillwatch run`), if it ever ran
    with session_scope(engine) as session:
        for outlet in load_outlets(ctx.config):
            status = runs.outlet_status(session, outlet.name)
            last = status["last_run"]
            rows.append({
                "name": outlet.name, "title": outlet.title, "entry": _entry_kinds(outlet),
                "interval": outlet.cron or format_span(outlet.interval), "verified": outlet.verified,
                "enabled": outlet.enabled,
                "next_run": next_runs.get(outlet.name) if outlet.enabled else None,
                "last_run": last.started_at if last else None, "last_status": last.status if last else None,
                "last_success": status["last_success"].finished_at if status["last_success"] else None,
                "failures": status["consecutive_failures"], "articles_24h": status["articles_last_day"],
                "articles": queries.count_articles(session, outlet.name),
            })
    emit(rows, [("name", "outlet"), ("entry", "via"), ("interval", "every"), ("verified", "verified"),
                ("next_run", "next run"), ("last_run", "last run"), ("last_status", "status"),
                ("last_success", "last success"), ("failures", "fails"),
                ("articles_24h", "new 24h"), ("articles", "articles")], as_json)


def _entry_kinds(outlet) -> str:
    kinds = [k for k, v in (("feed", outlet.feeds), ("sitemap", outlet.sitemaps), ("listing", outlet.listings)) if v]
    return "+".join(kinds)


@cli.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--outlet", help="Only stories this outlet carried (the row is its copy; copies counts all outlets).")
@click.option("--relevant-only", is_flag=True, help="Only articles judged on topic.")
@output_options
@click.pass_obj
def articles(ctx: Context, limit, outlet, relevant_only, as_json):
    """List stored articles, one row per story (newest first) with its number of copies across outlets.

    The row is the story's origin (its earliest copy); `drillwatch show ID` lists the other copies."""
    if outlet and outlet not in {o.name for o in load_outlets(ctx.config)}:
        with session_scope(ctx.engine()) as session:
            if not queries.count_articles(session, outlet):
                fail(f"no such outlet: {outlet}")
    with session_scope(ctx.engine()) as session:
        rows = list(queries.list_stories(session, limit=limit, outlet=outlet, relevant_only=relevant_only))
    emit(rows, [("id", "id"), ("published", "published"), ("outlet", "outlet"), ("title", "title"),
                ("copies", "copies"), ("relevant", "on topic")], as_json, empty="no articles stored yet")


@cli.command(name="runs")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--outlet", help="Only this outlet.")
@output_options
@click.pass_obj
def runs_cmd(ctx: Context, limit, outlet, as_json):
    """List crawl runs, newest first."""
    with session_scope(ctx.engine()) as session:
        rows = [{"id": r.id, "outlet": r.outlet, "trigger": r.trigger, "worker": r.worker, "status": r.status,
                 "started": r.started_at, "finished": r.finished_at, "pages": r.pages_fetched,
                 "new": r.articles_new, "updated": r.articles_updated, "errors": r.errors,
                 "reason": r.finish_reason, "message": r.message}
                for r in runs.recent_runs(session, outlet, limit)]
    columns = [("id", "id"), ("outlet", "outlet"), ("trigger", "trigger"), ("status", "status"),
               ("started", "started"), ("finished", "finished"), ("pages", "pages"), ("new", "new"),
               ("updated", "updated"), ("errors", "errors")]
    if any(r["worker"] for r in rows):  # a cluster: which worker or seeder recorded each run
        columns.insert(3, ("worker", "worker"))
    emit(rows, columns, as_json, empty="no crawl runs yet")


# Commands of other areas live in their own modules; each exposes COMMANDS.
from scheduler import commands  # noqa: E402

for command in commands.all_commands():
    cli.add_command(command)


def main() -> None:
    cli(prog_name="drillwatch")


if __name__ == "__main__":
    sys.exit(main())
