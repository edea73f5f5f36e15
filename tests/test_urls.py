"""URL identity (pure): the same page under two URLs is one article."""
from __future__ import annotations

import pytest

from crawler.text.urls import canonical_url, identity_url, is_tracking_param


@pytest.mark.parametrize("variant", [
    "https://www.tass.com/defense/1849123",
    "HTTPS://WWW.TASS.COM/defense/1849123",
    "https://www.tass.com:443/defense/1849123",
    "https://www.tass.com/defense/1849123/",
    "https://www.tass.com/defense/1849123#comments",
    "https://www.tass.com/defense/1849123?utm_source=twitter&utm_medium=social&utm_campaign=x",
    "https://www.tass.com/defense/1849123?fbclid=IwAR0abc",
    "https://www.tass.com/defense/1849123?gclid=1&yclid=2&mc_cid=3&mc_eid=4&ref=rss&cmpid=5",
])
def test_variants_of_one_page_share_one_canonical_url(variant):
    assert canonical_url(variant) == "https://www.tass.com/defense/1849123"


def test_remaining_query_parameters_are_kept_and_sorted():
    assert canonical_url("http://example.com/news.php?page=2&id=17&utm_source=x") == \
        "http://example.com/news.php?id=17&page=2"


def test_different_articles_keep_different_urls():
    assert canonical_url("http://example.com/news.php?id=17") != canonical_url("http://example.com/news.php?id=18")
    assert canonical_url("http://example.com/a/1") != canonical_url("https://example.com/a/1")
    assert canonical_url("http://example.com:8080/a") == "http://example.com:8080/a"


def test_root_path_keeps_its_slash_and_non_ascii_paths_are_percent_encoded_once():
    assert canonical_url("http://Example.com") == "http://example.com/"
    assert canonical_url("https://ria.ru/путь/") == canonical_url("https://ria.ru/%D0%BF%D1%83%D1%82%D1%8C")


def test_non_http_input_comes_back_unchanged():
    assert canonical_url(" mailto:desk@example.com ") == "mailto:desk@example.com"
    assert canonical_url("http://example.com:notaport/") == "http://example.com:notaport/"


def test_tracking_parameter_names():
    assert all(map(is_tracking_param, ["utm_content", "UTM_Source", "fbclid", "gclid", "yclid", "mc_cid", "ref"]))
    assert not any(map(is_tracking_param, ["id", "page", "p", "article", "story"]))


def test_declared_canonical_on_the_same_site_names_the_article():
    assert identity_url("https://www.ndtv.com/world-news/x-6185288?utm_source=rss",
                        "https://ndtv.com/world-news/x-6185288-amp") == "https://www.ndtv.com/world-news/x-6185288"


def test_canonical_pointing_at_another_site_or_the_home_page_is_not_trusted():
    # a syndicated copy declaring the original: two outlets must keep two articles (one story)
    assert identity_url("https://www.ndtv.com/world-news/x", "https://artifexnews.net/x/") == "https://artifexnews.net/x"
    assert identity_url("https://www.spacewar.com/", "https://www.spacewar.com/reports/x.html") == \
        "https://www.spacewar.com/reports/x.html"
    assert identity_url(None, "https://example.com/a/?utm_source=x") == "https://example.com/a"
