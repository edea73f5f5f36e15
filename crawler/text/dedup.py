"""Identity of articles: normalised text hashes (pure)."""
from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Whitespace and case do not make a different article."""
    return _SPACE.sub(" ", text).strip().casefold()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
