"""Paragraph and sentence splitting for en/ru/zh news text (pure, regex only).

Good enough for cue co-occurrence: a false split costs a little recall, a missed split lets two
sentences share cues, so abbreviations that end in a dot are protected.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# A dot after these is not a sentence end ("Mr. Putin", "U.S. officials", "Sept. 1").
ABBREVIATIONS = frozenset("""
mr mrs ms dr gen lt col maj capt adm cmdr sgt st jr sr prof rep sen gov pres vs etc no nos
jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e approx est
г гг т.е т.д ул им
""".split())

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\r\n\s*\r\n")
# Latin/Cyrillic: terminator, optional closing quotes/brackets, whitespace, then an opener.
# ([.!?…][.!?…]* is [.!?…]+ written so that re skips to a terminator: it tries a pattern that starts
# with a repeat at every character.)
_WESTERN_END = re.compile(r"[.!?…][.!?…]*[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-ZА-ЯЁ0-9\u4e00-\u9fff])")
# CJK terminators need no following space.
_CJK_END = re.compile(r"[。！？；][。！？；]*[”’」』）)]*")
_LAST_TOKEN = re.compile(r"([\w.]+)\.[\"'”’»)\]]*$")


@dataclass(frozen=True)
class Sentence:
    text: str
    paragraph: int  # index of the paragraph in the text; -1 for the title
    index: int  # running index over the whole text


def split_paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; single newlines inside a block too (extracted text keeps them)."""
    blocks = _PARAGRAPH_BREAK.split(text or "")
    lines = (line.strip() for block in blocks for line in block.splitlines())
    return [line for line in lines if line]


_CLOSERS = "\"'”’»)]"


def _last_token(chunk: str) -> str | None:
    """_LAST_TOKEN's group 1, found from the end: the regex searched from the start tries every
    character of the chunk (and every letter of each word again), though the token ends it."""
    if "\n" in chunk:  # $ may stand before a final newline: leave that to the regex
        match = _LAST_TOKEN.search(chunk)
        return match.group(1) if match else None
    dot = len(chunk.rstrip(_CLOSERS)) - 1  # the regex's \. : the last character before the closers
    if dot < 1 or chunk[dot] != ".":
        return None
    start = dot
    while start and (chunk[start - 1] == "." or chunk[start - 1] == "_" or chunk[start - 1].isalnum()):  # [\w.]
        start -= 1
    return chunk[start:dot] if start < dot else None


def _is_abbreviation(chunk: str) -> bool:
    token = _last_token(chunk)
    if not token:
        return False
    token = token.lower()
    # Single capital initials ("J. Smith") and known abbreviations do not end a sentence.
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _inside_short_quote(chunk: str) -> bool:
    """ «Север. Взаимодействие-2023»: a dot inside a name in quotes opened just before is no end."""
    opened = max(chunk.rfind("«"), chunk.rfind("“"))
    return opened >= 0 and len(chunk) - opened <= 40 and "»" not in chunk[opened:] and "”" not in chunk[opened:]


def _split_western(paragraph: str) -> list[str]:
    pieces, start = [], 0
    for match in _WESTERN_END.finditer(paragraph):
        chunk = paragraph[start:match.end()]
        if _is_abbreviation(chunk) or _inside_short_quote(chunk):
            continue
        pieces.append(chunk)
        start = match.end()
    pieces.append(paragraph[start:])
    return pieces


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, stripped, empty ones dropped."""
    if paragraph.isascii() or not _CJK_END.search(paragraph):  # no CJK terminator: the western pieces are all
        return [s.strip() for s in _split_western(paragraph) if s.strip()]
    out: list[str] = []
    for piece in _split_western(paragraph):
        start = 0
        for match in _CJK_END.finditer(piece):
            out.append(piece[start:match.end()])
            start = match.end()
        out.append(piece[start:])
    return [s.strip() for s in out if s.strip()]


def iter_sentences(text: str, title: str = "") -> list[Sentence]:
    """All sentences of a text, the title first (paragraph -1) when given."""
    return list(_sentences(text, title))


@functools.lru_cache(maxsize=16)  # pure; relevance and detection split the same article
def _sentences(text: str, title: str) -> tuple[Sentence, ...]:
    result: list[Sentence] = []
    if title and title.strip():
        result.append(Sentence(title.strip(), -1, 0))
    for p_index, paragraph in enumerate(split_paragraphs(text)):
        for sentence in split_sentences(paragraph):
            result.append(Sentence(sentence, p_index, len(result)))
    return tuple(result)
