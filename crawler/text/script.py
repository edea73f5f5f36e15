"""Chinese script: Traditional text is read in Simplified, the script the cue lexicons and most
gazetteer aliases are written in (海上聯合 -> 海上联合, 中國 -> 中国, 軍演 -> 军演).

zhconv's "zh-hans" converts the script only (no regional vocabulary), character for character in
practice, so sentence splits and offsets stay those of the original text."""
from __future__ import annotations

import functools
import re

import zhconv

_CJK = re.compile(r"[\u3400-\u9fff]")


@functools.lru_cache(maxsize=4096)  # pure; relevance and detection read the same sentences
def to_simplified(text: str) -> str:
    if not _CJK.search(text):
        return text
    return zhconv.convert(text, "zh-hans")
