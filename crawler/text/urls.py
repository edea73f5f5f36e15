"""URL identity (pure): the same page reached under two URLs is one article.

`canonical_url` normalises a URL: lowercase scheme and host, no default port, no fragment, no tracking
parameters (utm_*, fbclid, gclid, ...), remaining query parameters sorted, percent-encoding normalised
(w3lib), and no trailing slash on a non-root path ("/a/b/" and "/a/b" are one page on news sites).
`identity_url` picks which URL names an article: its rel=canonical / og:url when that is a real article
address on the same site, else the address it was fetched from.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "yclid", "msclkid", "twclid", "igshid",
    "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "ocid", "icid", "ncid",
    "sr_share", "smid", "smtyp", "fromrss", "at_medium", "at_campaign", "_ga", "_gl",
    "__twitter_impression", "spm", "s_cid", "xtor", "guccounter",
})
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "oly_", "vero_", "ns_", "_hs", "__hs", "at_", "itm_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _netloc(parts) -> str:
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is not None and DEFAULT_PORTS.get(parts.scheme.lower()) != port:
        host = f"{host}:{port}"
    return host


def _query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_param(k)]
    return urlencode(sorted(pairs))


def _path(path: str) -> str:
    stripped = path.rstrip("/")
    return stripped or "/"


def canonical_url(url: str) -> str:
    """The normal form of `url`; input that is not an http(s) URL comes back stripped, unchanged."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
            return url
        rebuilt = urlunsplit((parts.scheme.lower(), _netloc(parts), parts.path, _query(parts.query), ""))
    except ValueError:  # a port that is not a number, a broken IPv6 literal
        return url
    normal = urlsplit(canonicalize_url(rebuilt, keep_fragments=False))
    return urlunsplit((normal.scheme, normal.netloc, _path(normal.path), normal.query, ""))


def site_of(url: str) -> str:
    """The host without www./m./amp. prefixes: pages of one site share it."""
    host = (urlsplit(url).hostname or "").lower()
    for prefix in SITE_PREFIXES:
        if host.startswith(prefix):
            return host[len(prefix):]
    return host


def is_home_page(url: str) -> bool:
    return urlsplit(url).path.strip("/") == ""


def identity_url(declared: str | None, fetched: str) -> str:
    """The canonical URL naming an article. A declared canonical (rel=canonical / og:url) counts only
    when it is on the fetched page's site and is not the home page: syndicated copies often declare the
    original outlet's URL, and careless templates declare the home page on every article."""
    if declared and site_of(declared) == site_of(fetched) and not is_home_page(declared):
        return canonical_url(declared)
    return canonical_url(fetched)
