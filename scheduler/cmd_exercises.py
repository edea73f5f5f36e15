"""`drillwatch detect`, `exercises` and `alerts`: exercise detection on a text, the timeline of exercise
instances, and the alerts they raised. Thin: validate, call one library function, print."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from config.load import load_gazetteer
from scheduler.context import Context
from scheduler.output import dumps, emit, fail, output_options
from storage.db import session_scope


# --- detect ---------------------------------------------------------------------------------------

def parse_published(value: str | None) -> datetime | None:
    """YYYY-MM-DD or an ISO 8601 time; none given: None (dates come from the text alone, never from
    today: an archive text read today is not news of today)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"--published: {value!r} is not a date; write it as YYYY-MM-DD (e.g. 2024-07-25) "
             "or an ISO time (2024-07-25T09:30:00+00:00)", 2)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_text(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    path = Path(file).expanduser()
    if not path.exists():
        fail(f"{file}: no such file; give the path of a plain-text article (or - to read standard input)", 2)
    if path.is_dir():
        fail(f"{file}: is a directory, not a text file", 2)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text; save the article as plain UTF-8 text first", 2)
    except OSError as exc:
        fail(f"{file}: cannot read it ({exc.strerror})", 2)


def detect_text(text: str, published: datetime | None, title: str, gazetteer) -> dict:
    """What the crawl's analysis stage decides on this text (same front door, same gazetteer)."""
    from crawler.text.analyse import analyse_text

    relevance, mentions = analyse_text(text, title, published, gazetteer)
    return {"published": published.date().isoformat() if published else None, "relevant": relevance.relevant,
            "score": round(relevance.score, 3), "reasons": list(relevance.reasons),
            "disagreement": relevance.disagreement or None, "mentions": [m.to_dict() for m in mentions]}


@click.command(short_help="Exercise mentions and relevance of a text file (no database).")
@click.argument("file", metavar="FILE.txt")
@click.option("--published", metavar="DATE", help="When the text was published (YYYY-MM-DD); dates like "
              "'on Wednesday' and years missing next to a name are read against it. Without it only dates "
              "written in the text count.")
@click.option("--title", default="", help="The article's headline, if it is not in the text.")
@output_options
@click.pass_obj
def detect(ctx: Context, file, published, title, as_json):
    """Relevance and exercise mentions of a plain-text article (no database needed); FILE.txt - reads
    standard input."""
    moment = parse_published(published)
    text = read_text(file)
    result = detect_text(text, moment, title, load_gazetteer(ctx.config))
    if as_json:
        click.echo(dumps(result))
        return
    verdict = "on topic" if result["relevant"] else "not on topic"
    read_as = f"read as published {result['published']}" if result["published"] else \
        "read without a publication date (dates only from the text)"
    click.echo(f"{verdict} (score {result['score']:.2f}), {read_as}")
    if result["disagreement"]:
        click.echo(f"note: {result['disagreement']}")
    click.echo(f"{len(result['mentions']) or 'no'} exercise mention(s)")
    for mention in result["mentions"]:
        click.echo("\n" + describe_mention(mention))


def describe_mention(m: dict) -> str:
    """A few lines per mention: the key and what it is, the facts, then the sentence."""
    facts = [m["kind"], "known" if m["known"] else "not in the gazetteer",
             "reported as starting" if m["starting"] else None, f"date {m['date']}" if m["date"] else None,
             f"dates {m['start']} to {m['end']}" if m["start"] and m["end"] and m["start"] != m["end"] else None]
    lines = [f"{m['exercise']}  ({', '.join(f for f in facts if f)})", f"  name: {m['name']}"]
    if m["places"]:
        lines.append(f"  places: {', '.join(m['places'])}")
    if m["participants"]:
        lines.append(f"  participants: {', '.join(m['participants'])}")
    lines.append(f"  “{m['sentence']}”")
    return "\n".join(lines)


# --- exercises ------------------------------------------------------------------------------------

def dates_cell(row: dict) -> str | None:
    start, end = row["start"], row["end"]
    if start and end and end != start:
        return f"{start} – {end}"
    return str(start) if start else (str(row["year"]) if row["year"] else None)


@click.command(short_help="Timeline of exercises found in the news, newest first.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1))
@output_options
@click.pass_obj
def exercises(ctx: Context, limit, as_json):
    """Timeline of exercise instances found in the news, newest first: known (in the gazetteer) or
    discovered, when and where first reported, how many mentions."""
    from storage.exercises import timeline

    with session_scope(ctx.engine()) as session:
        rows = timeline(session, limit=limit)
    for row in rows:
        row["dates"] = dates_cell(row)
        row["source"] = "known" if row["known"] else "discovered"
    emit(rows, [("exercise", "exercise"), ("name", "name"), ("series", "series"), ("dates", "dates"),
                ("source", "known/discovered"), ("first_seen", "first reported"), ("first_outlet", "by"),
                ("mentions", "mentions"), ("alerts", "alerts")], as_json,
         empty="no exercises found yet (crawl first: `drillwatch crawl` or `drillwatch demo`)")


# --- alerts ---------------------------------------------------------------------------------------

@click.command(short_help="Alerts on new exercises: status, attempts, errors.")
@click.option("--pending", is_flag=True, help="Only alerts not yet delivered to every sink (pending or failed).")
@click.option("--retry", is_flag=True, help="Make failed alerts (max attempts reached) pending again.")
@click.option("--deliver", is_flag=True, help="Deliver pending alerts to the configured sinks now.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1))
@output_options
@click.pass_obj
def alerts(ctx: Context, pending, retry, deliver, limit, as_json):
    """Alerts raised by new exercises (or one reported as starting): status, delivery attempts, last error,
    the sentence that raised it and why it was judged new. Sinks are configured in settings.yaml
    (alerts.sinks)."""
    from storage import alerts as stored

    engine = ctx.engine()
    if retry:
        with session_scope(engine) as session:
            count = stored.retry_failed(session)
        click.echo(f"{count} failed alert(s) pending again", err=True)
    if deliver:
        deliver_now(ctx, engine)
    with session_scope(engine) as session:
        rows = stored.list_alerts(session, unsent_only=pending, limit=limit)
    emit(rows, [("id", "id"), ("created", "raised"), ("title", "alert"), ("outlet", "outlet"),
                ("historical", "archive"), ("status", "status"), ("attempts", "attempts"),
                ("last_error", "last error")], as_json,
         empty="no pending alerts" if pending else "no alerts yet")
    if not as_json:
        for row in rows:  # too long for table cells: the evidence under the table, one block per alert
            click.echo(f"\n#{row['id']} “{row['sentence']}”\n   why new: {row['why'] or '-'}")


def deliver_now(ctx: Context, engine) -> None:
    from config.load import load_settings
    from scheduler.alerts import deliver_pending

    report = deliver_pending(engine, load_settings(ctx.config))
    click.echo(f"delivered {report.sent} of {report.alerts} pending alert(s); {report.pending} still pending, "
               f"{report.failed} failed", err=True)
    for error in report.errors:
        click.echo(f"  {error}", err=True)


COMMANDS = [detect, exercises, alerts]
