"""Alert rows: raised once per (instance, reason), then pending until every configured sink took them.

Delivery itself (log, files, Apprise) lives in scheduler.alerts; this module only keeps the record:
which sinks have an alert (`delivered`: sink id -> ISO time), how many delivery rounds failed
(`attempts`), the last error, and a short lease (`claimed_until`) so two deliverers running at the same
time (a crawl and the daemon) never send one alert twice.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Alert, utcnow

NEW_INSTANCE, STARTING = "new_instance", "starting"
PENDING, SENT, FAILED = "pending", "sent", "failed"
LEASE = timedelta(minutes=10)


def raise_alert(session: Session, **values) -> Alert | None:
    """Insert one alert; None when this (instance, reason) already has one (the unique constraint decides,
    so two crawls racing for the same instance still raise a single alert)."""
    alert = Alert(status=PENDING, attempts=0, delivered={}, **values)
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None
    return alert


def has_alert(session: Session, instance_id: int, reason: str | None = None) -> bool:
    query = select(Alert.id).where(Alert.instance_id == instance_id)
    if reason:
        query = query.where(Alert.reason == reason)
    return session.scalar(query.limit(1)) is not None


def payload(alert: Alert) -> dict:
    """Everything a sink shows: title, the sentence, where it was read, and the facts known then."""
    details = dict(alert.details or {})
    return {
        "id": alert.id, "reason": alert.reason, "title": alert.title, "sentence": alert.sentence,
        "url": alert.url, "outlet": alert.outlet, "historical": alert.historical,
        "created": alert.created_at.isoformat() if alert.created_at else None, **details,
    }


def claim_pending(session: Session, now: datetime | None = None, lease: timedelta = LEASE) -> list[Alert]:
    """Pending alerts not held by another deliverer, oldest first; each one is leased to the caller."""
    now = now or utcnow()
    ids = session.scalars(select(Alert.id).where(Alert.status == PENDING).order_by(Alert.created_at, Alert.id)).all()
    claimed = []
    for alert_id in ids:
        result = session.execute(
            update(Alert).where(Alert.id == alert_id, Alert.status == PENDING,
                                or_(Alert.claimed_until.is_(None), Alert.claimed_until < now))
            .values(claimed_until=now + lease))
        if result.rowcount:
            claimed.append(alert_id)
    return [session.get(Alert, alert_id) for alert_id in claimed]


def record_delivery(session: Session, alert_id: int, delivered: dict[str, str], errors: dict[str, str],
                    sink_ids: Iterable[str], max_attempts: int) -> Alert:
    """Note which sinks took the alert this round. Sent once every configured sink has it; a round
    with an error counts an attempt, and at max_attempts the alert is parked as failed (kept, shown by
    `drillwatch alerts`, made pending again by --retry)."""
    alert = session.get(Alert, alert_id)
    alert.delivered = {**(alert.delivered or {}), **delivered}
    alert.claimed_until = None
    if errors:
        alert.attempts += 1
        alert.last_error = "; ".join(f"{sink}: {error}" for sink, error in errors.items())
    if all(sink in alert.delivered for sink in sink_ids):
        alert.status, alert.sent_at = SENT, utcnow()
    elif alert.attempts >= max_attempts:
        alert.status = FAILED
    return alert


def recent_alerts(session: Session, limit: int = 50) -> list[Alert]:
    return list(session.scalars(select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def list_alerts(session: Session, unsent_only: bool = False, limit: int = 100) -> list[dict]:
    """Rows for `drillwatch alerts`, newest first; unsent_only keeps pending and failed ones."""
    query = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    if unsent_only:
        query = query.where(Alert.status != SENT)
    return [alert_row(alert) for alert in session.scalars(query)]


def alert_row(alert: Alert) -> dict:
    details = alert.details or {}
    return {
        "id": alert.id, "created": alert.created_at, "reason": alert.reason, "title": alert.title,
        "exercise": details.get("exercise"), "outlet": alert.outlet, "url": alert.url,
        "sentence": alert.sentence, "why": details.get("why"), "historical": alert.historical, "status": alert.status,
        "attempts": alert.attempts, "last_error": alert.last_error,
        "delivered": sorted((alert.delivered or {}).keys()), "sent": alert.sent_at,
    }


def retry_failed(session: Session) -> int:
    """Failed alerts become pending again with a fresh attempt count; returns how many."""
    result = session.execute(update(Alert).where(Alert.status == FAILED)
                             .values(status=PENDING, attempts=0, claimed_until=None))
    return result.rowcount
