"""What a spider hands the pipelines: one fetched page (or one full-content feed entry)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class PageItem:
    outlet: str
    url: str                       # the URL we asked for (the link)
    final_url: str                 # after redirects
    html: str = field(repr=False)  # logs show the item, never the page
    fetched_at: datetime
    status: int = 200
    source: str = "page"           # page | feed (full-content feed entry, no page fetch)
    etag: str | None = None
    last_modified: str | None = None
    hint_title: str | None = None  # from the feed or news sitemap, used when the page lacks one
    hint_published: datetime | None = None
    hint_author: str | None = None
    # filled by the pipelines
    article: Any = field(default=None, repr=False)  # crawler.text.extract.Article
    relevance: Any = None          # crawler.text.relevance.Relevance
    mentions: list[Any] = field(default_factory=list)
    content_hash: str | None = None  # fingerprint and MinHash signature, computed with the analysis
    signature: bytes | None = None
    lead_signature: bytes | None = None  # the text's lead sketch (b"": none) and shingle count, for the store
    shingles: int | None = None
    identity_url: str | None = None  # the article's identity (crawler.text.urls.identity_url), from the analysis
    article_id: int | None = None
    store_status: str | None = None  # new | updated | unchanged | duplicate
