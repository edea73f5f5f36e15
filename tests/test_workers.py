"""The analysis pool's worker processes never outlive the crawl process that started them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "crawler" / "demo" / "sites" / "artifex"
        / "russian-and-chinese-bombers-patrol-near-alaska-in-joint-military-exercise-6185288" / "index.html")

CRAWL_LIKE = """
import asyncio, multiprocessing, sys
from crawler.text.extract import ExtractOptions
from crawler.workers import AnalysisPool

async def main():
    pool = AnalysisPool(None, 2)
    html = open(sys.argv[1], encoding="utf-8").read()
    pages = [pool.analyse(html, f"http://127.0.0.1/{n}.html", ExtractOptions()) for n in range(4)]
    results = await asyncio.gather(*pages)
    assert all(r.article is not None for r in results)
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has exited


def test_workers_exit_when_the_crawl_process_is_killed_outright():
    proc = subprocess.Popen([sys.executable, "-c", CRAWL_LIKE, str(PAGE)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in proc.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # what the OOM killer does: no chance to shut the pool down
        proc.wait()
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], "orphaned analysis workers still running"


LIGHT_PARENT = """
import asyncio, sys
from crawler.text.dedup import lead_sketch, shingle_count
from crawler.workers import AnalysisPool, OptionsSpec

async def main():
    pool = AnalysisPool(None, 1)
    html = open(sys.argv[1], encoding="utf-8").read()
    packed = OptionsSpec(language="en").pack()
    result = await pool.analyse(html, "http://127.0.0.1/a.html", packed)
    pool.close()
    heavy = [m for m in ("trafilatura", "crawler.text.extract", "crawler.text.exercises", "crawler.text.relevance",
                         "crawler.text.analyse") if m in sys.modules]
    assert not heavy, f"the crawl process imported {heavy}"
    assert result.article.text and result.relevance.relevant and result.mentions
    assert result.mentions[0].exercise and result.article.line_keys
    lead = lead_sketch(result.article.text)
    assert result.lead_signature == lead.serialize()
    assert result.shingles == shingle_count(result.article.text)
    print("ok")

asyncio.run(main())
"""


def test_the_crawl_process_reads_results_without_importing_the_analysis_code():
    """Unpickling a result imports the modules of its classes: results come back as plain namespaces, and
    the options go out as a spec, so the crawl process never loads trafilatura or the detectors (a second
    of CPU per crawl). The store's lead sketch and shingle count come with the result."""
    proc = subprocess.run([sys.executable, "-c", LIGHT_PARENT, str(PAGE)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "ok"


def test_inline_analysis_gives_the_same_result_as_a_worker():
    import asyncio

    from crawler.text.extract import ExtractOptions
    from crawler.workers import AnalysisPool, OptionsSpec

    html = PAGE.read_text(encoding="utf-8")

    async def both():
        inline, pooled = AnalysisPool(None, 0), AnalysisPool(None, 1)
        try:
            return (await inline.analyse(html, "http://127.0.0.1/a.html", ExtractOptions(language="en")),
                    await pooled.analyse(html, "http://127.0.0.1/a.html", OptionsSpec(language="en").pack()))
        finally:
            pooled.close()
    a, b = asyncio.run(both())
    from crawler.text.urls import identity_url
    assert a == b and a.article.text and a.lead_signature
    assert a.identity_url == identity_url(a.article.canonical_url, "http://127.0.0.1/a.html")
