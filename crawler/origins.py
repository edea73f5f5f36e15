"""Which URLs an outlet may fetch: scheme, host and port as its `domains` say (no Scrapy here).

An entry of `domains` is `host` (and its subdomains), `host:port`, or `scheme://host[:port]`. Without a
port, the scheme's default port is allowed, and so are the ports the outlet's own feeds, sitemaps and
listings use on that host (the demo outlets on 127.0.0.1:PORT). Only http and https are ever fetched:
an ftp:// or file:// link on an allowed host is refused before any handler sees it.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from config.schema import DOMAIN_RE

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    host: str
    schemes: tuple[str, ...]
    ports: frozenset[int]

    def allows(self, scheme: str, host: str, port: int) -> bool:
        return (scheme in self.schemes and port in self.ports
                and (host == self.host or host.endswith("." + self.host)))


def origins(domains: tuple[str, ...], entry_urls: tuple[str, ...] = ()) -> tuple[Origin, ...]:
    result = []
    for entry in domains:
        match = DOMAIN_RE.match(entry.strip())
        if not match:
            continue
        host = match["host"].lower().strip("[]")
        schemes = (match["scheme"].lower(),) if match["scheme"] else SCHEMES
        if match["port"]:
            ports = {int(match["port"])}
        else:
            ports = {DEFAULT_PORTS[s] for s in schemes}
            for url in entry_urls:  # the ports the outlet's own entry points use on this host
                parts = urlsplit(url)
                if parts.port and (parts.hostname == host or (parts.hostname or "").endswith("." + host)):
                    ports.add(parts.port)
        result.append(Origin(host, schemes, frozenset(ports)))
    return tuple(result)


def url_allowed(url: str, allowed: tuple[Origin, ...]) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return False
    port = port or DEFAULT_PORTS[scheme]
    return any(origin.allows(scheme, parts.hostname, port) for origin in allowed)
