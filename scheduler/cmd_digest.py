"""`drillwatch digest`: what the period brought, for people or for the alert sinks. Thin: parse the
options, call scheduler.digest, print."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from config.load import load_settings
from config.schema import parse_duration
from scheduler.context import Context
from scheduler.digest import FORMATS, build_digest, period_label, send_digest
from scheduler.output import dumps, fail
from storage import search as searching


def parse_since(value: str, now: datetime) -> tuple[datetime, str]:
    """A duration back from now (7d, 24h) or a date or phrase (2024-06-01, 'last monday'); and its label."""
    try:
        seconds = parse_duration(value)
    except ValueError:
        pass
    else:
        if seconds <= 0:
            fail(f"--since {value}: the period must be longer than 0s; write e.g. 7d or 24h", 2)
        return now - timedelta(seconds=seconds), period_label(seconds)
    try:
        moment = searching.parse_date(value, now=now)
    except searching.SearchError:
        fail(f"--since {value!r} is neither a duration (7d, 24h, 90m) nor a date (2024-06-01, '3 days ago')", 2)
    if moment >= now:
        fail(f"--since {value} is in the future; give a past date or a duration such as 7d", 2)
    return moment, f"since {moment:%Y-%m-%d %H:%M} UTC"


@click.command(short_help="What the period brought: new exercises, most-copied stories, failing outlets.")
@click.option("--since", metavar="PERIOD", help="A duration back from now (7d, 24h) or a date "
              "(2024-06-01) [default: settings.yaml digest.since, 7d].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="text, md (Markdown) or html "
              "[default: settings.yaml digest.format, text].")
@click.option("--send", is_flag=True, help="Also send it through the alert sinks of settings.yaml (log, jsonl, "
              "apprise; the Atom feed carries alerts only).")
@click.option("--json", "as_json", is_flag=True, help="Print the digest's data as JSON instead.")
@click.pass_obj
def digest(ctx: Context, since, fmt, send, as_json):
    """The digest of a period (by when drillwatch crawled): exercises that became news with their first
    sentence and sources, the most-copied on-topic stories, and outlets that failed or stored nothing.

    Exit 1 when --send was given and a sink failed (or none takes digests)."""
    settings = load_settings(ctx.config)
    now = datetime.now(timezone.utc)
    start, label = parse_since(since, now) if since else \
        (now - timedelta(seconds=settings.digest.since), period_label(settings.digest.since))
    result = build_digest(ctx.engine(), ctx.config, start, now, fmt or settings.digest.format, label, settings)
    report = send_digest(result, settings) if send else None
    if as_json:
        payload = {"title": result.title, **result.data}
        if report is not None:
            payload["deliveries"] = [d.to_dict() for d in report.deliveries]
        click.echo(dumps(payload))
    else:
        click.echo(result.body, nl=False)
    if report is not None:
        explain(report)


def explain(report) -> None:
    for delivery in report.deliveries:
        line = f"digest -> {delivery.sink}: {delivery.status}" + (f" ({delivery.error})" if delivery.error else "")
        click.echo(line, err=True)
    if not report.deliveries:
        fail("--send: no alert sink is configured (settings.yaml alerts.sinks); add a log, jsonl or apprise sink")
    if report.failed:
        fail(f"the digest could not be sent to {len(report.failed)} of {len(report.deliveries)} sink(s)")
    if not report.sent:
        fail("--send: none of the configured sinks takes digests (the Atom feed carries alerts only); "
             "add a log, jsonl or apprise sink")


COMMANDS = [digest]
