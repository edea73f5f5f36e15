"""Small purpose-built loopback HTTP servers for reliability tests: each path answers through a
function of ours (slow pages, endless bodies, lying charsets), on 127.0.0.1 and a free port.

    with Loopback({"/feed.xml": xml(FEED)}) as site:
        site.url            # http://127.0.0.1:PORT
        site.hits("/feed.xml")
"""
from __future__ import annotations

import http.server
import random
import sys
import threading
import time
from pathlib import Path
from typing import Callable

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class Loopback:
    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[str] = []
        self.sent: dict[str, int] = {}  # path -> body bytes written (endless bodies count here)
        self._lock = threading.Lock()
        self._httpd: http.server.ThreadingHTTPServer | None = None

    def __enter__(self) -> "Loopback":
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                with site._lock:
                    site.requests.append(path)
                route = site.routes.get(path)
                if route is None:
                    send(self, 404, b"not found", "text/plain")
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self._httpd = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def hits(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for p in self.requests if path is None or p == path)

    def count_sent(self, path: str, size: int) -> None:
        with self._lock:
            self.sent[path] = self.sent.get(path, 0) + size


def send(handler, status: int, body: bytes, ctype: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def page(body: bytes | str, ctype: str = "text/html; charset=utf-8", delay: float = 0.0) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body

    def route(handler) -> None:
        if delay:
            time.sleep(delay)
        send(handler, 200, data, ctype)
    return route


def endless(site: Loopback, path: str, ctype: str = "text/html; charset=utf-8", chunk: int = 64 * 1024) -> Route:
    """A chunked body that never ends: it stops only when the client hangs up."""
    piece = b"<p>" + b"x" * (chunk - 8) + b"</p>\n"

    def route(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"d\r\n<html><body>\n\r\n")
        while True:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            site.count_sent(path, len(piece))
    return route


def article_html(title: str, paragraphs: list[str], lang: str = "en") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><header><nav><a href='/'>Home</a></nav></header><main><article><h1>{title}</h1>"
            f"{body}</article></main><footer>Loopback News</footer></body></html>")


WORDS = ("frigate destroyer corvette submarine bomber fighter tanker radar convoy patrol escort drill "
         "harbour strait island coast range plateau desert garrison brigade battalion regiment squadron "
         "admiral general colonel captain officer observer envoy minister spokesman analyst reporter "
         "signal flare beacon compass anchor rudder hangar runway bunker trench cable pipeline").split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def news_article(n: int) -> str:
    """A distinct article of our own writing (no line repeats across articles, so none of it is learnt
    as the outlet's template), long enough for the extractor."""
    rng = random.Random(n)
    return article_html(f"Joint naval drill: {_sentence(rng, 5)}", [
        f"Chinese and Russian warships began a joint naval exercise in the Sea of Japan. {_sentence(rng, 14)} "
        f"{_sentence(rng, 12)}",
        f"The drill involves destroyers and frigates practising air defence together. {_sentence(rng, 16)}",
        f"Officials said the exercise was planned long in advance. {_sentence(rng, 15)} {_sentence(rng, 9)}",
    ])


def write_config(directory: Path, outlets_yaml: str, settings_yaml: str = "") -> Path:
    """A config directory with our outlets and settings (robots.txt not asked for by default)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "outlets.yaml").write_text(outlets_yaml, encoding="utf-8")
    settings = settings_yaml if "crawl:" in settings_yaml else "crawl:\n  obey_robots: false\n" + settings_yaml
    (directory / "settings.yaml").write_text(settings, encoding="utf-8")
    return directory
