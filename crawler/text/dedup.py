"""Identity and change of article texts (pure): fingerprints, shingles, MinHash signatures, the
near-duplicate decision and the "meaningful change" test between two versions.

* `content_hash` fingerprints what a reader would call the text: case, whitespace, typographic quotes and
  volatile lines ("Updated 10:32 GMT", "3 hours ago", comment and view counters) do not count.
* Near-duplicates (one wire story on many sites, with other clutter, headline or trims) share most word
  4-shingles; a MinHash signature (datasketch's, computed by crawler.text.minhash) estimates that share (Jaccard) without the texts.
  Different reports of one event share facts but few 4-word runs, so they stay apart.
* `compare_versions` decides whether a re-fetched article changed, flags title changes and large edits
  (more than `large_edit` of the shingles changed) and renders a unified diff.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from itertools import islice

from crawler.text.literals import GatedRegex
from crawler.text.minhash import Signature, permutations
from crawler.text.urls import canonical_url, identity_url  # noqa: F401 - URL identity lives in urls.py
from crawler.text.words import ASCII_LOWER_WORDS, utf8_words, word_count

SHINGLE_WORDS = 4
NUM_PERM = 128
SEED = 1
NEAR_DUPLICATE = 0.5   # estimated Jaccard of shingles at and above which two texts are one story
LARGE_EDIT = 0.2       # share of shingles changed above which an edit is "large"


_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                         "\u00a0": " ", "\u2009": " ", "\u202f": " ", "–": "-", "—": "-"})
_TIME = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*\(?[A-Z]{2,4}\)?)?"
_DATE = r"(?:\w+,?\s+)?(?:\d{1,2}\s+\w+\.?,?\s+\d{4}|\w+\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})"
_STAMP = rf"(?:{_DATE}(?:\s*(?:at|,|-)?\s*{_TIME})?|{_TIME}(?:\s*(?:on|,|-)?\s*{_DATE})?)"
# whole lines that change between fetches without the article changing
VOLATILE_LINES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^(?:last\s+)?(?:updated|modified|edited|published|posted)(?:\s+on|\s+at)?\s*:?\s*{_STAMP}\s*\.?$",
    r"^(?:updated|published|posted)?\s*:?\s*(?:about\s+)?(?:\d+|an?|one)\s+(?:second|minute|min|hour|hr|day|week)s?\s+ago\.?$",
    r"^[\d.,]+\s*[km]?\s+(?:comments?|views?|shares?|reads?|likes?|reactions?|responses?)$",
    r"^[\d.]+\s+avg\.?\s+rating.*votes?$",
    r"^(?:reading\s+time|read\s+time)\s*:?\s*\d+\s*min(?:ute)?s?(?:\s+read)?\.?$",
    r"^\d+\s*min(?:ute)?s?\s+read$",
))
# timestamps inside a line: "Moscow (AFP) - Updated 10:32 GMT - Russian ..." keeps the sentence
# (gated: its case-blind search is slow even to fail, and most lines lack the words it needs)
INLINE_STAMP = GatedRegex(rf"\(?\b(?:last\s+)?(?:updated|modified|edited)(?:\s+on|\s+at)?\s*:?\s*{_STAMP}\)?",
                          re.IGNORECASE, plain=True)


@dataclass(frozen=True)
class Sketch:
    """MinHash settings for near-duplicate detection (from settings.yaml `dedup`)."""
    num_perm: int = NUM_PERM
    shingle_words: int = SHINGLE_WORDS


# --- fingerprints ---------------------------------------------------------------------------------

def is_volatile(line: str) -> bool:
    line = line.strip()
    return any(p.match(line) for p in VOLATILE_LINES)


def meaningful_lines(text: str) -> list[str]:
    """The text's lines as a reader compares them: no volatile lines or timestamps, whitespace,
    case and typographic quotes normalised, empty lines dropped."""
    lines = []
    for line in text.translate(_QUOTES).splitlines():
        if is_volatile(line):
            continue
        line = INLINE_STAMP.sub(" ", line)
        line = " ".join(line.split()).casefold()  # = _SPACE.sub(" ", line).strip(): \s is str.isspace
        if line:
            lines.append(line)
    return lines


def normalise_text(text: str) -> str:
    """Whitespace, case, quotes and volatile timestamps do not make a different article."""
    return " ".join(meaningful_lines(text))


def content_hash(text: str) -> str:
    return _hash_normalised(normalise_text(text))


def _hash_normalised(normal: str) -> str:
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def normalise_title(title: str | None) -> str:
    return normalise_text(title or "")


# --- shingles and MinHash -------------------------------------------------------------------------

def words(text: str) -> list[str]:
    return _WORD.findall(normalise_text(text))


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word `size`-grams of the normalised text (a shorter text is one shingle)."""
    return _shingles(words(text), size)


def _shingles(tokens: list[str], size: int) -> set[str]:
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def warm_up(sketch: Sketch = Sketch()) -> None:
    """Draw the permutations now (a worker's start-up), not on the first page."""
    permutations(sketch.num_perm, SEED)


def minhash(text: str, num_perm: int = NUM_PERM, size: int = SHINGLE_WORDS, seed: int = SEED) -> Signature:
    """MinHash signature of the text's shingles (datasketch's affine32 MinHash, crawler.text.minhash)."""
    return _minhash(shingles(text, size), num_perm, seed)


def _minhash(grams: set[str], num_perm: int, seed: int = SEED) -> Signature:
    return Signature.of(list(map(str.encode, grams)), num_perm, seed)  # str.encode: UTF-8


def _gram_digests(words: list[bytes], size: int) -> bytes:
    """What Signature.of hashes for the shingles of these words (`_shingles`, encoded), in text order: a
    shingle found twice gives its digest twice, which changes no minimum."""
    sha1 = hashlib.sha1
    if len(words) <= size:
        return sha1(b" ".join(words)).digest()[:4] if words else b""
    return b"".join([sha1(b" ".join(gram)).digest()[:4] for gram in zip(*(words[k:] for k in range(size)))])


def signature_bytes(sketch: Signature) -> bytes:
    """datasketch's LeanMinHash serialisation, for storage (LeanMinHash.deserialize reads it back)."""
    return sketch.serialize()


def signature_of(text: str, num_perm: int = NUM_PERM, size: int = SHINGLE_WORDS) -> bytes:
    return signature_bytes(minhash(text, num_perm, size))


def fingerprint_and_signature(text: str, sketch: Sketch = Sketch()) -> tuple[str, bytes]:
    """`content_hash` and `signature_of` together, normalising the text once (the analysis workers)."""
    normal = normalise_text(text)
    digests = _gram_digests(utf8_words(normal), sketch.shingle_words)
    return _hash_normalised(normal), signature_bytes(Signature.of_digests(digests, sketch.num_perm, SEED))


# --- the lead sketch and the shingle count (near copies cut short; storage.dedup) -----------------------

LEAD_WORDS = 60   # the lead: a copy cut short ("Read more", trimmed paragraphs) keeps its first words
LEAD_PERM = 32
LEAD_SEED = 7


def lead_sketch(text: str) -> Signature | None:
    """MinHash of the 4-word shingles of the text's first LEAD_WORDS words (casefolded), None for a
    text shorter than that: a short text is matched by its whole signature alone. Only the first words
    are tokenised (the same words as all of the text's, cut to LEAD_WORDS)."""
    text = text or ""
    if text.isascii():  # casefold is lower; the words come encoded
        words = text.encode("ascii").translate(ASCII_LOWER_WORDS).split(None, LEAD_WORDS)[:LEAD_WORDS]
    else:
        tokens = [m.group() for m in islice(_WORD.finditer(text.casefold()), LEAD_WORDS)]
        words = " ".join(tokens).encode("utf-8").split(b" ") if tokens else []
    if len(words) < LEAD_WORDS:
        return None
    return Signature.of([b" ".join(words[i:i + 4]) for i in range(len(words) - 3)], LEAD_PERM, LEAD_SEED)


def shingle_count(text: str, size: int = 4) -> int:
    """Word ``size``-grams in a text (as many as its words, less size - 1): the set size containment needs."""
    return max(1, word_count(text or "") - size + 1)


def decode_signature(signature: bytes):
    """A stored signature back as a sketch (`hashvalues`, `jaccard`); datasketch reads formats of older versions."""
    decoded = Signature.deserialize(signature)
    if decoded is None:
        from datasketch import LeanMinHash

        return LeanMinHash.deserialize(signature)
    return decoded


def similarity(a, b) -> float:
    """Estimated Jaccard similarity of two signatures (bytes or sketches)."""
    a = decode_signature(a) if isinstance(a, (bytes, bytearray)) else a
    b = decode_signature(b) if isinstance(b, (bytes, bytearray)) else b
    return a.jaccard(b)


def is_near_duplicate(a, b, threshold: float = NEAR_DUPLICATE) -> bool:
    return similarity(a, b) >= threshold


# --- versions -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """How a re-fetched article differs from the stored one."""
    text_changed: bool
    title_changed: bool
    shingles_changed: float  # share of the two versions' shingles not in both (1 - Jaccard)
    large_edit: bool
    diff: str

    @property
    def meaningful(self) -> bool:
        return self.text_changed or self.title_changed


def unified_diff(old: str, new: str, old_title: str | None = None, new_title: str | None = None) -> str:
    """Line diff of the texts; a changed title shows as a first hunk of its own."""
    parts = []
    if (old_title or "") != (new_title or ""):
        parts += difflib.unified_diff([old_title or ""], [new_title or ""], "title (previous)", "title (current)",
                                      lineterm="")
    parts += difflib.unified_diff(old.splitlines(), new.splitlines(), "previous", "current", lineterm="")
    return "\n".join(parts)


def compare_versions(old_text: str, old_title: str | None, new_text: str, new_title: str | None,
                     large_edit: float = LARGE_EDIT) -> Change:
    text_changed = meaningful_lines(old_text) != meaningful_lines(new_text)
    title_changed = normalise_title(old_title) != normalise_title(new_title)
    changed = 1.0 - jaccard(shingles(old_text), shingles(new_text)) if text_changed else 0.0
    diff = unified_diff(old_text, new_text, old_title, new_title) if text_changed or title_changed else ""
    return Change(text_changed, title_changed, round(changed, 4), changed > large_edit, diff)
