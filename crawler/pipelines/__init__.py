"""Item pipelines: thin adapters from Scrapy items to the pure text functions and to storage.

Each stage drops what it cannot use with a DropItem subclass, so Scrapy's stats count drops by reason.
"""
from crawler.pipelines.extract import ExtractPipeline, NoArticle
from crawler.pipelines.store import StorePipeline, to_article_data

__all__ = ["ExtractPipeline", "StorePipeline", "NoArticle", "to_article_data"]
