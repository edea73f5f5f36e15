"""Page metadata (pure): canonical URL, language, headline candidates, link texts, wire agency.

Title, author, site name, description and the markup date come from trafilatura's metadata steps
(meta tags, JSON-LD, htmldate); this module adds what drillwatch needs on top.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_sitename, extract_title
from trafilatura.settings import Document

from crawler.text.clean import Line, is_syndication_note, normalise_line
from crawler.text.dates import has_month_day, is_dateline
from crawler.text.literals import GatedRegex

__all__ = [
    "PageMeta",
    "read_page_meta",
    "canonical_url",
    "page_language",
    "headline_candidates",
    "link_texts",
    "detect_agency",
    "page_dateline",
    "article_language",
]

LOGGER = logging.getLogger(__name__)

# htmldate on markup only (meta, JSON-LD, <time>), the URL after it (deferred: a URL date has no
# time of day); its extensive text scan guesses dates from copyright years and sidebars, where the
# dateline fallback of dates.py is more reliable.
DATE_CONFIG = {
    "extensive_search": False,
    "original_date": True,
    "deferred_url_extractor": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


@dataclass(frozen=True)
class PageMeta:
    title: str | None
    author: str | None
    date: str | None  # ISO string from the markup, parsed by dates.parse_datetime
    site_name: str | None
    description: str | None
    language: str | None
    canonical_url: str
    headlines: tuple[str, ...]  # title candidates, to drop the headline repeated in the text
    link_texts: frozenset[str]  # normalised anchor texts, to spot related-headline blocks
    dateline: str | None  # "Moscow, Oct 14 (AFP) Oct 14, 2024" when the page sets it apart from the text
    code_lines: frozenset[str] = frozenset()  # stripped lines of <pre> blocks, which cleaning keeps
    story_links: frozenset[str] = frozenset()  # normalised texts of links to the site's other pages


def trafilatura_fields(tree: HtmlElement, url: str) -> Document:
    """trafilatura's ``extract_metadata`` steps minus categories, tags and license, which drillwatch
    does not store and which took 40% of its time on the benchmark pages (bench/extraction.py)."""
    doc = examine_meta(tree)
    if doc.author and " " not in doc.author:  # a bare handle, as extract_metadata decides
        doc.author = None
    try:
        doc = extract_meta_json(tree, doc)
    except Exception as err:  # noqa: BLE001 - trafilatura guards this step the same way
        LOGGER.debug("JSON-LD metadata: %s", err)
    # a page without <title> or <h1> (a feed item's HTML) has no headline; trafilatura would take an <h2>
    if not doc.title and (tree.find(".//title") is not None or tree.find(".//h1") is not None):
        doc.title = extract_title(tree)
    doc.author = doc.author or extract_author(tree)
    doc.sitename = (doc.sitename or extract_sitename(tree) or "").lstrip("@") or None
    doc.date = find_date(tree, url=url, **DATE_CONFIG)
    doc.clean_and_trim()
    return doc


def read_page_meta(tree: HtmlElement, url: str, language_hint: str | None = None) -> PageMeta:
    """All page-level metadata from a parsed tree (the tree is not modified)."""
    try:
        doc = trafilatura_fields(tree, url)
    except Exception as err:  # noqa: BLE001 - a metadata bug on one odd page must not lose its text
        LOGGER.warning("metadata extraction failed on %s: %s", url, err)
        doc = Document()
    return PageMeta(
        title=doc.title or None,
        author=doc.author or None,
        date=doc.date or None,
        site_name=doc.sitename or None,
        description=doc.description or None,
        language=page_language(tree) or language_hint,
        canonical_url=canonical_url(tree, url),
        headlines=headline_candidates(tree, doc.title),
        link_texts=link_texts(tree),
        dateline=page_dateline(tree),
        code_lines=code_lines(tree),
        story_links=story_link_texts(tree, url),
    )


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def canonical_url(tree: HtmlElement, url: str) -> str:
    """rel=canonical, else og:url, absolutised against the page URL; else the page URL."""
    candidates = tree.xpath(
        '//link[contains(concat(" ", normalize-space(translate(@rel, "CANONICAL", "canonical")), " "), '
        '" canonical ")]/@href | //meta[@property="og:url"]/@content'
    )
    for href in candidates:
        href = href.strip()
        absolute = urljoin(url, href) if href else ""
        if absolute and _is_web_url(absolute):
            return absolute.split("#", 1)[0]
    return url


_LANG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$", re.IGNORECASE)


def _primary_subtag(value: str | None) -> str | None:
    match = _LANG.match((value or "").strip())
    return match.group(1).lower() if match else None


def page_language(tree: HtmlElement) -> str | None:
    """<html lang>, Content-Language or og:locale, as a primary subtag ("en", "zh", "ru")."""
    root = tree.getroottree().getroot()
    values = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")]
    values += tree.xpath(
        '//meta[translate(@http-equiv, "CONTENTLAGU", "contentlagu")="content-language"]/@content'
        ' | //meta[@property="og:locale"]/@content'
    )
    return next((lang for lang in map(_primary_subtag, values) if lang), None)


_LETTER = re.compile(r"[^\W\d_]")
_NOT_LETTERS = re.compile(r"[\W\d_]+")  # every character is in exactly one of _LETTER and this
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_ASCII_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())
_ASCII_LOWER = re.compile(r"[a-z]+")
_ENGLISH = frozenset("the and of to in is that for on with as was by it said at from has have be are".split())


def text_language(text: str, sample: int = 1500) -> str | None:
    """A cheap guess from the text itself, only where it is unambiguous: mostly Cyrillic -> "ru",
    mostly Han/kana -> "zh"/"ja", Latin with many English function words -> "en"; else None."""
    head = text[:sample]
    if head.isascii():  # no Han, kana or Cyrillic; the letters are A-Z and a-z
        letters = len(head.encode("ascii").translate(None, _ASCII_NOT_LETTERS))
        return _english(head) if letters >= 100 else None
    letters = len(_NOT_LETTERS.sub("", head))  # = len(_LETTER.findall(head)), without a string per letter
    if letters < 100:
        return None
    if len(_CJK.findall(head)) > letters / 3:
        return "ja" if re.search(r"[\u3040-\u30ff]", head) else "zh"
    if len(_CYRILLIC.findall(head)) > letters / 2:
        return "ru"
    return _english(head)


def _english(head: str) -> str | None:
    words = _ASCII_LOWER.findall(head.lower())
    return "en" if words and sum(map(_ENGLISH.__contains__, words)) > 0.15 * len(words) else None


_CYRILLIC_LANGS = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg"})


def article_language(declared: str | None, text: str) -> str | None:
    """The page's declared language, unless the text clearly is in another script or in English
    (a Romanian social site reposting AP copy declares lang="ro"). A declared "uk" stays for Cyrillic."""
    guessed = text_language(text)
    if guessed is None or declared == guessed:
        return declared or guessed
    if guessed == "ru" and declared in _CYRILLIC_LANGS:
        return declared
    return guessed


def headline_candidates(tree: HtmlElement, title: str | None) -> tuple[str, ...]:
    """Meta title, og/twitter titles, <title> and the first <h1>s."""
    found = [title or ""]
    found += tree.xpath('//meta[@property="og:title" or @name="twitter:title"]/@content')
    found += [el.text_content() for el in tree.xpath("//title | //h1")[:4]]
    unique = dict.fromkeys(" ".join(text.split()) for text in found)
    return tuple(text for text in unique if text)


def link_texts(tree: HtmlElement, min_words: int = 3) -> frozenset[str]:
    """Normalised texts of the page's links with at least ``min_words`` words (headline teasers);
    in-page links ("#section", a table of contents that repeats the article's subheadings) left out."""
    texts = (normalise_line(a.text_content()) for a in tree.iter("a") if not a.get("href", "").startswith("#"))
    return frozenset(text for text in texts if text.count(" ") + 1 >= min_words)


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def story_link_texts(tree: HtmlElement, url: str, min_words: int = 4) -> frozenset[str]:
    """Normalised texts of links to other pages of the same site (other stories), with at least
    ``min_words`` words; links to other sites (a product, a source) are not teasers."""
    host = _host(url)
    texts: set[str] = set()
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        if href.startswith("//"):
            target = _host("http:" + href)
        elif "://" in href[:12]:
            target = _host(href)
        elif ":" in href.split("/", 1)[0]:  # mailto:, javascript:, tel:
            continue
        else:  # relative: stays on the site, no parsing needed
            target = host
        if host and target == host:
            text = normalise_line(a.text_content())
            if text.count(" ") + 1 >= min_words:
                texts.add(text)
    return frozenset(texts)


def code_lines(tree: HtmlElement) -> frozenset[str]:
    """Stripped non-empty lines of the page's <pre> blocks (code, console output, markup samples)."""
    return frozenset(line.strip() for pre in tree.iter("pre") for line in pre.text_content().splitlines()
                     if line.strip())


_DATELINE_SEPARATOR = re.compile(r"[(/]|--|—|–")
_NOT_STORY = frozenset({"a", "script", "style", "noscript", "option"})


def _short_texts(tree: HtmlElement, max_chars: int = 200) -> Iterator[str]:
    """Short text pieces of the page body that could hold a dateline, links (teasers) left out."""
    body = tree.find("body")
    for element in body.iter() if body is not None else ():
        texts = (element.tail,) if element.tag in _NOT_STORY else (element.text, element.tail)
        for text in texts:
            if text and 8 < len(text) < max_chars and _DATELINE_SEPARATOR.search(text):
                yield " ".join(text.split())


def page_dateline(tree: HtmlElement) -> str | None:
    """The first wire dateline in the page body that names a day or a wire ("Moscow, Oct 14 (AFP)").
    Outlets often print it in its own element above the story, where the text extractor leaves it out."""
    return next((text for text in _short_texts(tree) if is_dateline(text) and _informative(text)), None)


def _informative(dateline: str) -> bool:
    return has_month_day(dateline) or bool(_DATELINE_TAG.search(dateline))


# --- wire agency ---------------------------------------------------------------------------------

_AGENCY_NAMES = {
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "AP": ("AP", "Associated Press"),
    "Reuters": ("Reuters", "Thomson Reuters"),
    "Xinhua": ("Xinhua", "Xinhua News Agency"),
    "TASS": ("TASS", "ITAR-TASS"),
    "RIA Novosti": ("RIA Novosti", "RIA"),
    "Interfax": ("Interfax",),
    "Sputnik": ("Sputnik",),
    "PTI": ("PTI", "Press Trust of India"),
    "ANI": ("ANI",),
    "IANS": ("IANS",),
    "Yonhap": ("Yonhap",),
    "Kyodo": ("Kyodo",),
    "UPI": ("UPI",),
    "dpa": ("dpa", "DPA"),
}


def _alias_key(alias: str) -> str:
    """Casefolded, with "İ" and "ı" as "i": re's IGNORECASE matches them for "i", their casefolds differ."""
    return alias.casefold().replace("\u0307", "").replace("ı", "i")


_ALIAS = {_alias_key(alias): name for name, aliases in _AGENCY_NAMES.items() for alias in aliases}
_ALIASES = "|".join(sorted((re.escape(a) for a in _ALIAS), key=len, reverse=True))

# "Moscow, Oct 14 (AFP)", "WASHINGTON (AP) —", "ZHANJIANG, July 14 (Xinhua) --", "MOSCOW, July 25. /TASS/."
_DATELINE_TAG = re.compile(r"(?:\((" + _ALIASES + r")\)|/(" + _ALIASES + r")/)(?:\s|[-—–:.,]|$)", re.IGNORECASE)
# "... said. — Reuters", "-- Xinhua", "(Reporting by X; Editing by Y)" is Reuters' house style
_SIGNOFF = re.compile(r"(?:^|\s)[-—–]{1,2}\s*(" + _ALIASES + r")\s*\.?$", re.IGNORECASE)
_REUTERS_CREDIT = re.compile(r"^\(?Reporting by .{3,200}(Editing|edited) by .{3,120}\)?$", re.IGNORECASE)
# "Copyright Agence France-Presse", "© 2024 The Associated Press", "AFP, UPI and IANS news wire ..."
# (gated: its case-blind search is slow even to fail, and most lines lack "copyright", "©" and "(c)")
_FOOTER = GatedRegex(
    r"(?:copyright|©|\(c\))\s*(?:©\s*)?(?:\d{4}\s*)?(?:the\s+)?(" + _ALIASES + r")\b", re.IGNORECASE, plain=True
)
# "AFP Staff Writers", "By Reuters", "Associated Press", "AP World News"
_BYLINE = re.compile(
    r"^(?:by\s+)?(?:the\s+)?(" + _ALIASES + r")(?:\s+(?:staff|writers?|world|news|wire|reporters?|desk|service))*$",
    re.IGNORECASE,
)


def _canonical_agency(alias: str) -> str:
    return _ALIAS.get(_alias_key(alias), alias)


def _agency_in_lines(lines: list[str]) -> str | None:
    """Dateline tag in the first lines, sign-off in the last ones, copyright footer at either end.
    (Each search runs only on lines holding the characters its pattern must match: most lines have none.)"""
    for line in lines[:4]:
        head = line[:200]
        if ("(" in head or "/" in head) and (match := _DATELINE_TAG.search(head)):
            return _canonical_agency(match.group(1) or match.group(2))
    for line in lines[-6:]:
        if ("-" in line or "—" in line or "–" in line) and (match := _SIGNOFF.search(line)):
            return _canonical_agency(match.group(1))
        if _REUTERS_CREDIT.match(line):
            return "Reuters"
    for line in lines[:4] + lines[-10:]:
        if match := _FOOTER.search(line):
            return _canonical_agency(match.group(1))
    return None


def detect_agency(text: str, author: str | None = None, dateline: str | None = None) -> str | None:
    """Wire agency of a story, from its text before cleaning (and the page's dateline, if set apart):
    dateline tag, sign-off, copyright footer, else a wire byline ("AFP Staff Writers"), else
    "syndicated" when only a syndication note says so. None for an outlet's own reporting."""
    lines = [line.strip() for line in [dateline or "", *text.splitlines()] if line.strip()]
    found = _agency_in_lines(lines)
    if found:
        return found
    if author and (match := _BYLINE.match(author.strip())):
        return _canonical_agency(match.group(1))
    notes = (Line.of(line) for line in lines[:4] + lines[-10:] if len(line) < 400)
    return "syndicated" if any(is_syndication_note(note) for note in notes) else None
