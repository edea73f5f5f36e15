"""The demo server and the bundled demo outlets, over real HTTP (urllib) on 127.0.0.1."""
from __future__ import annotations

import email.utils
import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
import yaml

from crawler.demo.server import SITES_DIR, DemoServer

ROOT = Path(__file__).resolve().parent.parent
DEMO_OUTLETS = ROOT / "config" / "demo" / "outlets.yaml"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
              "news": "http://www.google.com/schemas/sitemap-news/0.9"}

# Links that are article links on purpose but must not answer an HTML page.
MISSING_ARTICLE = "/spacewar/reports/China_Russia_sign_drone_pact_999.html"
PDF_ARTICLE = "/spacewar/reports/Factsheet_Russia_China_arms_transfers_2019_2023.pdf"
SLOW_ARTICLE = "/spacewar/_slow/reports/BeiDou_and_GLONASS_a_decade_of_navigation_ties_999.html"
BROKEN_ARTICLE = "/spacewar/reports/Chinese_Russian_warships_begin_joint_Pacific_patrol_999.html"


@pytest.fixture(scope="module")
def server():
    """One read-only server over the bundled sites for the whole module."""
    with DemoServer(SITES_DIR, slow_seconds=5) as srv:
        yield srv


def get(url: str, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body bytes); HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def demo_outlets(base: str) -> list[dict]:
    text = DEMO_OUTLETS.read_text(encoding="utf-8").replace("${DRILLWATCH_DEMO_URL}", base)
    return yaml.safe_load(text)["outlets"]


def links_of(html: bytes, base_url: str) -> list[str]:
    doc = lxml.html.fromstring(html, base_url=base_url)
    doc.make_links_absolute(base_url, resolve_base_href=True)
    return [a.get("href") for a in doc.iter("a") if a.get("href")]


def discovered_article_urls(base: str) -> dict[str, list[str]]:
    """Every article URL each demo outlet advertises through its feeds, sitemaps and listings."""
    found: dict[str, list[str]] = {}
    for outlet in demo_outlets(base):
        urls: list[str] = []
        for feed in outlet.get("feeds", []):
            try:
                status, _, body = get(feed)
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
                continue  # brokenfeed's /_reset/ feed
            if status == 200:
                parsed = feedparser.parse(body)
                if not parsed.bozo:
                    urls += [e.link for e in parsed.entries]
        pending = list(outlet.get("sitemaps", []))
        while pending:
            status, _, body = get(pending.pop(0))
            assert status == 200
            root = lxml.etree.fromstring(body)
            if root.tag == f"{{{SITEMAP_NS['sm']}}}sitemapindex":
                pending += root.xpath("//sm:sitemap/sm:loc/text()", namespaces=SITEMAP_NS)
            else:
                urls += root.xpath("//sm:url/sm:loc/text()", namespaces=SITEMAP_NS)
        for listing in outlet.get("listings", []):
            todo, seen = [listing["url"]], set()
            while todo:
                page = todo.pop(0)
                if page in seen:
                    continue
                seen.add(page)
                status, _, body = get(page)
                assert status == 200, page
                for link in links_of(body, page):
                    if re.search(listing["links"], link) and link not in urls:
                        urls.append(link)
                    if listing.get("next") and re.search(listing["next"], link):
                        todo.append(link)
        found[outlet["name"]] = urls
    return found


# --- the server -----------------------------------------------------------------------------------

def test_url_has_no_trailing_slash_and_a_real_port(server):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    assert server.port != 0


def test_page_200_with_base_substituted(server):
    status, headers, body = get(server.url + "/artifex/russian-and-chinese-bombers-patrol-near-alaska-in-joint-military-exercise-6185288/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    text = body.decode("utf-8")
    assert "{{BASE}}" not in text
    assert f'<link rel="canonical" href="{server.url}/artifex/russian-and-chinese-bombers' in text
    assert int(headers["Content-Length"]) == len(body)


def test_directory_index_and_content_types(server):
    status, headers, body = get(server.url + "/artifex/tag/china-russia-relations/feed/")
    assert status == 200 and headers["Content-Type"] == "application/xml"
    assert body.startswith(b"<?xml")
    status, headers, body = get(server.url + PDF_ARTICLE)
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    status, headers, _ = get(server.url + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")


def test_directory_without_slash_redirects(server):
    status, _, body = get(server.url + "/spacewar/news")  # urllib follows the 301
    assert status == 200 and b"China and Russia - Page 1" in body
    assert ("GET", "/spacewar/news", 301) in server.requests


def test_missing_file_and_path_traversal_are_404(server):
    assert get(server.url + MISSING_ARTICLE)[0] == 404
    assert get(server.url + "/nowhere/")[0] == 404
    assert get(server.url + "/../../etc/passwd")[0] == 404
    assert get(server.url + "/%2e%2e/%2e%2e/etc/passwd")[0] == 404


def test_etag_and_if_none_match_give_304(server):
    url = server.url + "/kremlinwire/sitemap-news.xml"
    status, headers, body = get(url)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    status2, headers2, body2 = get(url, {"If-None-Match": headers["ETag"]})
    assert status2 == 304 and body2 == b""
    assert headers2["ETag"] == headers["ETag"]
    assert get(url, {"If-None-Match": '"something-else"'})[0] == 200
    assert ("GET", "/kremlinwire/sitemap-news.xml", 304) in server.requests


def test_if_modified_since_gives_304(server):
    url = server.url + "/socialrepost/"
    status, headers, _ = get(url)
    assert status == 200
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    old = email.utils.formatdate(0, usegmt=True)
    assert get(url, {"If-Modified-Since": old})[0] == 200
    assert get(url, {"If-Modified-Since": "not a date"})[0] == 200


def test_request_log_records_method_path_status(server):
    server.clear_requests()
    get(server.url + "/brokenfeed/")
    get(server.url + "/brokenfeed/rss/news.xml")
    assert server.requests_for("/brokenfeed/") == [("GET", "/brokenfeed/", 200)]
    assert server.requests_for("/brokenfeed/rss/news.xml") == [("GET", "/brokenfeed/rss/news.xml", 404)]


def test_request_log_is_thread_safe(server):
    server.clear_requests()
    threads = [threading.Thread(target=get, args=(server.url + "/spacewar/news/page-2.html",)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.requests_for("/spacewar/news/page-2.html")) == 20


def test_files_are_reread_and_etag_changes(tmp_path):
    (tmp_path / "a").mkdir()
    page = tmp_path / "a" / "index.html"
    page.write_text("<html><head><title>v1</title></head><body><a href='{{BASE}}/a/'>x</a></body></html>")
    with DemoServer(tmp_path) as srv:
        status, h1, body1 = get(srv.url + "/a/")
        assert status == 200 and srv.url.encode() in body1
        page.write_text("<html><head><title>v2</title></head><body>changed</body></html>")
        os.utime(page, (time.time() + 5, time.time() + 5))
        status, h2, body2 = get(srv.url + "/a/", {"If-None-Match": h1["ETag"]})
        assert status == 200 and b"v2" in body2 and h2["ETag"] != h1["ETag"]
        (tmp_path / "a" / "new.html").write_text("<title>new</title>")
        assert get(srv.url + "/a/new.html")[0] == 200


def test_slow_path_waits_then_serves(server):
    server.slow_seconds = 0.5
    try:
        started = time.monotonic()
        status, _, body = get(server.url + SLOW_ARTICLE)
        assert status == 200 and b"<title>" in body
        assert time.monotonic() - started >= 0.45
        server.slow_seconds = 5
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            urllib.request.urlopen(server.url + SLOW_ARTICLE, timeout=0.5)
    finally:
        server.slow_seconds = 5


def test_reset_path_closes_the_connection(server):
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        urllib.request.urlopen(server.url + "/brokenfeed/_reset/feed.xml", timeout=5)
    assert ("GET", "/brokenfeed/_reset/feed.xml", 0) in server.requests
    assert get(server.url + "/brokenfeed/")[0] == 200  # the server lives on


def test_head_requests(server):
    req = urllib.request.Request(server.url + "/spacewar/news/", method="HEAD")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200 and resp.read() == b"" and int(resp.headers["Content-Length"]) > 0


def test_stop_is_idempotent_and_frees_the_port():
    srv = DemoServer(SITES_DIR).start()
    url = srv.url
    srv.stop()
    srv.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/", timeout=2)


def test_cli_prints_url_and_serves(tmp_path):
    (tmp_path / "index.html").write_text("<title>cli</title> {{BASE}}")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.demo.server", "--root", str(tmp_path), "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        status, _, body = get(url + "/")
        assert status == 200 and body.decode().strip() == f"<title>cli</title> {url}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.stderr.read() == ""  # quiet by default


# --- the bundled outlets ----------------------------------------------------------------------------

def test_demo_outlets_config_loads(server, monkeypatch):
    from config import DEMO_DIR
    from config.load import load_outlets

    monkeypatch.setenv("DRILLWATCH_DEMO_URL", server.url)
    names = [o.name for o in load_outlets(DEMO_DIR)]
    assert names == ["artifex", "spacewar", "kremlinwire", "socialrepost", "brokenfeed"]


def test_artifex_feed_is_rss_with_full_content(server):
    status, _, body = get(server.url + "/artifex/tag/china-russia-relations/feed/")
    parsed = feedparser.parse(body)
    assert status == 200 and not parsed.bozo
    assert len(parsed.entries) == 4
    for entry in parsed.entries:
        assert entry.link.startswith(server.url + "/artifex/")
        assert entry.published_parsed and entry.author and entry.id
        content = entry.content[0].value
        assert len(content.split()) > 300
        assert "Source link" in content or entry.link.endswith("joint-military-training/")
    first = parsed.entries[0].content[0].value
    assert "Waiting for response to load…" in first
    assert "this story has not been edited by NDTV staff" in first
    assert "Read More" in parsed.entries[0].summary


def test_kremlinwire_sitemaps_are_xml(server):
    _, _, body = get(server.url + "/kremlinwire/sitemap.xml")
    index = lxml.etree.fromstring(body)
    children = index.xpath("//sm:sitemap/sm:loc/text()", namespaces=SITEMAP_NS)
    assert children == [server.url + "/kremlinwire/sitemap-news.xml", server.url + "/kremlinwire/sitemap-archive-2023.xml"]
    news = lxml.etree.fromstring(get(children[0])[2])
    assert len(news.xpath("//sm:url", namespaces=SITEMAP_NS)) == 3
    assert len(news.xpath("//news:publication_date", namespaces=SITEMAP_NS)) == 2  # Joint Sea-2024 has none
    assert len(news.xpath("//news:title", namespaces=SITEMAP_NS)) == 3


def test_brokenfeed_feeds_are_not_xml(server):
    status, headers, body = get(server.url + "/brokenfeed/feed.xml")
    assert status == 200 and headers["Content-Type"] == "application/xml"
    with pytest.raises(lxml.etree.XMLSyntaxError):
        lxml.etree.fromstring(body)
    parsed = feedparser.parse(body)
    assert parsed.bozo and not parsed.entries
    assert get(server.url + "/brokenfeed/rss/news.xml")[0] == 404


def test_every_advertised_article_resolves_and_has_a_title(server):
    found = discovered_article_urls(server.url)
    rel = {name: sorted(u[len(server.url):] for u in urls) for name, urls in found.items()}
    assert len(rel["artifex"]) == 4
    assert len(rel["spacewar"]) == 9  # 5 articles + broken + 404 + pdf + slow (page-2 only: Vostok-2022)
    assert len(rel["kremlinwire"]) == 4
    assert rel["socialrepost"] == ["/socialrepost/post/39877.html", "/socialrepost/post/48213.html"]
    assert rel["brokenfeed"] == []
    for name, paths in rel.items():
        for path in paths:
            if path in (MISSING_ARTICLE, SLOW_ARTICLE):
                continue
            status, headers, body = get(server.url + path)
            assert status == 200, path
            if path == PDF_ARTICLE:
                assert headers["Content-Type"] == "application/pdf"
                continue
            doc = lxml.html.fromstring(body)
            title = doc.findtext(".//title")
            assert title and title.strip(), path
            paragraphs = [t for t in doc.xpath("//body//text()") if len(t.split()) > 25]  # <p> or <br><br> blocks
            assert len(paragraphs) >= 2, path
            if path != BROKEN_ARTICLE:
                assert doc.xpath("//link[@rel='canonical']/@href") == [server.url + path.removesuffix("index.html")], path


def test_spacewar_vostok_2022_is_only_on_page_2(server):
    vostok = "/spacewar/reports/Vostok_2022_war_games_begin_in_Russias_far_east_with_Chinese_troops_999.html"
    page1 = get(server.url + "/spacewar/news/")[2].decode()
    page2 = get(server.url + "/spacewar/news/page-2.html")[2].decode()
    assert vostok not in page1 and vostok in page2
    assert 'rel="next"' in page1 and "/spacewar/news/page-2.html" in page1


def test_no_unsubstituted_base_and_well_formed_xml_everywhere(server):
    for path in sorted(SITES_DIR.rglob("*")):
        if path.suffix not in (".html", ".xml"):
            continue
        rel = "/" + path.relative_to(SITES_DIR).as_posix()
        if "/_slow/" in rel:
            continue
        status, _, body = get(server.url + rel)
        assert status == 200 and b"{{BASE}}" not in body, rel
        if path.suffix == ".xml" and "brokenfeed" not in rel:
            lxml.etree.fromstring(body)  # raises if not well-formed


def test_manifest_matches_the_pages(server):
    manifest = yaml.safe_load((SITES_DIR / "MANIFEST.yaml").read_text(encoding="utf-8"))
    for entry in manifest["articles"]:
        path, kind = entry["path"], entry["kind"]
        if kind == "slow":
            assert server.resolve(path) is not None, path
            continue
        status, headers, body = get(server.url + path)
        if kind == "missing":
            assert status == 404, path
            continue
        assert status == 200, path
        if kind == "pdf":
            assert headers["Content-Type"] == "application/pdf"
            continue
        doc = lxml.html.fromstring(body)
        assert doc.findtext(".//title").startswith(entry["title"]), path
        has_date_meta = bool(doc.xpath("//meta[@property='article:published_time']|//time[@datetime]"))
        assert has_date_meta == (entry["date_markup"] == "meta"), path
    groups: dict[str, list[str]] = {}
    for entry in manifest["articles"]:
        if entry.get("dup_group"):
            groups.setdefault(entry["dup_group"], []).append(entry["outlet"])
    assert groups == {"afp-bombers-alaska": ["artifex", "spacewar"]}
