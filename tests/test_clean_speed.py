"""The fast paths of crawler.text.clean (cached per-line helpers, literal prefilters before case-insensitive
searches, str.split in normalise_line) give exactly the output of the plain code they replaced."""
from __future__ import annotations

import gzip
import importlib.util
import json
import logging
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from crawler.text import boilerplate, clean
from crawler.text import extract as ex

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_COMMIT = "311b566"  # main before the fast paths (round 4)
SHARED = Path("/work/shared")


@pytest.mark.parametrize("cue", [clean._SUBSCRIPTION_CUE, clean._NEWSLETTER_CUE, clean._APP_PROMO, clean._COMMENT_WORD])
def test_a_gated_cue_is_searched_on_every_line_it_can_match(cue):
    # one sample of each top-level branch, lowercase, as in Line.norm, and with the case variants re equates
    samples = ["subscribe now", "subscription", "membership", "premium", "paywall", "unlimited access",
               "full access", "digital access", "all access", "abonnez-vous", "abo", "abonamentul", "suscríbete",
               "assine", "подписка", "newsletter", "newsletters", "inbox", "download our app", "get your free app",
               "install our new mobile app", "open your app", "comment", "comments", "comentários", "comentarios",
               "commentaires", "kommentare", "kommentar", "commenti", "комментарии"]
    samples += [sample.replace("i", "\u0131") for sample in samples] + [sample.replace("в", "\u1c80") for sample in samples]
    assert cue.words is not None and cue.plain
    for sample in samples:
        assert bool(cue.search(sample)) == bool(cue.regex.search(sample)), sample
    assert not cue.may_match("the ministry said on tuesday")


def test_normalise_line_is_the_regex_form_for_every_space_character():
    spaces = [chr(code) for code in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(code))]
    assert spaces == [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    for space in spaces:
        for line in (f"{space}- Read{space}{space}More{space}»", f"A{space}b", space, f"x{space}", f"»{space}Y"):
            assert clean.normalise_line(line) == re.sub(r"\s+", " ", line).strip(clean._STRIP).casefold()
            keyed = f"{line} 12{space}٣"  # an Arabic-Indic digit is \d too
            assert boilerplate._normalise(keyed) == re.sub(r"\s+", " ", re.sub(r"\d+", "0", keyed.casefold())).strip()


def _reference(name: str = "clean") -> types.ModuleType:
    try:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{REFERENCE_COMMIT}:crawler/text/{name}.py"],
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"git history with {REFERENCE_COMMIT} not available")
    module = types.ModuleType(f"{name}_reference")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "clean_reference.py", "exec"), module.__dict__)
    return module


def _bench_extraction():
    spec = importlib.util.spec_from_file_location("bench_extraction", ROOT / "bench" / "extraction.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def _documents(tmp_path: Path):
    """(html, url) of the demo pages, bench/crawl.py's generated pages and, when present, AEB and Readability."""
    bench = _bench_extraction()
    for _, url, html in bench.demo_documents(ROOT / "crawler" / "demo" / "sites"):
        yield html, url
    spec = importlib.util.spec_from_file_location("bench_crawl", ROOT / "bench" / "crawl.py")
    crawl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(crawl)
    crawl.make_site(tmp_path, 40)
    for path in sorted((tmp_path / "bench" / "a").glob("*.html")):
        yield path.read_text(encoding="utf-8"), f"http://127.0.0.1:8000/bench/a/{path.name}"
    data = SHARED / "data"
    if (data / "aeb" / "ground-truth.json").is_file():
        truth = json.loads((data / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
        for key in sorted(truth):
            yield gzip.decompress((data / "aeb" / "html" / f"{key}.html.gz").read_bytes()), truth[key].get("url", "")
    if (data / "readability" / "pages").is_dir():
        for page in sorted((data / "readability" / "pages").iterdir()):
            if (page / "source.html.gz").is_file():
                yield gzip.decompress((page / "source.html.gz").read_bytes()), f"http://{page.name}.example/"


def test_clean_text_output_is_that_of_the_plain_code(tmp_path, monkeypatch):
    reference, reference_keys = _reference(), _reference("boilerplate")
    calls: list[tuple[str, clean.CleanContext | None]] = []

    def recording(raw, context=None):
        calls.append((raw, context))
        return clean.clean_text(raw, context)

    monkeypatch.setattr(ex, "clean_text", recording)
    logging.disable(logging.WARNING)
    try:
        for html, url in _documents(tmp_path):
            ex.extract_article(html, url)
    finally:
        logging.disable(logging.NOTSET)
    for path in sorted((SHARED / "seeds").glob("*.txt")) if (SHARED / "seeds").is_dir() else []:
        text = path.read_text(encoding="utf-8")
        calls += [(text, None), (text, clean.CleanContext(titles=(text.strip().splitlines()[0],)))]
    assert len(calls) >= 100
    for raw, context in calls:
        cleaned = clean.clean_text(raw, context)
        assert cleaned == reference.clean_text(raw, context)
        for text in (raw, cleaned):
            keys = boilerplate.line_keys(text)
            assert keys == reference_keys.line_keys(text)
            template = frozenset(sorted(keys)[::2])
            assert boilerplate.drop_template_lines(text, template) == reference_keys.drop_template_lines(text, template)
    lines = {line for raw, _ in calls for line in raw.splitlines()}
    for line in lines:
        assert clean.residue_family(line) == reference.residue_family(line), line
        assert clean.normalise_line(line) == reference.normalise_line(line)


def test_is_link_line_prefixes_are_those_of_the_plain_code():
    reference = _reference()
    words = [f"w{n}" for n in range(30)]
    for size in (1, 2, 3, 4, 5, 24, 25, 26, 30):
        for line in (f"- {' '.join(words[:size])}", f"•  {'  '.join(words[:size])} »", " ".join(words[:size])):
            norm = clean.normalise_line(line.lstrip("-•*· "))
            tokens = norm.split(" ")
            for k in range(0, size + 1):
                links = frozenset({" ".join(tokens[:k])})
                assert clean.is_link_line(line, links) == reference.is_link_line(line, links), (line, k)


def test_prefiltered_rules_and_block_rules_agree_with_the_plain_code_on_written_lines():
    reference = _reference()
    lines = [
        "Comments that insult other readers will not be approved by the moderator.",
        "Kommentare werden nicht freigeschaltet, wenn sie beleidigen.", "Os comentários não são aprovados.",
        "Комментарии проходят модерацию.", "The moderator approved the comments on the draft law.",
        "Get unlimited access for as little as $2 a month. Use the code DRILL.", "Abonnez-vous pour seulement 1 €",
        "Subscrıbe for just $1 a week, your first month free.", "The service raised its subscription price to $15 a month, the company said.",
        "Sign up for our newsletter", "Get the newsletter delivered to your inbox", "Newsletters were sent, officials said.",
        "Now check your email to download your new app.", "Open our app", "Download ouR app", "Share on Facebook",
        "Facebook Twitter WhatsApp Email", "Share this article with friends", "Kelvin: 5 \u212a", "ſubscribe now for just $1 a month",
    ]
    for line in lines:
        assert clean.residue_family(line) == reference.residue_family(line), line
    text = "\n".join(["Drills End At Sea Today", "The navy said the drills ended.", "Senator Quits After Long Debate",
                      "The fleet returned to port on Friday.", "SENATOR QUITS AFTER LONG DEBATE", "- Another linked story here",
                      "- Another linked story here with a dek", "Closing sentence of the story."])
    links = frozenset({"senator quits after long debate", "another linked story here", "drills end at sea today"})
    for context in (clean.CleanContext(story_links=links, link_texts=links, titles=("Drills End At Sea Today | Site",)),
                    clean.CleanContext(link_texts=links), clean.CleanContext(story_links=links)):
        assert clean.clean_text(text, context) == reference.clean_text(text, context)
