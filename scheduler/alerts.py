"""Alert sinks and delivery: every pending alert goes to every configured sink that has not taken it.

Sinks (settings.yaml `alerts.sinks`):
  log      a WARNING line on the `drillwatch.alerts` logger
  jsonl    one JSON object per alert appended to `path`
  atom     an Atom 1.0 feed at `path` with the newest ATOM_ENTRIES alerts, rewritten atomically
  apprise  any Apprise URL (`url`): mailto://, slack://, tgram://, json://host/path (a webhook)...

Digests (scheduler.digest) go through the same sinks with `send_digest`; the Atom feed carries alerts only.

`deliver_pending(engine, settings)` is called after crawls. A sink that fails is logged (sink and
error) and tried again on the next call; the alert stays pending until every sink took it, up to
settings.alerts.max_attempts failed rounds, then it is parked as `failed` (kept, listed by
`drillwatch alerts`, retried after `drillwatch alerts --retry`). Nothing is lost.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from config.schema import AlertSink, Settings
from storage.alerts import claim_pending, payload, recent_alerts, record_delivery
from storage.db import session_scope

log = logging.getLogger("drillwatch.alerts")
ATOM_ENTRIES = 50
ATOM_NS = "http://www.w3.org/2005/Atom"


class SinkError(Exception):
    """A sink could not take an alert; the message says why (and is stored as the alert's last_error)."""


class NotForDigests(SinkError):
    """The sink carries alerts only (the Atom feed): a digest skips it."""


# --- what an alert says -----------------------------------------------------------------------------

def message_body(alert: dict) -> str:
    """Plain text for people: the sentence, where it was read, and the facts."""
    lines = [f"“{alert['sentence']}”"] if alert.get("sentence") else []
    published = (alert.get("published") or "")[:10]
    source = ", ".join(part for part in (alert.get("outlet"), f"published {published}" if published else "") if part)
    lines.append(f"{source}: {alert.get('url') or '(no URL)'}")
    facts = [("Exercise", exercise_label(alert)), ("Dates", date_range(alert)),
             ("Places", ", ".join(alert.get("places") or [])),
             ("Participants", ", ".join(alert.get("participants") or []))]
    lines += [f"{label}: {value}" for label, value in facts if value]
    if alert.get("historical"):
        lines.append("(Archive: the report was already old when drillwatch first read it.)")
    return "\n".join(lines)


def exercise_label(alert: dict) -> str:
    known = "in the gazetteer" if alert.get("known") else "not in the gazetteer (discovered)"
    return f"{alert.get('exercise')} ({alert.get('kind')}, {known})" if alert.get("exercise") else ""


def date_range(alert: dict) -> str:
    start, end, day = alert.get("start"), alert.get("end"), alert.get("date")
    if start and end and end != start:
        return f"{start} to {end}"
    return start or day or (str(alert["year"]) if alert.get("year") else "")


# --- sinks ---------------------------------------------------------------------------------------------

class Sink:
    """One destination. `send(alert)` raises on failure; `send_batch` maps alert id -> error or None."""
    id = "sink"

    def send(self, alert: dict) -> None:
        raise NotImplementedError

    def send_digest(self, title: str, body: str, fmt: str, data: dict) -> None:
        """A digest (scheduler.digest): raises on failure, NotForDigests where the sink takes none."""
        raise NotForDigests(f"{self.id} carries alerts only")

    def send_batch(self, alerts: list[dict], recent: list[dict]) -> dict[int, str | None]:
        outcome = {}
        for alert in alerts:
            try:
                self.send(alert)
                outcome[alert["id"]] = None
            except Exception as exc:  # noqa: BLE001 - any sink failure is recorded, never raised
                outcome[alert["id"]] = describe(exc)
        return outcome


def describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, SinkError) else f"{type(exc).__name__}: {exc}"


class LogSink(Sink):
    id = "log"

    def send(self, alert: dict) -> None:
        log.warning("ALERT %s\n%s", alert["title"], message_body(alert))

    def send_digest(self, title: str, body: str, fmt: str, data: dict) -> None:
        log.warning("DIGEST %s\n%s", title, body)


class JsonlSink(Sink):
    def __init__(self, path: str):
        self.path = Path(path).expanduser()
        self.id = f"jsonl:{self.path}"

    def send_batch(self, alerts: list[dict], recent: list[dict]) -> dict[int, str | None]:
        """All lines in one append (a half-written batch would be re-sent whole next time)."""
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(json.dumps(a, ensure_ascii=False, default=str) + "\n" for a in alerts))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            return {a["id"]: f"cannot append to {self.path}: {exc.strerror}" for a in alerts}
        return {a["id"]: None for a in alerts}

    def send_digest(self, title: str, body: str, fmt: str, data: dict) -> None:
        line = json.dumps({"digest": title, "format": fmt, "body": body, "data": data}, ensure_ascii=False, default=str)
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as exc:
            raise SinkError(f"cannot append to {self.path}: {exc.strerror}") from None


class AtomSink(Sink):
    """The feed is a view of the newest alerts: every delivery rewrites it whole (temp file + rename)."""

    def __init__(self, path: str, entries: int = ATOM_ENTRIES):
        self.path = Path(path).expanduser()
        self.entries = entries
        self.id = f"atom:{self.path}"

    def send_batch(self, alerts: list[dict], recent: list[dict]) -> dict[int, str | None]:
        shown = {a["id"]: a for a in recent}
        shown.update({a["id"]: a for a in alerts})
        newest = sorted(shown.values(), key=lambda a: (a.get("created") or "", a["id"]), reverse=True)
        try:
            write_atomically(self.path, atom_feed(newest[:self.entries], self.path))
        except OSError as exc:
            return {a["id"]: f"cannot write {self.path}: {exc.strerror}" for a in alerts}
        return {a["id"]: None for a in alerts}


class AppriseSink(Sink):
    def __init__(self, url: str):
        import apprise

        self.apprise = apprise.Apprise()
        self.valid = self.apprise.add(url)
        self.id = apprise_sink_id(url, self.apprise)

    def send(self, alert: dict) -> None:
        if not self.valid:
            raise SinkError("not a valid Apprise URL (see https://github.com/caronc/apprise/wiki)")
        result = self.apprise.notify(body=message_body(alert), title=alert["title"])
        if not result:
            raise SinkError(apprise_error(result))

    def send_digest(self, title: str, body: str, fmt: str, data: dict) -> None:
        from apprise import NotifyFormat

        if not self.valid:
            raise SinkError("not a valid Apprise URL (see https://github.com/caronc/apprise/wiki)")
        body_format = {"text": NotifyFormat.TEXT, "md": NotifyFormat.MARKDOWN, "html": NotifyFormat.HTML}[fmt]
        result = self.apprise.notify(body=body, title=title, body_format=body_format)
        if not result:
            raise SinkError(apprise_error(result))


def apprise_sink_id(url: str, instance) -> str:
    """Readable without its secrets: Apprise's privacy URL (no query) plus a short hash of the real URL."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    shown = instance[0].url(privacy=True).split("?")[0] if len(instance) else url.split("://")[0] + "://"
    return f"apprise:{shown}#{digest}"


def apprise_error(result) -> str:
    messages = [entry.message for service in result for attempt in service.attempts for entry in attempt.logs
                if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    return "; ".join(dict.fromkeys(messages)) or f"notification failed ({result.status.name})"


class BrokenSink(Sink):
    """A sink that could not even be built: every delivery fails with the reason."""

    def __init__(self, sink_id: str, error: str):
        self.id, self.error = sink_id, error

    def send(self, alert: dict) -> None:
        raise SinkError(self.error)

    def send_digest(self, title: str, body: str, fmt: str, data: dict) -> None:
        raise SinkError(self.error)


def build_sink(config: AlertSink) -> Sink:
    try:
        if config.type == "log":
            return LogSink()
        if config.type == "jsonl":
            return JsonlSink(config.path)
        if config.type == "atom":
            return AtomSink(config.path)
        return AppriseSink(config.url)
    except Exception as exc:  # noqa: BLE001
        return BrokenSink(f"{config.type}:{config.path or ''}", describe(exc))


# --- the Atom file ---------------------------------------------------------------------------------------

def atom_feed(alerts: list[dict], path: Path) -> bytes:
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'drillwatch:feed:{path.resolve()}')}")
    sub(feed, "title", "drillwatch: China–Russia joint exercises")
    sub(feed, "subtitle", "New joint exercises and patrols reported by the watched outlets")
    sub(feed, "updated", atom_time(alerts[0].get("created") if alerts else None))
    author = sub(feed, "author")
    sub(author, "name", "drillwatch")
    sub(feed, "generator", "drillwatch")
    for alert in alerts:
        feed.append(atom_entry(alert))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def atom_entry(alert: dict) -> ET.Element:
    entry = ET.Element(f"{{{ATOM_NS}}}entry")
    sub(entry, "id", alert_uri(alert))
    sub(entry, "title", alert["title"])
    sub(entry, "updated", atom_time(alert.get("created")))
    if alert.get("url"):
        sub(entry, "link", rel="alternate", type="text/html", href=alert["url"])
    for term in filter(None, (alert.get("reason"), alert.get("series"), "historical" if alert.get("historical") else None)):
        sub(entry, "category", term=term)
    sub(entry, "summary", alert.get("sentence") or alert["title"])
    sub(entry, "content", message_body(alert), type="text")
    return entry


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def alert_uri(alert: dict) -> str:
    """Stable per alert (an exercise and a reason), so readers never show one alert twice."""
    name = f"drillwatch:alert:{alert.get('exercise')}:{alert['reason']}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def atom_time(value: str | None) -> str:
    moment = datetime.fromisoformat(value) if value else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- delivery --------------------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    alerts: int = 0                     # pending alerts taken up by this call
    sent: int = 0                       # of those, now delivered to every sink
    failed: int = 0                     # of those, parked as failed (max attempts reached)
    deliveries: int = 0                 # (alert, sink) deliveries that succeeded
    errors: list[str] = field(default_factory=list)  # "alert 3 -> apprise:json://...: Connection error"

    @property
    def pending(self) -> int:
        return self.alerts - self.sent - self.failed

    def to_dict(self) -> dict:
        return {"alerts": self.alerts, "sent": self.sent, "failed": self.failed, "pending": self.pending,
                "deliveries": self.deliveries, "errors": self.errors}


def deliver_pending(engine, settings: Settings) -> DeliveryReport:
    """Each pending alert to each configured sink that has not taken it yet; failures retried next call."""
    sinks = [build_sink(config) for config in settings.alerts.sinks]
    if not sinks:  # nowhere to send: alerts wait (pending) until a sink is configured
        return DeliveryReport()
    with session_scope(engine) as session:
        claimed = claim_pending(session)
        todo = [(payload(alert), dict(alert.delivered or {})) for alert in claimed]
        recent = [payload(alert) for alert in recent_alerts(session, ATOM_ENTRIES)]
    report = DeliveryReport(alerts=len(todo))
    if not todo:
        return report
    outcomes = {alert["id"]: ({}, {}) for alert, _ in todo}
    for sink in sinks:
        batch = [alert for alert, done in todo if sink.id not in done]
        if batch:
            collect(sink, sink.send_batch(batch, recent), outcomes, report)
    with session_scope(engine) as session:
        for alert_id, (delivered, errors) in outcomes.items():
            alert = record_delivery(session, alert_id, delivered, errors, [s.id for s in sinks],
                                    settings.alerts.max_attempts)
            report.sent += alert.status == "sent"
            report.failed += alert.status == "failed"
            if errors:
                log.warning("alert %d (%s) not delivered, attempt %d of %d: %s", alert.id, alert.title,
                            alert.attempts, settings.alerts.max_attempts, alert.last_error)
    return report


def collect(sink: Sink, outcome: dict[int, str | None], outcomes: dict, report: DeliveryReport) -> None:
    stamp = datetime.now(timezone.utc).isoformat()
    for alert_id, error in outcome.items():
        delivered, errors = outcomes[alert_id]
        if error is None:
            delivered[sink.id] = stamp
            report.deliveries += 1
        else:
            errors[sink.id] = error
            report.errors.append(f"alert {alert_id} -> {sink.id}: {error}")
