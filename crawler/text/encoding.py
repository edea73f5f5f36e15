"""Decoding a page by what its bytes are when its declared charset is wrong (pure: no Scrapy).

Servers and CMSs mislabel: a page sent as UTF-8 may hold cp1251 or GB2312 bytes. Bytes that do not
decode strictly under the declared charset are a sure sign (text in a legacy single-byte encoding is
almost never valid UTF-8); then charset-normalizer picks the encoding that reads best.
"""
from __future__ import annotations

from charset_normalizer import from_bytes


def decode_page(body: bytes, declared: str | None) -> tuple[str, str, bool]:
    """(text, encoding used, whether the declared charset was overruled)."""
    if declared:
        try:
            return body.decode(declared), declared, False
        except (UnicodeDecodeError, LookupError):
            pass
    best = from_bytes(body).best()
    if best is None:  # binary noise: keep what the declaration gives
        fallback = declared or "utf-8"
        return body.decode(fallback, errors="replace"), fallback, False
    return str(best), best.encoding, True
