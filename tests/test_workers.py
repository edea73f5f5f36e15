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
