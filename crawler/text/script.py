"""Chinese script: Traditional text is read in Simplified, the script the cue lexicons and most
gazetteer aliases are written in (海上聯合 -> 海上联合, 中國 -> 中国, 軍演 -> 军演).

zhconv's "zh-hans" converts the script only (no regional vocabulary), character for character in
practice, so sentence splits stay those of the original text. Garbled copies are read as what they
copy: rare variant characters swapped in for common ones, and pinyin leaked after each character, are
undone (a sentence can get shorter; mentions quote the sentence as written)."""
from __future__ import annotations

import functools
import re

_CJK = re.compile(r"[\u3400-\u9fff]")
# Copies that dodge duplicate filters swap characters for rare variants of the same character
# (聯郃 for 联合, 縯習 for 演习, 蓡加 for 参加) that zhconv leaves as they are.
VARIANTS = str.maketrans("郃縯躰処儅縂堦衹蓡觝尅甯麪搆敺擧", "合演體處當總階只參抵克寧面構驅舉")
# Pinyin leaked into the text after each character ("執(zhí)行聯(lián)演"): a reading aid, not text.
PINYIN_LEAK = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{1,6}[)）]")


@functools.lru_cache(maxsize=4096)  # pure; relevance and detection read the same sentences
def to_simplified(text: str) -> str:
    if text.isascii() or not _CJK.search(text):  # isascii: the quick no
        return text
    import zhconv  # here: it imports pkg_resources (0.1 s of CPU), which a crawl without Chinese never needs

    return zhconv.convert(PINYIN_LEAK.sub("", text.translate(VARIANTS)), "zh-hans")
