"""drillwatch's own Scrapy signals (sent with crawler.signals.send_catch_log)."""

# args: spider, url, kind, message. A page or feed that could not be used; recorded in the crawl run.
page_error = object()

# args: spider, urls. An article link's outcome is final with no article to store (no article text, not
# HTML, HTTP 404, too large): remember it as seen. A stored article's links are remembered by the store
# itself, in the same transaction, so a crash never leaves a link seen without its article.
link_settled = object()
