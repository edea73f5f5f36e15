"""Scrapy's log lines for dropped items and failed callbacks, pipelines and downloads, moved to INFO
(shown with `drillwatch crawl -v`): each of those failures is already an error of the run, reported
on stderr in one line by the RunRecorder. Items never show their page (PageItem.html has repr=False)."""
from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class MaxSizeToInfo(logging.Filter):
    """Scrapy's download handlers warn when a response passes DOWNLOAD_MAXSIZE: the too_large error the
    run records says it already, so that line moves to INFO too (the warning at half the size stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "larger than download max size" in record.getMessage():
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


MAXSIZE_FILTER = MaxSizeToInfo()
HANDLER_LOGGERS = ("scrapy.core.downloader.handlers.http11", "scrapy.core.downloader.handlers._base_streaming")


class OneLineLogFormatter(LogFormatter):
    def __init__(self) -> None:
        super().__init__()
        for name in HANDLER_LOGGERS:  # the same filter object: adding it again is a no-op
            logging.getLogger(name).addFilter(MAXSIZE_FILTER)

    def dropped(self, *args, **kwargs):
        return {**super().dropped(*args, **kwargs), "level": logging.INFO}

    def item_error(self, *args, **kwargs):
        return {**super().item_error(*args, **kwargs), "level": logging.INFO}

    def spider_error(self, *args, **kwargs):
        return {**super().spider_error(*args, **kwargs), "level": logging.INFO}

    def download_error(self, *args, **kwargs):
        return {**super().download_error(*args, **kwargs), "level": logging.INFO}
