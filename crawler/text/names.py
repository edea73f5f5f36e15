"""Exercise names as the news writes them, against the gazetteer (pure, light: no detector patterns).

A crawl merges the instances it discovered once the gazetteer knows them (``resolve_discovered``) at
every start; this module keeps that from loading the detectors (crawler.text.exercises, which re-exports
these functions).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.gazetteer import Gazetteer


def clean_name(raw: str) -> str:
    name = re.sub(r"[\s]+", " ", raw).strip(" \"'“”«»‘’「」『』.,;:")
    name = re.sub(r"^(?:the|The|Exercise|exercise)\s+", "", name)
    return re.sub(r"\s*[‐‑‒–—―−]\s*", "-", name)


_YEAR_END = re.compile(r"[\s\-]*(?P<year>(?:19|20)\d\d)[A-Z]?$|[-'’]\s?(?P<yy>\d\d)$")


def split_year(name: str) -> tuple[str, int | None]:
    """ "Eagle Strike-2026" -> ("Eagle Strike", 2026); "Eagle Strike-26" too (as the gazetteer reads it)."""
    m = _YEAR_END.search(name)
    if not m:
        return name, None
    return name[:m.start()].strip(" -"), int(m["year"]) if m["year"] else 2000 + int(m["yy"])


def resolve_discovered(name: str, year: int | None, gazetteer: Gazetteer) -> str | None:
    """Gazetteer key for a discovered name once the gazetteer knows it (to merge the two), else None."""
    base, written_year = split_year(clean_name(name))
    year = written_year or year
    probe = f"{base}-{year}" if year else base
    for hit in gazetteer.find_names(probe):
        if hit.end - hit.start < len(probe.strip()) * 0.8:
            continue  # only a part of the name is known ("Eagle" in "Eagle Strike")
        if hit.kind == "instance":
            return hit.ref
        if hit.kind == "series" and (hit.year or year):
            edition = next((i for i in gazetteer.instances_of(hit.ref)
                            if i.year == (hit.year or year) and (hit.part is None or i.part == hit.part)), None)
            return edition.id if edition else None
    return None
