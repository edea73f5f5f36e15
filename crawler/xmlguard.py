"""Refusing hostile XML before a parser that expands entities sees it.

feedparser hands feeds to expat, which expands the entities a document declares in its DTD: a few
hundred bytes of nested declarations ("billion laughs") become gigabytes. Like defusedxml's
forbid_entities, a feed that declares any entity is refused; the check reads the prolog only (expat
stops at the root element), so it costs nothing on a normal feed.
"""
from __future__ import annotations

import xml.parsers.expat


class _Stop(Exception):
    pass


def declared_entity(body: bytes) -> str | None:
    """The name of the first entity the document's DTD declares, or None (also for non-XML input)."""
    parser = xml.parsers.expat.ParserCreate()
    found: list[str] = []

    def on_entity(name, *_rest):
        found.append(name)
        raise _Stop

    def on_root(*_args):
        raise _Stop

    parser.EntityDeclHandler = on_entity
    parser.StartElementHandler = on_root
    try:
        parser.Parse(body, True)
    except (_Stop, xml.parsers.expat.ExpatError):
        pass
    return found[0] if found else None
