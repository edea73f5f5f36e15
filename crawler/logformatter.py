"""Scrapy's log lines for dropped items and failed callbacks, pipelines and downloads, moved to INFO
(shown with `drillwatch crawl -v`): each of those failures is already an error of the run, reported
on stderr in one line by the RunRecorder. Items never show their page (PageItem.html has repr=False)."""
from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class OneLineLogFormatter(LogFormatter):
    def dropped(self, *args, **kwargs):
        return {**super().dropped(*args, **kwargs), "level": logging.INFO}

    def item_error(self, *args, **kwargs):
        return {**super().item_error(*args, **kwargs), "level": logging.INFO}

    def spider_error(self, *args, **kwargs):
        return {**super().spider_error(*args, **kwargs), "level": logging.INFO}

    def download_error(self, *args, **kwargs):
        return {**super().download_error(*args, **kwargs), "level": logging.INFO}
