"""A small static HTTP server for the bundled offline demo outlets (stdlib only).

Serves the files under a root directory (by default the bundled ``sites/``) on 127.0.0.1 so that
``drillwatch demo`` and the test-suite can crawl realistic news sites with no internet.

Behaviour:

* ``GET /a/b/`` serves ``a/b/index.html`` (or ``index.xml``); content-type by file extension.
* Files are read from disk on every request, so tests may edit or add files between crawls.
* ``{{BASE}}`` inside served text files (.html, .htm, .xml, .rss, .atom, .txt) is replaced by the
  server's own base url (``http://127.0.0.1:PORT``), so feeds and sitemaps can carry absolute URLs.
* Conditional requests: every 200 carries ``ETag`` (hash of the served bytes) and ``Last-Modified``
  (file mtime); a matching ``If-None-Match`` (or, without one, ``If-Modified-Since`` not older than
  the mtime) gets ``304 Not Modified``.
* ``server.requests`` records ``(method, path, status)`` for every request (thread-safe append).
* Bad-input endpoints: a path containing ``/_slow/`` sleeps ``server.slow_seconds`` before answering
  (then serves the file, or 404); ``/_reset/`` closes the connection without answering
  (recorded with status 0). Missing files answer 404.

CLI: ``python -m crawler.demo.server [--root DIR] [--host H] [--port N]``.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import http.server
import posixpath
import socket
import struct
import sys
import threading
import time
import urllib.parse
from pathlib import Path

__all__ = ["DemoServer", "SITES_DIR", "CONTENT_TYPES", "main"]

SITES_DIR: Path = Path(__file__).resolve().parent / "sites"

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".yaml": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
TEMPLATED = {".html", ".htm", ".xml", ".rss", ".atom", ".txt"}
INDEX_FILES = ("index.html", "index.xml", "index.htm")
BASE_MARKER = b"{{BASE}}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "drillwatch-demo/1.0"
    protocol_version = "HTTP/1.1"
    demo: "DemoServer"  # set on the per-server subclass

    # -- plumbing ------------------------------------------------------------------------------
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if self.demo.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    def _record(self, status: int) -> None:
        self.demo._record(self.command, self.path, status)

    def _send_simple(self, status: int, body: bytes = b"", ctype: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self._record(status)  # before the body goes out: a client that got it sees the record
        self.end_headers()
        if self.command != "HEAD" and status != 304 and body:
            self.wfile.write(body)

    # -- request handling ----------------------------------------------------------------------
    def do_HEAD(self) -> None:  # noqa: N802
        self._serve()

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        url_path = urllib.parse.urlsplit(self.path).path
        if "/_reset/" in url_path:
            self._record(0)
            self.close_connection = True
            try:
                # RST rather than FIN where the platform allows it.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()  # linger 0: the client gets a RST (connection reset by peer)
            except OSError:
                pass
            return
        if "/_slow/" in url_path:
            self.demo._sleep_slow()
        if self.demo.latency:
            self.demo._stopping.wait(self.demo.latency)
        file = self.demo.resolve(url_path)
        if file is None:
            self._send_simple(404, b"404 Not Found\n")
            return
        if file.is_dir():  # directory without trailing slash -> redirect like any web server
            location = url_path + "/"
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self._record(301)
            self.end_headers()
            return
        try:
            raw = file.read_bytes()
            mtime = file.stat().st_mtime
        except OSError:
            self._send_simple(404, b"404 Not Found\n")
            return
        ext = file.suffix.lower()
        if ext in TEMPLATED and BASE_MARKER in raw:
            raw = raw.replace(BASE_MARKER, self.demo.url.encode("ascii"))
        etag = '"%s"' % hashlib.sha1(raw).hexdigest()[:20]
        last_modified = email.utils.formatdate(int(mtime), usegmt=True)
        if self._not_modified(etag, int(mtime)):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self._record(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES.get(ext, "application/octet-stream"))
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        self.send_header("Cache-Control", "no-cache")
        self._record(200)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return "*" in tags or etag in tags or ("W/" + etag) in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return mtime <= since
        return False


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's backlog is 5: the 16 connections two outlets' crawls open at once overflowed it now and
    # then, and a dropped SYN costs its connection a 1 s retransmission. Publishers listen with hundreds.
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:  # quiet: clients hang up on slow pages
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class DemoServer:
    """Serve ``root`` over HTTP on ``host:port`` (port 0 = a free port) in a daemon thread.

    >>> with DemoServer(SITES_DIR) as srv:            # doctest: +SKIP
    ...     urllib.request.urlopen(srv.url + "/artifex/")
    """

    def __init__(self, root: Path | str = SITES_DIR, host: str = "127.0.0.1", port: int = 0,
                 *, slow_seconds: float = 30.0, verbose: bool = False) -> None:
        self.root = Path(root).resolve()
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self.latency = 0.0  # seconds every answer waits, as a distant publisher's would (tests set it)
        self.verbose = verbose
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "DemoServer":
        if self._httpd is not None:
            return self
        handler = type("DemoHandler", (_Handler,), {"demo": self})
        self._stopping.clear()
        self._httpd = _ThreadingServer((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"demo-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes sleepers on /_slow/
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "DemoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base url without trailing slash, e.g. ``http://127.0.0.1:8123``."""
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    # -- helpers for tests ---------------------------------------------------------------------
    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def requests_for(self, path: str) -> list[tuple[str, str, int]]:
        """The recorded requests whose path (query ignored) equals ``path``."""
        with self._lock:
            return [r for r in self.requests if urllib.parse.urlsplit(r[1]).path == path]

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def _sleep_slow(self) -> None:
        self._stopping.wait(self.slow_seconds)

    def resolve(self, url_path: str) -> Path | None:
        """Map a URL path to a file under root (index file for directories); None if missing."""
        path = urllib.parse.unquote(url_path)
        path = posixpath.normpath(path)
        parts = [p for p in path.split("/") if p and p not in (".", "..")]
        target = self.root.joinpath(*parts) if parts else self.root
        try:
            target = target.resolve()
            target.relative_to(self.root)
        except (OSError, ValueError):
            return None
        if target.is_dir():
            if not url_path.endswith("/") and parts:
                return target  # caller redirects to the slash form
            for name in INDEX_FILES:
                candidate = target / name
                if candidate.is_file():
                    return candidate
            return None
        return target if target.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo.server",
                                     description="Serve the drillwatch demo outlets on localhost.")
    parser.add_argument("--root", type=Path, default=SITES_DIR, help="directory to serve (default: bundled sites)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port (default 0 = any free port)")
    parser.add_argument("--slow-seconds", type=float, default=30.0, help="delay for /_slow/ paths")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root} is not a directory")
    server = DemoServer(args.root, host=args.host, port=args.port,
                        slow_seconds=args.slow_seconds, verbose=args.verbose).start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
