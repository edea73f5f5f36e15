"""The `places` table: a copy of places.yaml (approximate coordinates) that the web view's map joins
to the places exercises name. Refreshed whole by `drillwatch serve` before the web view starts."""
from __future__ import annotations

from typing import Mapping

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from config.schema import Place as PlaceConfig
from storage.models import Place


def sync_places(session: Session, places: Mapping[str, PlaceConfig]) -> int:
    """Make the table hold exactly these places (edits, additions and removals); returns the count."""
    session.execute(delete(Place))
    if places:
        session.execute(insert(Place), [{"name": name, "latitude": p.latitude, "longitude": p.longitude,
                                         "kind": p.kind} for name, p in places.items()])
    return len(places)


def stored_places(session: Session) -> dict[str, tuple[float, float]]:
    return {name: (lat, lon) for name, lat, lon in session.execute(select(Place.name, Place.latitude, Place.longitude))}
