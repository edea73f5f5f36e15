"""A process pool for page analysis, so extraction never stalls the crawl.

Scrapy fetches on one thread; trafilatura and the detectors are CPU-bound Python. Run inline they cap a
crawl at the speed of extraction; in worker processes they run beside fetching on the other cores.
Each worker loads the gazetteer once (initializer); a page costs one pickle of its HTML each way.
Workers start with the first pages (a crawl that finds nothing new starts none); the crawl process
itself never imports the analysis code unless it analyses inline.
"""
from __future__ import annotations

import asyncio
import dataclasses
import gc
import itertools
import multiprocessing
import os
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING

from config.load import load_gazetteer
from crawler.text.dedup import Sketch, lead_sketch, shingle_count
from crawler.text.urls import identity_url

if TYPE_CHECKING:
    from config.gazetteer import Gazetteer
    from crawler.text.analyse import PageAnalysis
    from crawler.text.extract import ExtractOptions

# per worker process, set once by the initializer
_worker_gazetteer: Gazetteer | None = None
_worker_sketch = Sketch()


@dataclasses.dataclass(frozen=True)
class OptionsSpec:
    """An outlet's extraction settings as the crawl process knows them. The crawl process does not build
    crawler.text.extract.ExtractOptions itself (that imports trafilatura, and its extractor settings would
    be pickled with every page): it sends a spec, pickled once (`pack`), which each process that analyses
    builds its options from once (`unpack_options`)."""
    residue: tuple[str, ...] = ()
    template_lines: frozenset[str] = frozenset()
    language: str | None = None

    def pack(self) -> tuple[int, bytes]:
        """(a key no other spec of this process has, the pickled spec): a page sends these two values."""
        return next(_spec_keys), pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)


_spec_keys = itertools.count()
_unpacked: dict[int, ExtractOptions] = {}  # per analysing process: options built from the specs seen


def unpack_options(options) -> ExtractOptions:
    """ExtractOptions from a packed spec (built once per spec), or the ExtractOptions given."""
    if not isinstance(options, tuple):
        return options
    key, data = options
    built = _unpacked.get(key)
    if built is None:
        from crawler.text.extract import ExtractOptions

        spec = pickle.loads(data)
        built = ExtractOptions(residue=spec.residue, template_lines=spec.template_lines, language=spec.language)
        if len(_unpacked) >= 64:  # the template of each outlet changes during a crawl: keep the recent ones
            _unpacked.clear()
        _unpacked[key] = built
    return built


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
    _worker_gazetteer.index  # noqa: B018 - its name regexes compile here too (compiled on first use)
    warm_up(sketch)
    # what start-up made lives as long as the worker: the full collections a crawl's garbage sets off
    # need not walk it again each time (the gazetteer and the compiled patterns: 40 ms a walk)
    gc.freeze()


def _analyse_in_worker(html: str, url: str, options: ExtractOptions | tuple[int, bytes], title_hint: str | None,
                       published_hint: datetime | None) -> SimpleNamespace:
    from crawler.text.analyse import analyse_page

    return plain_result(analyse_page(html, url, unpack_options(options), _worker_gazetteer, title_hint, published_hint,
                                     _worker_sketch), url)


def _plain(value):
    """A frozen dataclass (Article, Relevance, Mention) as a namespace of the same attributes."""
    if value is None:
        return None
    return SimpleNamespace(**{f.name: getattr(value, f.name) for f in dataclasses.fields(value)})


def plain_result(analysis: PageAnalysis, url: str) -> SimpleNamespace:
    """What the crawl process gets back: the analysis of the page fetched from `url` with the same
    attribute names, as plain namespaces, plus what storing a new article needs and the analysis can
    compute on its own (here, not again on the crawl process's thread): the text's lead sketch and
    shingle count, and the article's identity URL. Plain, because unpickling a result imports the
    modules of its classes: the crawl process would import the detectors and relevance (their patterns
    compiled at import: a second of CPU) just to read a few fields of their results."""
    article = analysis.article
    extra = {}
    if article is not None:
        extra["identity_url"] = identity_url(article.canonical_url, url)
        if analysis.signature is not None:
            lead = lead_sketch(article.text)
            extra.update(lead_signature=lead.serialize() if lead is not None else b"", shingles=shingle_count(article.text))
    return SimpleNamespace(article=_plain(article), relevance=_plain(analysis.relevance),
                           mentions=tuple(_plain(m) for m in analysis.mentions), content_hash=analysis.content_hash,
                           signature=analysis.signature, lead_signature=extra.get("lead_signature"),
                           shingles=extra.get("shingles"), identity_url=extra.get("identity_url"))


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

    def warm_up(self) -> None:
        """Start the worker processes now (a crawl has new pages to fetch): their start-up (imports,
        patterns, gazetteer: about a second of CPU) then overlaps the first fetches instead of holding up
        the first page. The executor spawns its processes on submit, one per task up to `workers`."""
        if self.executor is not None or self.gazetteer is not None or self.workers == 0:
            return
        self._start()
        for _ in range(self.workers):
            self.executor.submit(int)

    async def analyse(self, html: str, url: str, options: ExtractOptions | tuple[int, bytes],
                      title_hint: str | None = None, published_hint: datetime | None = None) -> SimpleNamespace:
        """The page's analysis (crawler.text.analyse.PageAnalysis's attributes, see plain_result);
        `options`: ExtractOptions, or a packed OptionsSpec (OptionsSpec.pack)."""
        if self.executor is None and self.gazetteer is None:
            self._start()
        if self.executor is None:
            from crawler.text.analyse import analyse_page

            return plain_result(analyse_page(html, url, unpack_options(options), self.gazetteer, title_hint,
                                             published_hint, self.sketch), url)
        future = self.executor.submit(_analyse_in_worker, html, url, options, title_hint, published_hint)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
