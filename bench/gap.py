"""Where the gap to the gold is: per tuned page, gold lines we miss and extra lines we keep, by kind.

For each page of a set (tuned part only unless --held-out): the raw trafilatura text (the extractor
setting extract_article used), the cleaned text, the gold. Lines are compared word for word
(``\\w+`` tokens, casefolded). Each line is given a kind:
- lines the cleaner dropped: the cleaner step that dropped them (residue family, title, byline,
  link block, teaser cards, inline teaser, menu run, trailing stub);
- gold lines trafilatura never returned, and lines we keep that the gold lacks: the kind of the page
  element they come from (caption, table, list, heading, blockquote, comment, related, byline,
  footnote, ...; from the element's tag and its ancestors' tags, classes and ids).

Counterfactuals: F1 of the set when the cleaner lines of one step are put back, computed the same way
on AEB, so the cost there shows; and the oracle gain of adding the missed gold lines of one kind.

    python bench/gap.py [--set readability|aeb] [--held-out] [--pages]
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extraction import aggregate, load_aeb, load_readability, page_scores, shared_data  # noqa: E402

from crawler.text import clean  # noqa: E402
from crawler.text.extract import (DEFAULT_OPTIONS, _clean_context, _raw_text, paragraph_chars,  # noqa: E402
                                  parse_html, SHORT_SHARE)
from crawler.text.metadata import read_page_meta  # noqa: E402

_TOKEN = re.compile(r"\w+")


def words(text: str) -> str:
    return " ".join(_TOKEN.findall(text.casefold()))


def traced_clean(text: str, context: clean.CleanContext) -> tuple[str, dict[str, str]]:
    """clean_text, and for every dropped line the step that dropped it (code stretches ignored)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    why: dict[str, str] = {}

    def step(name: str, before: list[str], after: list[str]) -> list[str]:
        left = Counter(after)
        for line in before:
            if left[line]:
                left[line] -= 1
            else:
                why.setdefault(line, name)
        return after

    prose = [line for line in lines if line not in context.code_lines]
    cur = []
    for line in prose:
        fam = clean.residue_family(line)
        if fam is None and any(p.search(line) for p in context.residue):
            fam = "outlet residue"
        if fam:
            why.setdefault(line, f"rule:{fam}")
        else:
            cur.append(line)
    cur = step("title", cur, clean.drop_title_lines(cur, context.titles))
    cur = step("byline", cur, clean.drop_top_bylines(cur, context.authors))
    cur = step("link block", cur, clean.drop_link_blocks(cur, context.link_texts))
    cur = step("teaser cards", cur, clean.drop_teaser_cards(cur, context.link_texts))
    cur = step("inline teaser", cur, clean.drop_inline_teasers(cur, context.story_links, context.link_texts))
    cur = step("menu run", cur, clean.drop_menu_runs(cur))
    cur = step("trailing stub", cur, clean.drop_trailing_stubs(cur))
    return clean.clean_text(text, context), why


_KIND_CUES = [
    ("comment", re.compile(r"comment|disqus|respond|reply", re.I)),
    ("related/teaser", re.compile(r"related|recommend|more-|teaser|promo|read-?more|trending|popular|outbrain|taboola", re.I)),
    ("caption", re.compile(r"caption|credit|figure|photo|image|media|gallery|slide", re.I)),
    ("byline/meta", re.compile(r"byline|author|dateline|timestamp|date|meta|bio", re.I)),
    ("footnote/refs", re.compile(r"footnote|reference|refs|notes|cite", re.I)),
    ("nav/toc", re.compile(r"\btoc\b|nav|menu|breadcrumb|infobox|sidebar", re.I)),
    ("share/social", re.compile(r"share|social|follow|newsletter|subscribe", re.I)),
]
_TAG_KINDS = {"figcaption": "caption", "caption": "caption", "figure": "caption", "table": "table", "li": "list",
              "dd": "list", "dt": "list", "blockquote": "blockquote", "pre": "code", "code": "code", "aside": "aside",
              "nav": "nav/toc", "footer": "footer", "header": "header"}


def element_index(tree) -> dict[str, object]:
    """word-form of each element's full text -> deepest element with that text."""
    index: dict[str, object] = {}
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        text = words(el.text_content())
        if text and len(text) < 3000:
            index[text] = el  # later (deeper) elements overwrite: deepest wins
    return index


def kind_of(line: str, index: dict[str, object], tree) -> str:
    w = words(line)
    if not w:
        return "empty"
    el = index.get(w)
    if el is None:  # the line is part of an element: look for the smallest element containing it
        best = None
        for text, candidate in index.items():
            if w in text and (best is None or len(text) < len(best[0])):
                best = (text, candidate)
        el = best[1] if best else None
        if el is None:
            return "not in source"
    chain = [el, *el.iterancestors()]
    for node in chain[:8]:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        attrs = f"{node.get('class', '')} {node.get('id', '')}"
        for kind, cue in _KIND_CUES:
            if cue.search(attrs):
                return kind
        if tag in _TAG_KINDS:
            return _TAG_KINDS[tag]
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            return "heading"
    words_n = len(w.split())
    return "short text" if words_n <= 6 else "paragraph"


def analyse(pages, show_pages: bool):
    missed, extra = Counter(), Counter()  # kind -> shingle-ish weight (words)
    dropped_gold, dropped_other = Counter(), Counter()  # step -> words of dropped lines in / not in gold
    texts, restored = {}, defaultdict(dict)
    oracle = defaultdict(dict)
    per_page = []
    for page in pages:
        tree = parse_html(page.html)
        if tree is None:
            texts[page.key] = ""
            continue
        meta = read_page_meta(tree, page.url, None)
        context = _clean_context(meta, DEFAULT_OPTIONS)
        best = ("", "", {})
        for n, extractor in enumerate(DEFAULT_OPTIONS.extractors):
            raw = _raw_text(tree, extractor)
            cleaned, why = traced_clean(raw, context)
            if len(cleaned) > len(best[1]) or not best[1]:
                best = (raw, cleaned, why)
            if n + 1 == len(DEFAULT_OPTIONS.extractors) or (
                    len(cleaned) >= DEFAULT_OPTIONS.min_chars and len(cleaned) >= SHORT_SHARE * paragraph_chars(tree)):
                break
        raw, cleaned, why = best
        texts[page.key] = cleaned
        gold = " " + words(page.truth) + " "
        raw_lines = [line.strip() for line in raw.splitlines() if line.strip()]
        # put back the lines of one step, in place
        for step in set(why.values()):
            kept = set(cleaned.splitlines())
            restored[step][page.key] = "\n".join(line for line in raw_lines if line in kept or why.get(line) == step)
        for line, step in why.items():
            (dropped_gold if f" {words(line)} " in gold else dropped_other)[step] += len(words(line).split())
        index = element_index(tree)
        raw_words = " " + words(raw) + " "
        ours_words = " " + words(cleaned) + " "
        page_missed = Counter()
        missed_lines = defaultdict(list)
        for line in page.truth.splitlines():
            w = words(line)
            if len(w.split()) < 2 or f" {w} " in ours_words:
                continue
            if f" {w} " in raw_words:
                kind = "dropped by cleaner"
            else:
                kind = kind_of(line, index, tree)
            missed[kind] += len(w.split())
            page_missed[kind] += len(w.split())
            missed_lines[kind].append(line)
        page_extra = Counter()
        for line in cleaned.splitlines():
            w = words(line)
            if w and f" {w} " not in gold:
                kind = kind_of(line, index, tree)
                extra[kind] += len(w.split())
                page_extra[kind] += len(w.split())
        for kind, lines in missed_lines.items():
            oracle[kind][page.key] = cleaned + "\n" + "\n".join(lines)
        tp, fp, fn = page_scores(page.truth, cleaned)
        per_page.append((tp, fp, fn, page.key, page_missed, page_extra))
    if show_pages:
        for tp, fp, fn, key, pm, pe in sorted(per_page):
            print(f"{tp:.2f} {fp:.2f} {fn:.2f} {key:34} missed {dict(pm.most_common(4))} extra {dict(pe.most_common(4))}")
    base = aggregate(page_scores(p.truth, texts[p.key]) for p in pages)
    return base, texts, restored, oracle, missed, extra, dropped_gold, dropped_other


def f1_with(pages, texts, override):
    return aggregate(page_scores(p.truth, override.get(p.key, texts[p.key])) for p in pages)[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--held-out", action="store_true", help="score the held-out part (only to report)")
    parser.add_argument("--pages", action="store_true", help="per-page rows")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    data = shared_data()
    real, _ = load_readability(data / "readability", None)
    aeb = load_aeb(data / "aeb", None)
    real = [p for p in real if p.held_out == args.held_out]
    aeb = [p for p in aeb if p.held_out == args.held_out]
    r = analyse(real, args.pages)
    a = analyse(aeb, False)
    (rbase, rtexts, rrest, roracle, rmissed, rextra, rdg, rdo) = r
    (abase, atexts, arest, aoracle, amissed, aextra, adg, ado) = a
    print(f"\nbase F1: Readability {rbase[2]:.4f}  AEB {abase[2]:.4f}")
    print("\ncleaner steps put back (words dropped: in gold / not in gold; F1 if kept):")
    print(f"  {'step':28} {'R gold':>7} {'R other':>7} {'R F1':>8} {'AEB gold':>8} {'AEB oth':>7} {'AEB F1':>8}")
    for step in sorted(set(rrest) | set(arest)):
        rf = f1_with(real, rtexts, rrest.get(step, {})) - rbase[2]
        af = f1_with(aeb, atexts, arest.get(step, {})) - abase[2]
        print(f"  {step:28} {rdg[step]:7} {rdo[step]:7} {rf:+8.4f} {adg[step]:8} {ado[step]:7} {af:+8.4f}")
    print("\ngold lines missed, by kind (words; oracle F1 gain if all found):")
    for kind, n in rmissed.most_common():
        gain = f1_with(real, rtexts, roracle.get(kind, {})) - rbase[2]
        print(f"  Readability {kind:22} {n:6} {gain:+.4f}")
    for kind, n in amissed.most_common():
        gain = f1_with(aeb, atexts, aoracle.get(kind, {})) - abase[2]
        print(f"  AEB         {kind:22} {n:6} {gain:+.4f}")
    print("\nextra lines kept, by kind (words):")
    for kind, n in rextra.most_common():
        print(f"  Readability {kind:22} {n:6}")
    for kind, n in aextra.most_common():
        print(f"  AEB         {kind:22} {n:6}")


if __name__ == "__main__":
    main()
