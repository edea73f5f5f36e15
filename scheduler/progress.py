"""Live crawl progress on stderr, fed by Scrapy signals (one line per outlet)."""
from __future__ import annotations

from rich.console import Console
from scrapy import signals


class CrawlProgress:
    """Use as a context manager; pass `observe` to crawler.run.crawl."""

    def __init__(self, enabled: bool = True):
        console = Console(stderr=True)
        self.enabled = enabled and console.is_terminal
        if not self.enabled:  # a script, cron or the daemon: not even rich.progress is loaded
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[outlet]:<14}"),
                                 TextColumn("{task.fields[pages]:>5} pages  {task.fields[stored]:>4} stored  "
                                            "{task.fields[errors]:>3} errors  {task.fields[state]}"),
                                 TimeElapsedColumn(), console=console, transient=False)

    def __enter__(self) -> "CrawlProgress":
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.progress.stop()

    def observe(self, crawler) -> None:
        if not self.enabled:
            return
        task = self.progress.add_task("", outlet=crawler.spidercls.name, pages=0, stored=0, errors=0,
                                      state="crawling", total=None)

        def bump(field: str):
            def handler(*_args, **_kwargs):
                self.progress.update(task, **{field: self.progress.tasks[task].fields[field] + 1})
            return handler

        # keep references: Scrapy's signal manager holds weak references to receivers
        self._keep = getattr(self, "_keep", []) + [bump("pages"), bump("stored")]
        crawler.signals.connect(self._keep[-2], signal=signals.response_received)
        crawler.signals.connect(self._keep[-1], signal=signals.item_scraped)
        from crawler.signals import page_error
        self._keep.append(bump("errors"))
        crawler.signals.connect(self._keep[-1], signal=page_error)

        def closed(spider, reason):
            self.progress.update(task, state=f"done ({reason})")
        self._keep.append(closed)
        crawler.signals.connect(closed, signal=signals.spider_closed)
