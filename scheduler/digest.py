"""The digest: `storage.digest.collect_digest` rendered as plain text, Markdown or HTML (Jinja2 templates in
scheduler/templates/), and sent through the configured alert sinks (`drillwatch digest --send`, and the
daemon's digest job when settings.yaml sets `digest.schedule`).

Sinks: log, jsonl and apprise take digests; the Atom feed carries alerts only and is skipped. A digest
that a sink could not take is reported (CLI: exit 1; daemon: a log line) and not retried: the next
digest covers the next period.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from config.load import load_outlets, load_settings
from config.schema import Settings
from scheduler.alerts import NotForDigests, build_sink, describe
from storage.db import session_scope
from storage.digest import collect_digest

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("text", "md", "html")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True)
class Digest:
    title: str
    body: str
    format: str
    data: dict


@dataclass
class Delivery:
    sink: str
    status: str  # sent | skipped | failed
    error: str | None = None

    def to_dict(self) -> dict:
        return {"sink": self.sink, "status": self.status, "error": self.error}


@dataclass
class DigestReport:
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "sent"]

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "failed"]


# --- building and rendering ----------------------------------------------------------------------------

def build_digest(engine, config: str | None, since: datetime, until: datetime | None = None,
                 fmt: str = "text", period: str | None = None, settings: Settings | None = None) -> Digest:
    """Collect the period's digest from the database and render it; `period` labels it ('last 7 days')."""
    settings = settings or load_settings(config)
    until = until or datetime.now(timezone.utc)
    outlets = [o.name for o in load_outlets(config) if o.enabled]
    with session_scope(engine) as session:
        data = collect_digest(session, since, until, outlets, stories=settings.digest.stories)
    return render(data, fmt, period)


def period_label(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    if not rest:
        return f"last {days} day{'s' if days != 1 else ''}"
    hours = seconds / 3600
    return f"last {hours:g} hour{'s' if hours != 1 else ''}"


def render(data: dict, fmt: str, period: str | None = None) -> Digest:
    if fmt not in FORMATS:
        raise ValueError(f"unknown digest format {fmt!r}; use one of {', '.join(FORMATS)}")
    title = digest_title(data, period)
    shown = dict(data, exercises=[dict(x, news_label=news_label(x), facts=facts_line(x)) for x in data["exercises"]])
    template = _environment(fmt).get_template(f"digest.{'txt' if fmt == 'text' else fmt}.j2")
    body = template.render(digest=shown, title=title, counts_line=counts_line(data))
    return Digest(title=title, body=tidy(body), format=fmt, data=data)


def digest_title(data: dict, period: str | None) -> str:
    span = f"{_day(data['since'])} to {_day(data['until'])}"
    count = len(data["exercises"])
    news = f"{count} exercise{'s' if count != 1 else ''} in the news" if count else "no new exercises"
    return f"drillwatch digest, {span}{f' ({period})' if period else ''}: {news}"


def counts_line(data: dict) -> str:
    articles, crawls = data["articles"], data["crawls"]
    return (f"{articles['stored']} article{'s' if articles['stored'] != 1 else ''} stored "
            f"({articles['relevant']} on topic) in {crawls} crawl{'s' if crawls != 1 else ''}.")


def news_label(entry: dict) -> str:
    return "new" if entry["news"] == "new" else "reported as starting"


def facts_line(entry: dict) -> str:
    parts = [entry["dates"] or "no date yet", ", ".join(entry["places"]) or "no place yet"]
    if entry["participants"]:
        parts.append(", ".join(entry["participants"]))
    parts.append("in the gazetteer" if entry["known"] else "discovered (not in the gazetteer)")
    return " · ".join(parts)


def tidy(text: str) -> str:
    """Templates stay readable with blank lines; the output keeps at most one in a row."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _day(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + " ")


def _md(text) -> str:
    """Markdown-escape text from articles (a headline with * or [ must not become markup)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


@lru_cache(maxsize=3)
def _environment(fmt: str):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=fmt == "html", undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(day=_day, wrap=_wrap, md=_md)
    return env


# --- sending ---------------------------------------------------------------------------------------------

def send_digest(digest: Digest, settings: Settings) -> DigestReport:
    """The digest to every configured alert sink that takes digests; each outcome is reported."""
    report = DigestReport()
    for config in settings.alerts.sinks:
        sink = build_sink(config)
        try:
            sink.send_digest(digest.title, digest.body, digest.format, digest.data)
        except NotForDigests as exc:
            report.deliveries.append(Delivery(sink.id, "skipped", str(exc)))
        except Exception as exc:  # noqa: BLE001 - one sink's failure never stops the others
            report.deliveries.append(Delivery(sink.id, "failed", describe(exc)))
        else:
            report.deliveries.append(Delivery(sink.id, "sent"))
    return report


def scheduled_digest(engine, config: str | None, now: datetime | None = None) -> tuple[Digest, DigestReport]:
    """What the daemon's digest job does: the last `digest.since` rendered as `digest.format`, sent."""
    settings = load_settings(config)
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(seconds=settings.digest.since)
    digest = build_digest(engine, config, since, now, settings.digest.format, period_label(settings.digest.since),
                          settings=settings)
    return digest, send_digest(digest, settings)

