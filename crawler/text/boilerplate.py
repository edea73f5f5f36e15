"""Outlet-level boilerplate learning, the pure part.

A line that recurs on many pages of one outlet (a slogan, a disclaimer in the outlet's own words, a
"Follow us" box the generic rules missed) is template, not article. Storage counts, per outlet, on
how many distinct pages each line key was seen; keys seen on enough pages come back as
``ExtractOptions.template_lines`` and ``drop_template_lines`` removes them from later extractions.

Counting must use the keys of the text *before* template removal (``Article.line_keys``), otherwise
a line stops being counted as soon as it is dropped and its count freezes.
"""

from __future__ import annotations

import functools
import hashlib
import re

__all__ = ["line_key", "line_keys", "drop_template_lines"]

_DIGITS = re.compile(r"\d+")


def _normalise(line: str) -> str:
    """Casefold, digits -> 0, whitespace collapsed: "Updated 12:05" and "Updated 9:41" are one line."""
    # str.split() splits where \s+ matches in a str (both use Py_UNICODE_ISSPACE) and drops the ends
    folded = line.casefold()
    if not folded.isascii() or any(map(folded.__contains__, "0123456789")):  # \d in ASCII: 0-9; the sub's
        folded = _DIGITS.sub("0", folded)                                         # scan costs more than these
    return " ".join(folded.split())


@functools.lru_cache(maxsize=2048)  # extract_article keys each cleaned line twice with a template on
def line_key(line: str) -> str:
    """Stable 16-hex-digit key of a normalised line (blake2b, so no PYTHONHASHSEED dependence)."""
    return hashlib.blake2b(_normalise(line).encode("utf-8"), digest_size=8).hexdigest()


def line_keys(text: str) -> set[str]:
    """Keys of the non-empty lines (paragraphs) of an extracted text; a page counts a line once."""
    return {line_key(line) for line in text.splitlines() if line.strip()}


def drop_template_lines(text: str, template: frozenset[str]) -> str:
    """The text without lines whose key is in ``template``."""
    if not template:
        return text
    return "\n".join(line for line in text.splitlines() if line.strip() and line_key(line) not in template)
