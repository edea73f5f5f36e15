"""An outlet fetches only http(s) URLs on the scheme, host and port its `domains` allow: another port of an
allowed host is offsite, and ftp:// links are never attempted."""
from __future__ import annotations

import json
import socket
import threading

import pytest
from sqlalchemy import select

from config.load import ConfigError, load_outlets
from crawler.origins import origins, url_allowed
from storage.db import make_engine, session_scope
from storage.models import Article
from tests.conftest import run_drillwatch
from tests.loopback import Loopback, news_article, page, write_config


def test_domain_entries_match_scheme_host_and_port():
    demo = origins(("127.0.0.1",), ("http://127.0.0.1:8123/feed/",))
    assert url_allowed("http://127.0.0.1:8123/a.html", demo)
    assert not url_allowed("http://127.0.0.1:8124/a.html", demo)       # another port of the host
    assert not url_allowed("ftp://127.0.0.1:8123/a.html", demo)        # only http(s)
    assert not url_allowed("file:///etc/passwd", demo)
    strict = origins(("https://example.com",))
    assert url_allowed("https://www.example.com/a", strict)
    assert not url_allowed("http://example.com/a", strict)
    assert not url_allowed("https://example.com:8443/a", strict)
    assert not url_allowed("https://notexample.com/a", strict)
    assert url_allowed("http://example.org:8080/a", origins(("example.org:8080",)))
    assert not url_allowed("http://example.org/a", origins(("example.org:8080",)))


def test_a_domain_that_is_not_one_is_a_config_error(tmp_path):
    write_config(tmp_path, "outlets:\n  - name: x\n    domains: ['example.com/news']\n"
                           "    feeds: ['https://example.com/feed']\n")
    with pytest.raises(ConfigError, match="is not a domain; write host, host:port or http"):
        load_outlets(tmp_path)


class TcpListener:
    """Counts connections on a port (where an FTP client would connect first)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.connections = self.sock.getsockname()[1], 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.mark.slow
def test_another_port_of_an_allowed_host_and_ftp_links_are_not_fetched(tmp_path):
    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    ftp = TcpListener()
    with Loopback() as allowed, Loopback() as other:
        other.routes["/b1.html"] = page(news_article(2))
        other.routes["/b2.html"] = page(news_article(3))
        allowed.routes["/a1.html"] = page(news_article(1))

        def redirect(handler):
            handler.send_response(302)
            handler.send_header("Location", f"{other.url}/b2.html")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        allowed.routes["/r.html"] = redirect
        links = [f"{allowed.url}/a1.html", f"{other.url}/b1.html", f"ftp://127.0.0.1:{ftp.port}/c1.html",
                 f"{allowed.url}/r.html"]
        items = "".join(f"<item><title>{i}</title><link>{link}</link></item>" for i, link in enumerate(links))
        allowed.routes["/feed.xml"] = page(f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
                                           "application/rss+xml")
        config = write_config(tmp_path / "config", f"""
outlets:
  - name: portnews
    domains: [127.0.0.1]
    feeds: ["{allowed.url}/feed.xml"]
""")
        row = json.loads(run_drillwatch("crawl", "--json", db=db, config=config).stdout)[0]
        other_hits = other.hits()
    ftp.sock.close()
    engine = make_engine(db)
    with session_scope(engine) as session:
        stored = list(session.scalars(select(Article.url)))
    engine.dispose()
    assert stored == [f"{allowed.url}/a1.html"]
    assert other_hits == 0 and ftp.connections == 0
    assert row["status"] == "ok" and row["error_kinds"] == [], row
