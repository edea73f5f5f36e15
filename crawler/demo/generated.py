"""A generated loopback web for scale tests and benchmarks: several outlets, each a news sitemap over N
article pages of realistic weight (navigation, sidebar, comments), every text distinct, served by
DemoServer. `write_web` writes the sites, `write_config` an outlets.yaml crawling them."""
from __future__ import annotations

import random
from pathlib import Path

WORDS = ("Russian Chinese joint naval patrol exercise ministry defence bombers warships Sea Japan Pacific "
         "strategic cooperation statement officials drills troops aircraft week region military training "
         "analysts partnership Moscow Beijing command forces units Vostok air navy fleet coast guard "
         "submarine radar frigate destroyer corvette carrier escort brigade battalion airbase").split()

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<link rel="canonical" href="{base}/{site}/a/{n}.html"><meta property="article:published_time" content="2024-07-{day:02d}T08:00:00Z">
</head><body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/defence">Defence</a>
<a href="/asia">Asia</a> <a href="/opinion">Opinion</a></nav></header><main><article><h1>{title}</h1>
<p class="byline">By Staff Writer</p>{paragraphs}</article><aside><h3>Related news</h3><ul>{related}</ul></aside>
<section class="comments"><h3>Leave a Reply</h3><p>Your email address will not be published.</p></section></main>
<footer><p>All rights reserved. Copyright {site} 2024.</p></footer></body></html>"""


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(12, 24))).capitalize() + "."


def site_names(outlets: int) -> list[str]:
    return [f"wire{i}" for i in range(outlets)]


def write_web(root: Path, outlets: int, pages: int, base: str = "{{BASE}}", seed: int = 7) -> list[str]:
    """`pages` article pages spread over `outlets` sites under root; returns the article URLs (with
    `base`; DemoServer fills {{BASE}} with its own address when it serves a page)."""
    rng = random.Random(seed)
    urls = []
    for index, site in enumerate(site_names(outlets)):
        (root / site / "a").mkdir(parents=True, exist_ok=True)
        share = range(index, pages, outlets)
        entries = []
        for n in share:
            paras = "\n".join(f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(3, 5)))}</p>"
                              for _ in range(rng.randint(6, 9)))
            related = "".join(f"<li><a href='/{site}/r/{rng.randint(0, 9999)}.html'>{_sentence(rng)[:60]}</a></li>"
                              for _ in range(4))
            title = f"Report {n}: " + _sentence(rng)[:70]
            (root / site / "a" / f"{n}.html").write_text(
                PAGE.format(title=title, n=n, day=1 + n % 28, paragraphs=paras, related=related, site=site,
                            base=base), encoding="utf-8")
            url = f"{base}/{site}/a/{n}.html"
            urls.append(url)
            entries.append(f"<url><loc>{url}</loc></url>")
        (root / site / "sitemap.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(entries) + "</urlset>", encoding="utf-8")
    return urls


def write_config(directory: Path, base: str, outlets: int, pages: int, settings: str = "", retries: int = 0) -> Path:
    """outlets.yaml (one outlet per site, its sitemap as entry point) and a settings.yaml for loopback."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["outlets:"]
    for site in site_names(outlets):
        lines += [f"  - name: {site}", "    domains: [127.0.0.1]", f"    sitemaps: ['{base}/{site}/sitemap.xml']",
                  f"    max_pages: {pages + 100}"]
    (directory / "outlets.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "settings.yaml").write_text(
        f"crawl:\n  obey_robots: false\n  retries: {retries}\n" + settings, encoding="utf-8")
    return directory
