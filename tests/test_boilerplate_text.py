"""Outlet-level boilerplate learning: a line recurring on enough pages of one outlet gets dropped from
later extractions, lines unique to a page never do. Storage is simulated with a dict of counts."""
from __future__ import annotations

from collections import Counter

from crawler.text.boilerplate import drop_template_lines, line_key, line_keys
from crawler.text.extract import ExtractOptions, extract_article

# The outlet's own notice, inside the story container and in no generic clutter family.
NOTICE = "KremlinWire is registered by the federal media regulator, certificate No. 77-81234."

STORIES = [
    ["Russian and Chinese strategic bombers flew a joint patrol over the Chukchi and Bering seas.",
     "The flight lasted more than five hours, the defence ministry said on Thursday."],
    ["The Joint Sea-2024 naval exercise opened at a naval base in Zhanjiang on Sunday.",
     "Seven warships and support vessels of the two navies are taking part."],
    ["Trade between Russia and China exceeded 220 billion dollars in eleven months.",
     "Energy remains the backbone of bilateral trade, customs data showed."],
    ["Putin met the vice chairman of China's Central Military Commission in the Kremlin.",
     "The two sides discussed the plan of joint military activities for next year."],
    ["Russian and Chinese coast guard vessels held their first joint patrol in the northern Pacific.",
     "The patrol followed a joint exercise in Vladivostok earlier in the month."],
    ["The Northern/Interaction exercise began in the Sea of Japan with more than ten ships.",
     "Naval aviation of both countries will practise anti-submarine warfare."],
]


def page(number: int, story: list[str]) -> str:
    paragraphs = "\n".join(f"<p>{text}</p>" for text in story)
    return f"""<html lang="en"><head><title>Story {number} - KremlinWire</title></head><body>
    <nav><a href="/">Home</a> <a href="/defense/">Defense</a></nav>
    <article><h1>Story {number}</h1><div class="article__text">
    {paragraphs}
    <p>{NOTICE}</p>
    </div></article></body></html>"""


def test_recurring_line_is_dropped_once_seen_on_enough_pages_unique_lines_never():
    min_pages = 3
    counts: Counter[str] = Counter()  # what storage keeps per outlet: line key -> pages seen
    notice_kept = []
    for number, story in enumerate(STORIES, 1):
        template = frozenset(key for key, pages in counts.items() if pages >= min_pages)
        article = extract_article(page(number, story), f"https://kremlinwire.example/{number}",
                                  ExtractOptions(template_lines=template))
        lines = article.text.split("\n")
        assert lines[: len(story)] == story  # the page's own lines: never dropped
        notice_kept.append(NOTICE in lines)
        counts.update(article.line_keys)
    assert notice_kept == [True] * min_pages + [False] * (len(STORIES) - min_pages)
    # keys come from the text before template removal, so the notice keeps being counted
    assert counts[line_key(NOTICE)] == len(STORIES)
    assert all(counts[line_key(text)] == 1 for story in STORIES for text in story)


def test_line_key_ignores_case_digits_and_spacing_only():
    assert line_key("Updated 12:05 MSK") == line_key("updated  9:41   msk")
    assert line_key("Follow KremlinWire on Telegram") != line_key("Follow KremlinWire on VK")
    assert len(line_key("x")) == 16


def test_line_keys_and_drop_template_lines_work_per_line():
    text = f"First paragraph of the story.\n{NOTICE}\nLast paragraph of the story."
    assert len(line_keys(text)) == 3
    assert drop_template_lines(text, frozenset({line_key(NOTICE)})) == (
        "First paragraph of the story.\nLast paragraph of the story.")
    assert drop_template_lines(text, frozenset()) == text


def test_lines_without_a_digit_skip_the_digit_rule_and_key_as_before():
    """A line is keyed without the digit substitution when it is ASCII without 0-9 (where \\d has nothing to
    replace): the same keys as the plain rule on random lines of digits, other numerals, case and spacing."""
    import hashlib
    import random
    import re

    def plain_key(line):
        normal = " ".join(re.sub(r"\d+", "0", line.casefold()).split())
        return hashlib.blake2b(normal.encode("utf-8"), digest_size=8).hexdigest()

    rng = random.Random(4)
    alphabet = "ab C 1 23 ٣ ½ ² \t x\u00a0İ"
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    assert all(line_key(line) == plain_key(line) for line in lines)
