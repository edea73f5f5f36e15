"""A process pool for page analysis, so extraction never stalls the crawl.

Scrapy fetches on one thread; trafilatura and the detectors are CPU-bound Python. Run inline they cap a
crawl at the speed of extraction; in worker processes they run beside fetching on the other cores.
Each worker loads the gazetteer once (initializer); a page costs one pickle of its HTML each way.
Workers start with the first pages (a crawl that finds nothing new starts none); the crawl process
itself never imports the analysis code unless it analyses inline.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING

from config.load import load_gazetteer
from crawler.text.dedup import Sketch

if TYPE_CHECKING:
    from config.gazetteer import Gazetteer
    from crawler.text.analyse import PageAnalysis
    from crawler.text.extract import ExtractOptions

# per worker process, set once by the initializer
_worker_gazetteer: Gazetteer | None = None
_worker_sketch = Sketch()


def _exit_with_parent() -> None:
    """A crawl process killed outright (SIGKILL, the OOM killer) cannot shut its pool down; its workers
    would wait for work forever and keep its stderr open. They leave when it is gone."""
    multiprocessing.parent_process().join()
    os._exit(1)


def _init_worker(config_dir: str | None, sketch: Sketch) -> None:
    global _worker_gazetteer, _worker_sketch
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    import crawler.text.analyse  # noqa: F401 - the detectors' patterns compile here, not on the first page
    from crawler.text.dedup import warm_up

    _worker_gazetteer, _worker_sketch = load_gazetteer(config_dir), sketch
    warm_up(sketch)


def _analyse_in_worker(html: str, url: str, options: ExtractOptions, title_hint: str | None,
                       published_hint: datetime | None) -> PageAnalysis:
    from crawler.text.analyse import analyse_page

    return analyse_page(html, url, options, _worker_gazetteer, title_hint, published_hint, _worker_sketch)


def default_workers() -> int:
    """One analysis process per core but one: the crawl process (Scrapy, storage) keeps a core of its own.
    On two cores, a second analysis process made the crawl no faster (bench/crawl.py) and cost its
    start-up (imports, gazetteer: about a second of CPU) and more CPU per page from three processes
    taking turns on two cores."""
    return max(1, (os.cpu_count() or 1) - 1)


class AnalysisPool:
    """`workers=0` analyses inline (debugging, tiny crawls); otherwise a spawn-context process pool
    (forking a process that runs a reactor and threads is not safe).

    Several outlets crawl in one process: they share one pool (`shared`), closed by the last user."""

    _shared: dict[tuple, list] = {}  # (config_dir, workers, sketch) -> [pool, users]

    @classmethod
    def shared(cls, config_dir: str | None, workers: int, sketch: Sketch = Sketch()) -> "AnalysisPool":
        entry = cls._shared.setdefault((config_dir, workers, sketch), [None, 0])
        if entry[0] is None:
            entry[0] = cls(config_dir, workers, sketch)
        entry[1] += 1
        return entry[0]

    def release(self) -> None:
        for key, entry in list(self._shared.items()):
            if entry[0] is self:
                entry[1] -= 1
                if entry[1] <= 0:
                    del self._shared[key]
                    self.close()
                return
        self.close()

    def __init__(self, config_dir: str | None, workers: int, sketch: Sketch = Sketch()):
        self.config_dir, self.workers, self.sketch = config_dir, workers, sketch
        self.gazetteer, self.executor = None, None

    def _start(self) -> None:
        """On the first page: a crawl that analyses nothing (a recheck answered 304) loads no gazetteer and
        starts no pool (a process pool starts multiprocessing's resource tracker process as it is made)."""
        if self.workers == 0:  # the workers load their own copy; inline analysis needs one here
            self.gazetteer = load_gazetteer(self.config_dir)
        else:
            self.executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_init_worker, initargs=(self.config_dir, self.sketch))

    async def analyse(self, html: str, url: str, options: ExtractOptions, title_hint: str | None = None,
                      published_hint: datetime | None = None) -> PageAnalysis:
        if self.executor is None and self.gazetteer is None:
            self._start()
        if self.executor is None:
            from crawler.text.analyse import analyse_page

            return analyse_page(html, url, options, self.gazetteer, title_hint, published_hint, self.sketch)
        future = self.executor.submit(_analyse_in_worker, html, url, options, title_hint, published_hint)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
