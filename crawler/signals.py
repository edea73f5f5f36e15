"""drillwatch's own Scrapy signals (sent with crawler.signals.send_catch_log)."""

# args: spider, url, kind, message. A page or feed that could not be used; recorded in the crawl run.
page_error = object()
