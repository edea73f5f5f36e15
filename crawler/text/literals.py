"""Words a regex cannot match without: a cheap test that rules a regex out before it runs.

required_literals(regex) reads re's parse tree and returns strings one of which every match of the
regex contains ("ago" for "(?i:\\b(?:\\d+|a|few) (?:days?|weeks?) ago\\b)", the month names for a
date rule), or None when it finds none worth testing. Text(text).may_match(literals) is False only
when no match can be in the text: a few `in` tests, far cheaper than the regex, which tries every
position its first characters allow.

Case-insensitive literals are looked for in text.lower(). That is exact for literals in ASCII,
Cyrillic or caseless (CJK) characters on a text that holds none of UNSAFE: the characters re matches
to such a letter under IGNORECASE although their lowercase differs (dotless ı and long ſ for i and
s, the old Cyrillic letter forms for в д о с т ъ ѣ), and İ, whose lowercase is two characters.
tests/test_literals.py checks that list against re on every code point. A run of a literal without
those letters (its core) is in text.lower() wherever re matches the literal, UNSAFE or not: a text
without a core is ruled out without looking for UNSAFE characters (as most texts are).
"""
from __future__ import annotations

import functools
import re

from config.fastregex import FastRegex

try:
    import re._parser as _sre_parse  # Python 3.11+
    from re import _constants as _sre
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

UNSAFE = "İıſᲀᲁᲂᲃᲄᲅᲆᲇᲈ"
_UNSAFE_RE = re.compile(f"[{UNSAFE}]")
UNSAFE_LETTERS = "isвдостъѣ"  # the letters re matches UNSAFE characters to (tests/test_literals.py)
_UNSAFE_LETTER = re.compile(f"[{UNSAFE_LETTERS}]")
MIN_WEIGHT = 3  # a literal shorter than this (ASCII letters count 1, others 3) is no test worth making

Literal = tuple[str, bool]  # (text, case-insensitive: text is lowercase and looked for in text.lower())


def _case_safe(char: str) -> bool:
    """IGNORECASE of re and str.lower agree on this letter (see the module docstring)."""
    return char.isascii() or "\u0400" <= char <= "\u04ff" or char.lower() == char.upper() == char


def _weight(literal: Literal) -> int:
    return sum(1 if ch.isascii() else 3 for ch in literal[0])


def _score(options: tuple[Literal, ...] | None) -> tuple[int, int]:
    if not options:
        return (0, 0)
    return (min(_weight(o) for o in options), -len(options))


def _literal_runs(items, ignore_case: bool):
    """Split a sequence into runs of literal characters (as Literal) and other elements."""
    run: list[str] = []
    for op, av in items:
        if op is _sre.LITERAL and (not ignore_case or _case_safe(chr(av))):
            run.append(chr(av))
            continue
        if run:
            yield "run", ("".join(run).lower() if ignore_case else "".join(run), ignore_case)
            run = []
        yield op, av
    if run:
        yield "run", ("".join(run).lower() if ignore_case else "".join(run), ignore_case)


PRODUCT_LIMIT = 64  # adjacent literal choices are joined ("is"|"are" then " to") up to this many strings


def _strings(op, av, flags: int) -> tuple[tuple[str, ...], bool] | None:
    """The exact strings an element matches when it is literal (a run, a branch of literal
    alternatives, a small class of letters), with its case-insensitivity; None otherwise."""
    ignore_case = bool(flags & re.I)
    if op == "run":
        return (av[0],), av[1]
    if op is _sre.SUBPATTERN and len(av[3]) == 1:
        _, add, remove, sub = av
        return _strings(*sub[0], (flags | add) & ~remove)
    if op is _sre.IN and 0 < len(av) <= 8 and all(o is _sre.LITERAL for o, _ in av):
        chars = [chr(a) for _, a in av]
        if ignore_case and not all(_case_safe(c) for c in chars):
            return None
        return tuple(dict.fromkeys(c.lower() if ignore_case else c for c in chars)), ignore_case
    if op is _sre.BRANCH:
        out = []
        for alternative in av[1]:
            chars = [chr(a) for o, a in alternative if o is _sre.LITERAL]
            if len(chars) != len(alternative) or not chars or (ignore_case and not all(map(_case_safe, chars))):
                return None
            out.append("".join(chars).lower() if ignore_case else "".join(chars))
        return tuple(dict.fromkeys(out)), ignore_case
    return None


def _sequence(items, flags: int) -> tuple[Literal, ...] | None:
    """The best requirement of any one element of the sequence (each must match), where adjacent
    literal elements count as one: "(?:is|are) to" requires "is to" or "are to", not just " to"."""
    best = None
    joined = None  # the strings the literal elements read so far match together, and their case flag

    def consider(options) -> None:
        nonlocal best
        if options and _score(options) > _score(best):
            best = options

    for op, av in _literal_runs(items, bool(flags & re.I)):
        strings = _strings(op, av, flags)
        if (strings is not None and joined is not None and strings[1] == joined[1]
                and len(joined[0]) * len(strings[0]) <= PRODUCT_LIMIT):
            joined = (tuple(dict.fromkeys(a + b for a in joined[0] for b in strings[0])), joined[1])
            continue
        if joined is not None:
            consider(tuple((text, joined[1]) for text in joined[0]))
        joined = strings
        if strings is None:
            consider(_element(op, av, flags))
    if joined is not None:
        consider(tuple((text, joined[1]) for text in joined[0]))
    return best


def _element(op, av, flags: int) -> tuple[Literal, ...] | None:
    if op is _sre.SUBPATTERN:
        _, add, remove, sub = av
        return _sequence(sub, (flags | add) & ~remove)
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _sequence(av, flags)
    if op is _sre.BRANCH:
        options: list[Literal] = []
        for alternative in av[1]:
            found = _sequence(alternative, flags)
            if not found:
                return None  # an alternative without a requirement: the branch has none
            options += found
        return tuple(dict.fromkeys(options))
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
        low, _, sub = av
        return _sequence(sub, flags) if low >= 1 else None
    return None  # classes, assertions, anchors: nothing required (a weaker test, never a wrong one)


def required_literals(regex) -> tuple[Literal, ...] | None:
    """Literals one of which is in every match of `regex` (a re.Pattern, or a FastRegex: its
    .regex); None when none worth testing was found."""
    pattern = getattr(regex, "regex", regex)
    tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    found = _sequence(list(tree), tree.state.flags)
    return Literals(found) if found and _score(found)[0] >= MIN_WEIGHT else None


class Literals(tuple):
    """Literal tuples, with the case-sensitive ones (.cs) and the lowercase ones (.ci) apart, each
    without the literals that hold a shorter one of its kind ("comment" answers for "commenti").

    .cores: the longest run of each lowercase literal without UNSAFE_LETTERS ("copyr" of "copyright"),
    which text.lower() holds wherever re matches the literal, UNSAFE characters or not; None when
    every literal is its own core."""

    def __new__(cls, literals):
        self = super().__new__(cls, literals)
        self.cs = _shortest(text for text, ignore_case in self if not ignore_case)
        self.ci = _shortest(text for text, ignore_case in self if ignore_case)
        cores = _shortest(max(_UNSAFE_LETTER.split(text), key=len) for text in self.ci)
        self.cores = None if cores == self.ci else cores
        return self


def _shortest(texts) -> tuple[str, ...]:
    texts = tuple(texts)
    return tuple(text for text in texts if not any(other in text and other != text for other in texts))


class Text:
    """A text with its lowercase and whether it holds UNSAFE characters, each worked out once and
    only when needed: the lowercase when a case-insensitive literal is looked for, UNSAFE only when
    the literals are not in it but their cores are (then the lowercase test is not exact)."""

    __slots__ = ("text", "_lower", "_unsafe")

    def __init__(self, text: str):
        self.text, self._lower, self._unsafe = text, None, None

    @property
    def unsafe(self) -> bool:
        if self._unsafe is None:
            self._unsafe = not self.text.isascii() and _UNSAFE_RE.search(self.text) is not None
        return self._unsafe

    def may_match(self, literals: Literals | None) -> bool:
        """False only when the regex those literals belong to has no match in the text."""
        if literals is None:
            return True
        text = self.text
        for literal in literals.cs:
            if literal in text:
                return True
        if not literals.ci:
            return False
        lower = self._lower
        if lower is None:
            lower = self._lower = text.lower()
        cores = literals.cores
        if cores is not None:  # shorter and fewer than the literals: most texts are ruled out by them alone
            for core in cores:
                if core in lower:
                    break
            else:
                return False
        for literal in literals.ci:
            if literal in lower:
                return True
        return cores is not None and self.unsafe


@functools.lru_cache(maxsize=1024)  # one sentence is asked about by many regexes in turn
def text_of(text: str) -> Text:
    return Text(text)


class GatedRegex(FastRegex):
    """A FastRegex that first asks whether the text holds one of its required literals (and, given
    `needs`, a match of that cheap regex every match contains): exactly the same matches, and no
    scan at all on the many texts where it cannot match.

    plain: re scans the text, not FastRegex (which misses İ read as i among a match's first three
    characters: tests/test_literals.py), for raw text where that matters. sub is always re's."""

    def __init__(self, pattern, flags: int = 0, tail: str = "", needs: str | None = None, plain: bool = False):
        super().__init__(pattern, flags, tail, plain)
        self.words = required_literals(self.regex)
        self.needs = re.compile(needs) if needs else None
        self._last: tuple[str, re.Match | None] | None = None  # the last text searched and its match

    def __getstate__(self):
        return self.source, self.flags, self.tail, self.needs.pattern if self.needs else None, self.plain

    def __setstate__(self, state) -> None:
        GatedRegex.__init__(self, *state)

    def may_match(self, text: str) -> bool:
        if self.needs is not None and not self.needs.search(text):
            return False
        return self.words is None or text_of(text).may_match(self.words)

    def finditer(self, text: str):
        return super().finditer(text) if self.may_match(text) else iter(())

    def sub(self, repl, text: str) -> str:
        return self.regex.sub(repl, text) if self.may_match(text) else text

    def search(self, text: str):
        """(A sentence is often asked about again by the next check: the last answer is kept. The
        text is held, so `is` cannot mistake another string for it.)"""
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        found = super().search(text) if self.may_match(text) else None
        self._last = (text, found)
        return found
