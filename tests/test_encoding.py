"""A page whose declared charset is wrong is decoded by what its bytes are (charset-normalizer), and a
gzip sitemap that is corrupt is reported as such."""
from __future__ import annotations

import gzip
import json

import pytest
from sqlalchemy import select

from crawler.text.encoding import decode_page
from storage.db import make_engine, session_scope
from storage.models import Article, CrawlError
from tests.conftest import run_drillwatch
from tests.loopback import Loopback, article_html, page, write_config

pytestmark = pytest.mark.slow

RUSSIAN = article_html("Совместные учения флотов России и Китая", [
    "Корабли военно-морских сил России и Китая начали совместные учения в Японском море, сообщили в "
    "понедельник министерства обороны обеих стран.",
    "В манёврах участвуют эсминцы, фрегаты и суда обеспечения; экипажи отрабатывают противовоздушную "
    "оборону, поиск подводных лодок и спасение на море.",
    "По словам официальных представителей, учения были запланированы заранее и не направлены против "
    "третьих стран, а соседи по региону заявили, что будут внимательно следить за кораблями.",
], lang="ru")


def test_a_page_declared_utf8_whose_bytes_are_cp1251_is_decoded_by_its_bytes():
    body = RUSSIAN.encode("cp1251")
    text, encoding, redetected = decode_page(body, "utf-8")
    assert redetected and encoding == "cp1251"
    assert "Совместные учения флотов России и Китая" in text
    assert decode_page(RUSSIAN.encode("utf-8"), "utf-8") == (RUSSIAN, "utf-8", False)


def test_a_mislabelled_cp1251_article_is_stored_and_a_corrupt_gzip_sitemap_reported(tmp_path):
    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    good = gzip.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>')
    with Loopback() as site:
        site.routes.update({
            "/list/": page("<html><body><a href='/ru/1.html'>1</a></body></html>"),
            "/ru/1.html": page(RUSSIAN.encode("cp1251"), "text/html; charset=utf-8"),
            "/sitemap.xml.gz": page(good[:len(good) // 2] + b"\x00" * 20, "application/x-gzip"),
        })
        config = write_config(tmp_path / "config", f"""
outlets:
  - name: rusnews
    domains: [127.0.0.1]
    language: ru
    listings: [{{url: "{site.url}/list/", links: '/ru/'}}]
    sitemaps: ["{site.url}/sitemap.xml.gz"]
""")
        row = json.loads(run_drillwatch("crawl", "--json", db=db, config=config).stdout)[0]
    engine = make_engine(db)
    with session_scope(engine) as session:
        titles = list(session.scalars(select(Article.title)))
        texts = list(session.scalars(select(Article.text)))
        errors = [(e.kind, e.message) for e in session.scalars(select(CrawlError))]
    engine.dispose()
    assert titles == ["Совместные учения флотов России и Китая"]
    assert "противовоздушную оборону" in texts[0]
    assert len(errors) == 1 and errors[0][0] == "bad_sitemap"
    assert errors[0][1].startswith("the sitemap is a corrupt gzip file")
    assert row["new"] == 1
