"""FastRegex: a compiled regex that only tries the positions where a match can start.

Python's re skips ahead quickly only when a pattern starts with plain literals. The lexicons of
drillwatch (gazetteer names, countries, places, cue words, date phrases) are alternations whose
branches start with \\b, lookbehinds or (?i:...), so re tries every branch at every character
(3-9 µs a character for the gazetteer's names). FastRegex works out once, from re's parse tree,
the first few characters a match can start with and whether it must start a word; a small
"trigger" regex that re scans fast finds those positions, and there FastRegex runs only the
top-level branches that can start with that character. The matches are exactly those of the
plain regex; a construct it does not understand makes it fall back to the plain scan.

Used by config.gazetteer (the name index) and crawler.text (relevance, exercises, reldates).
"""
from __future__ import annotations

import functools
import re
import sys
from typing import Iterable, Iterator

PREFIX_ATOMS = 3  # how many leading characters the trigger checks
PREFIX_LIMIT = 400  # distinct prefixes before longer ones are given up
CLASS_LIMIT = 40  # a character class larger than this ends a prefix
ANYWHERE, AFTER_NON_ALNUM, AFTER_NON_WORD = 0, 1, 2  # where a prefix may start
_LOOKBEHIND = {ANYWHERE: "", AFTER_NON_ALNUM: r"(?<![^\W_].)", AFTER_NON_WORD: r"(?<!\w.)"}
# An atom is one character, or one of these categories (kept whole: \d is 660 characters, many
# outside the BMP, which would make the trigger's character class slow).
DIGIT, SPACE = r"\d", r"\s"
_IN_CATEGORY = {DIGIT: str.isdecimal, SPACE: str.isspace}  # as re decides \d and \s for str


class _Unknown(Exception):
    """A construct not worked out here: the regex is scanned the plain way."""


@functools.cache
def _same_lower() -> dict[str, frozenset[str]]:
    """Lowercase letter -> the characters IGNORECASE takes for it ("k": k, K and the Kelvin sign)."""
    groups: dict[str, set[str]] = {}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        lower = char.lower()
        if lower != char and len(lower) == 1:
            groups.setdefault(lower, {lower}).add(char)
    try:
        from re._casefix import _EXTRA_CASES  # as re's compiler uses them ("s": ſ)
    except ImportError:
        _EXTRA_CASES = {}
    for code, extra in _EXTRA_CASES.items():
        groups.setdefault(chr(code), {chr(code)}).update(chr(e) for e in extra)
    return {lower: frozenset(chars) for lower, chars in groups.items()}


def _cased(code: int, ignore_case: bool) -> frozenset[str]:
    char = chr(code)
    if not ignore_case:
        return frozenset(char)
    lower = char.lower() if len(char.lower()) == 1 else char
    return frozenset({char, lower}) | _same_lower().get(lower, frozenset())


def _class_atoms(sre, items, ignore_case: bool) -> frozenset[str]:
    atoms: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            atoms |= _cased(av, ignore_case)
        elif op is sre.RANGE and av[1] - av[0] <= 3000:
            for code in range(av[0], av[1] + 1):
                atoms |= _cased(code, ignore_case)
        elif op is sre.CATEGORY and av in (sre.CATEGORY_DIGIT, sre.CATEGORY_UNI_DIGIT):
            atoms.add(DIGIT)
        elif op is sre.CATEGORY and av in (sre.CATEGORY_SPACE, sre.CATEGORY_UNI_SPACE):
            atoms.add(SPACE)
        else:
            raise _Unknown(op)  # negated classes, \w, big ranges
    return frozenset(atoms)


def _lookbehind_kind(sre, av) -> int:
    """(?<!\\w) and (?<![^\\W_]) before a word character: the match starts a word."""
    direction, sub = av
    if direction != -1 or len(sub) != 1 or sub[0][0] is not sre.IN:
        return ANYWHERE
    items = set(sub[0][1])
    if items <= {(sre.CATEGORY, sre.CATEGORY_UNI_WORD), (sre.CATEGORY, sre.CATEGORY_WORD)}:
        return AFTER_NON_WORD
    if items in ({(sre.NEGATE, None), (sre.CATEGORY, sre.CATEGORY_UNI_NOT_WORD), (sre.LITERAL, 95)},
                 {(sre.NEGATE, None), (sre.CATEGORY, sre.CATEGORY_NOT_WORD), (sre.LITERAL, 95)}):
        return AFTER_NON_ALNUM
    return ANYWHERE


def _zero_width_kind(sre, op, av) -> int:
    if op is sre.AT:
        return AFTER_NON_WORD if av in (sre.AT_BOUNDARY, sre.AT_UNI_BOUNDARY) else ANYWHERE
    return _lookbehind_kind(sre, av) if op is sre.ASSERT_NOT else ANYWHERE


# A prefix is (atoms, kind, open). open: the atoms are all the match so far and later elements may
# extend them; closed: the match starts with them, nothing more is known. ((), kind, True) is
# "nothing consumed yet" (an element that can match empty passes it on).

def _element(sre, op, av, flags: int, kind: int) -> list[tuple[tuple, int, bool]]:
    """Prefixes of one consuming element."""
    if op is sre.LITERAL:
        return [((c,), kind, True) for c in _cased(av, bool(flags & re.I))]
    if op is sre.IN:
        atoms = _class_atoms(sre, av, bool(flags & re.I))
        return [((a,), kind, len(atoms) <= CLASS_LIMIT) for a in atoms]
    if op is sre.BRANCH:
        return [p for alt in av[1] for p in _sequence(sre, alt, flags, kind)]
    if op is sre.SUBPATTERN:
        _, add, remove, sub = av
        return _sequence(sre, sub, (flags | add) & ~remove, kind)
    if op is getattr(sre, "ATOMIC_GROUP", None):
        return _sequence(sre, av, flags, kind)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
        low, _, sub = av
        once = [(atoms, k, False) for atoms, k, _ in _sequence(sre, sub, flags, kind)]  # repeats not followed
        return once + ([((), kind, True)] if low == 0 else [])
    raise _Unknown(op)


def _extend(prefixes, element) -> list[tuple[tuple, int, bool]]:
    out = []
    for atoms, kind, is_open in prefixes:
        if not is_open:
            out.append((atoms, kind, False))
            continue
        for more, more_kind, more_open in element:
            joined = atoms + more
            out.append((joined[:PREFIX_ATOMS], kind if atoms else more_kind,
                        more_open and len(joined) < PREFIX_ATOMS))
    return list(dict.fromkeys(out))


def _closed(prefixes) -> list[tuple[tuple, int, bool]]:
    return list(dict.fromkeys((atoms, kind, False) for atoms, kind, _ in prefixes))


def _sequence(sre, seq, flags: int, kind: int) -> list[tuple[tuple, int, bool]]:
    """Prefixes of a sequence of elements; zero-width ones (\\b, lookbehinds) set where it may start."""
    prefixes = [((), kind, True)]
    for op, av in seq:
        if not any(is_open and len(atoms) < PREFIX_ATOMS for atoms, _, is_open in prefixes):
            break
        empty = next((k for atoms, k, _ in prefixes if not atoms), None)  # kind when nothing consumed yet
        if op in (sre.AT, sre.ASSERT_NOT, sre.ASSERT):
            before = _zero_width_kind(sre, op, av)
            prefixes = [(atoms, k if atoms else max(k, before), o) for atoms, k, o in prefixes]
            continue
        try:
            grown = _extend(prefixes, _element(sre, op, av, flags, kind if empty is None else empty))
        except _Unknown:
            if empty is not None:
                raise  # nothing known about the first character
            return _closed(prefixes)
        if len(grown) > PREFIX_LIMIT:  # keep what is known: the prefixes so far, or first characters
            return _closed(prefixes) if empty is None else _closed((a[:1], k, o) for a, k, o in grown)
        prefixes = grown
    return prefixes


def _word_atom(atom: str) -> bool:
    return atom == DIGIT or (len(atom) == 1 and (atom.isalnum() or atom == "_"))


def prefixes(pattern: str, flags: int = 0) -> list[tuple[tuple[str, ...], int]] | None:
    """(atoms, kind) pairs, one of which starts every match (kind: where it may start); None when
    unknown or when the regex can match the empty string.

    Reads re's parse tree (re._parser, a private module); anything unexpected gives None, i.e. a
    plain scan, so the answer is never wrong, at worst slow."""
    try:
        from re import _constants as sre, _parser as parser
        found = _sequence(sre, parser.parse(pattern, flags & ~re.UNICODE).data, flags, ANYWHERE)
    except (_Unknown, ImportError, AttributeError, TypeError, ValueError, re.error):
        return None
    if not found or any(not atoms for atoms, _, _ in found):
        return None
    weakest: dict[tuple[str, ...], int] = {}
    for atoms, kind, _ in found:
        kind = kind if _word_atom(atoms[0]) else ANYWHERE  # \b before punctuation means the opposite
        weakest[atoms] = min(weakest.get(atoms, kind), kind)
    return sorted(weakest.items())


def _render(atom: str) -> str:
    return atom if atom in _IN_CATEGORY else re.escape(atom)


def _class(atoms: Iterable[str]) -> str:
    return "[" + "".join(_render(a) for a in sorted(atoms)) + "]"


def _lookahead(rests: set[tuple[str, ...]]) -> str:
    if () in rests:
        return ""
    return "(?=" + "|".join("".join(map(_render, rest)) for rest in sorted(rests, key=lambda r: (-len(r), r))) + ")"


def _trigger(found: list[tuple[tuple[str, ...], int]]) -> re.Pattern:
    """Matches (consuming it, so that finditer never steps over a candidate) the first character of
    every possible match, checking where it stands and the next characters by lookarounds.

    One branch per first character, each starting with that literal: re then skips to those
    characters fast and tries only their branches. A category (\\d) cannot lead a branch that way:
    then a class of all first characters leads, and groups of them are told apart by lookbehinds."""
    rests: dict[tuple[str, int], set[tuple[str, ...]]] = {}
    for atoms, kind in found:
        rests.setdefault((atoms[0], kind), set()).add(atoms[1:])
    if not any(first in _IN_CATEGORY for first, _ in rests):
        return re.compile("|".join(re.escape(first) + _LOOKBEHIND[kind] + _lookahead(after)
                                   for (first, kind), after in sorted(rests.items())))
    groups: dict[tuple[int, frozenset], list[str]] = {}
    for (first, kind), after in rests.items():
        groups.setdefault((kind, frozenset(() if () in after else after)), []).append(first)
    by_kind: dict[int, list[str]] = {}
    for (kind, after), firsts in sorted(groups.items(), key=lambda g: (g[0][0], sorted(g[0][1]), sorted(g[1]))):
        by_kind.setdefault(kind, []).append(f"(?<={_class(firsts)})" + _lookahead(set(after)))
    branches = [_LOOKBEHIND[kind] + "(?:" + "|".join(checks) + ")" for kind, checks in sorted(by_kind.items())]
    return re.compile(_class({first for first, _ in rests}) + "(?:" + "|".join(branches) + ")")


def _syntax(pattern: str, start: int = 0):
    """(index, char, depth after it) for each character of the pattern that is syntax: not escaped, not
    inside a character class. Depth counts open groups."""
    depth, i, in_class = 0, start, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if pattern[i + 1:i + 3] == "^]" else 1 if pattern[i + 1:i + 2] == "]" else 0
        else:
            depth += (char == "(") - (char == ")")
            yield i, char, depth
        i += 1


def top_level_alternatives(pattern: str) -> list[str]:
    """ "a|(b|c)|[|]" -> ["a", "(b|c)", "[|]"]."""
    parts, start = [], 0
    for i, char, depth in _syntax(pattern):
        if char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return parts + [pattern[start:]]


_ZERO_WIDTH_OPEN = ("(?<!", "(?<=", "(?!", "(?=")
_GROUP_OPEN = re.compile(r"\(\?(?:[aiLmsux]*(?:-[imsx]+)?):")  # (?: and scoped flags (?i:


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the group opened at text[start]."""
    for i, char, depth in _syntax(text, start):
        if char == ")" and depth == 0:
            return i
    raise ValueError("unbalanced parentheses")


def _split_group(text: str) -> tuple[str, str, str, str] | None:
    """(zero-width prefix, group opener, group body, rest) when text is "\\b(?<!x)(?:a|b)rest"."""
    i = 0
    while True:
        if text.startswith("\\b", i):
            i += 2
        elif text.startswith(_ZERO_WIDTH_OPEN, i):
            i = _closing(text, i) + 1
        else:
            break
    opener = _GROUP_OPEN.match(text, i)
    if not opener:
        return None
    end = _closing(text, i)
    if text[end + 1:end + 2] in ("?", "*", "+", "{"):
        return None  # a repeated group does not distribute
    return text[:i], opener.group(0), text[opener.end():end], text[end + 1:]


def expand_alternatives(text: str, limit: int = 600) -> list[str]:
    """ "\\b(?:a|b)\\b" -> ["\\b(?:a)\\b", "\\b(?:b)\\b"]: the same matches, tried in the same order
    (concatenation distributes over alternation in a backtracking engine), but each branch now
    starts with its own characters, so FastRegex tries only the few that fit."""
    split = _split_group(text)
    if split is None:
        return [text]
    prefix, opener, body, rest = split
    inner = [alt for part in top_level_alternatives(body) for alt in expand_alternatives(part, limit)]
    expanded = [f"{prefix}{opener}{alt}){rest}" for alt in inner]
    return expanded if 1 < len(inner) <= limit and _same_groups(text, expanded) else [text]


def _same_groups(text: str, branches: list[str]) -> bool:
    """False when distributing repeated a group of the shared prefix or rest (or renumbered one)."""
    try:
        before, after = re.compile(text), re.compile("|".join(branches))
    except re.error:
        return False
    return before.groups == after.groups and before.groupindex.keys() == after.groupindex.keys()


def _atoms_of(char: str) -> tuple[str, ...]:
    """The atoms a text character is: itself, and \\d or \\s when it is one."""
    return (char,) + tuple(name for name, test in _IN_CATEGORY.items() if test(char))


_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def _global_flags(pattern: str, flags: int) -> tuple[str, int]:
    """ "(?i)a|b" -> ("a|b", flags | re.I): every branch must keep the pattern's global flags."""
    found = _GLOBAL_FLAGS.match(pattern)
    if not found:
        return pattern, flags
    for letter in found.group(1):
        flags |= {"a": re.A, "i": re.I, "L": re.L, "m": re.M, "s": re.S, "u": re.U, "x": re.X}[letter]
    return pattern[found.end():], flags


def _branches(pattern: str) -> list[str]:
    """Top-level alternatives, each distributed (expand_alternatives) where that is safe."""
    try:
        return [alt for part in top_level_alternatives(pattern) for alt in expand_alternatives(part)]
    except ValueError:
        return top_level_alternatives(pattern)


class FastRegex:
    """finditer/search with exactly the matches of re.compile(pattern, flags), found faster.

    tail: a suffix shared by all alternatives, "(?:a|b)tail" (the gazetteer's optional year).
    plain: nothing is worked out, re scans (as for a construct not understood).
    A group name of a branch that cannot start at the match's first character is present and None."""

    def __init__(self, pattern: str | re.Pattern, flags: int = 0, tail: str = "", plain: bool = False):
        if isinstance(pattern, re.Pattern):
            pattern, flags = pattern.pattern, pattern.flags
        pattern, flags = _global_flags(pattern, flags)
        self.source, self.flags, self.tail, self.plain = pattern, flags, tail, plain
        self.regex = re.compile(f"(?:{pattern}){tail}" if tail else pattern, flags)
        self.pattern = self.regex.pattern
        self.alternatives = [pattern] if plain else _branches(pattern)
        found = [None] if plain else [prefixes(alt, flags) for alt in self.alternatives]
        self.prefixes = None if None in found else [p for alt in found for p in alt]
        self.trigger = None if self.prefixes is None else _trigger(self.prefixes)
        self.firsts = frozenset() if self.prefixes is None else frozenset(atoms[0] for atoms, _ in self.prefixes)
        # first atom -> the branches that can start with it (unnamed groups would be renumbered)
        self.starts: dict[str, tuple[int, ...]] = {}
        if self.trigger is not None and len(found) > 1 and self.regex.groups == len(self.regex.groupindex):
            for index, alt in enumerate(found):
                for first in dict.fromkeys(atoms[0] for atoms, _ in alt):
                    self.starts[first] = self.starts.get(first, ()) + (index,)
        self._by_char: dict[str, re.Pattern] = {}  # filled on first use
        self._by_subset: dict[tuple[int, ...], re.Pattern] = {}

    def __getstate__(self):
        return self.source, self.flags, self.tail, self.plain

    def __setstate__(self, state) -> None:
        FastRegex.__init__(self, *state)

    def __repr__(self) -> str:
        return f"FastRegex({self.pattern!r})"

    def may_start(self, atoms: frozenset[str]) -> bool:
        """Can a match start at one of these atoms (see start_atoms)? True when not worked out."""
        return self.trigger is None or not self.firsts.isdisjoint(atoms)

    def _regex_for(self, char: str) -> re.Pattern:
        regex = self._by_char.get(char)
        if regex is None:
            if not self.starts:
                regex = self.regex
            else:
                subset = tuple(sorted({i for atom in _atoms_of(char) for i in self.starts.get(atom, ())}))
                regex = self._by_subset.get(subset) or self._compile(subset) if subset else self.regex
            self._by_char[char] = regex
        return regex

    def _compile(self, subset: tuple[int, ...]) -> re.Pattern:
        body = "|".join(self.alternatives[i] for i in subset)
        regex = re.compile(f"(?:{body}){self.tail}", self.flags)
        missing = [name for name in self.regex.groupindex if name not in regex.groupindex]
        if missing:  # a branch that never matches keeps every group name of the full regex
            body += "|(?!)" + "".join(f"(?P<{name}>)" for name in missing)
            regex = re.compile(f"(?:{body}){self.tail}", self.flags)
        self._by_subset[subset] = regex
        return regex

    def finditer(self, text: str) -> Iterator[re.Match]:
        if self.trigger is None:
            yield from self.regex.finditer(text)
            return
        end, by_char = -1, self._by_char
        for start in self.trigger.finditer(text):
            position = start.start()
            if position < end:
                continue
            char = text[position]
            found = (by_char.get(char) or self._regex_for(char)).match(text, position)
            if found:
                end = found.end()  # never empty: a regex that can match empty has no trigger
                yield found

    def search(self, text: str) -> re.Match | None:
        if self.trigger is None:
            return self.regex.search(text)
        by_char = self._by_char
        for start in self.trigger.finditer(text):
            position = start.start()
            char = text[position]
            found = (by_char.get(char) or self._regex_for(char)).match(text, position)
            if found:
                return found
        return None

    def match(self, text: str, pos: int = 0) -> re.Match | None:
        return self.regex.match(text, pos)


def first_characters_trigger(regexes: Iterable[FastRegex]) -> re.Pattern | None:
    """One trigger for several regexes (None when one is not worked out), for start_atoms. It checks
    first characters and word starts only: the lookaheads of many regexes would cost more than
    running the few regexes they rule out."""
    found = [regex.prefixes for regex in regexes]
    return None if None in found else _trigger(list({(atoms[:1], kind) for p in found for atoms, kind in p}))


def start_atoms(trigger: re.Pattern, text: str) -> frozenset[str]:
    """Atoms where one of the trigger's regexes can start in text: a regex none of whose first atoms
    is among them (FastRegex.may_start) has no match there and need not run."""
    return frozenset(atom for char in set(trigger.findall(text)) for atom in _atoms_of(char))
