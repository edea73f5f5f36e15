"""The exercise gazetteer: schema (frozen dataclasses), validating loader and a compiled name index.

`load_gazetteer()` reads config/exercises.yaml (or a given file), checks every entry and returns a
`Gazetteer` whose `index` (all alias regexes compiled once) finds exercise names in text. Errors are
`GazetteerError`s naming the file, the entry id and the field, because the reader is editing it.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable

import yaml

from config.fastregex import FastRegex

DEFAULT_PATH = Path(__file__).resolve().parent / "exercises.yaml"
KINDS = ("exercise", "air_patrol", "naval_patrol", "coast_guard_patrol")
PATROL_KINDS = KINDS[1:]
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ISO2_RE = re.compile(r"^[A-Z]{2}$")
SERIES_KEYS = {"id", "name", "kind", "ambiguous", "participants", "aliases", "generic_aliases", "instances",
               "note"}
INSTANCE_KEYS = {"id", "ref", "name", "year", "part", "ordinal", "start", "end", "places", "host",
                 "participants", "aliases", "note"}
LOOK_ALIKE_KEYS = {"id", "name", "participants", "years", "aliases", "why"}


class GazetteerError(ValueError):
    """A gazetteer file problem: `file: entry.field: message` plus a hint."""

    def __init__(self, file: Path | str, entry: str, field_name: str, message: str, hint: str = ""):
        self.file, self.entry, self.field, self.message, self.hint = str(file), entry, field_name, message, hint
        where = ".".join(part for part in (entry, field_name) if part)
        text = f"{file}: {where}: {message}" if where else f"{file}: {message}"
        super().__init__(text + (f" (hint: {hint})" if hint else ""))


@dataclass(frozen=True)
class Alias:
    text: str
    lang: str
    generic: bool = False  # a common word: counts only with a year and an exercise word


@dataclass(frozen=True)
class Series:
    id: str
    name: str
    kind: str
    ambiguous: bool
    participants: tuple[str, ...]
    aliases: tuple[Alias, ...]
    note: str = ""

    @property
    def is_patrol(self) -> bool:
        return self.kind in PATROL_KINDS


@dataclass(frozen=True)
class Instance:
    id: str
    name: str
    series: str
    year: int
    part: int | None
    ordinal: int | None
    start: date | None
    end: date | None
    places: tuple[str, ...]
    host: str | None
    participants: tuple[str, ...]
    aliases: tuple[Alias, ...]
    ref: str | None = None
    note: str = ""

    def window(self, slack_days: int = 0) -> tuple[date, date] | None:
        """Dates the instance covers (a missing end counts as a month after the start)."""
        if self.start is None:
            return None
        end = self.end or self.start + timedelta(days=30)
        return self.start - timedelta(days=slack_days), end + timedelta(days=slack_days)


@dataclass(frozen=True)
class LookAlike:
    id: str
    name: str
    participants: tuple[str, ...]
    years: tuple[int, ...]  # empty: every edition
    aliases: tuple[Alias, ...]
    why: str = ""


@dataclass(frozen=True)
class NameHit:
    """A gazetteer name found in text."""
    kind: str  # "instance" | "series" | "look_alike"
    ref: str  # instance, series or look-alike id
    start: int
    end: int
    text: str
    year: int | None  # year written with the name ("Vostok-2022")
    part: int | None  # "Joint Sea-2015 (II)"
    generic: bool  # matched through a generic alias


# --- alias -> regex ---------------------------------------------------------------------------

SEP = r"[\s\-‐‑‒–—―−/·•・.．_()（）\"'“”«»─]*"
YEAR_TAIL = (r"(?:[\s\-‐‑‒–—―−/·•.'’]{0,3}(?P<year>(?:19|20)\d\d)(?!\d)"
             r"|[-‐‑‒–—―−'’]\s?(?P<yy>\d\d)(?![\d.,]))")
PART_TAIL = re.compile(r"\s*(?:\(\s*(I{1,3})\s*\)|-(I{1,3})(?![A-Za-z]))")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_CYRILLIC_END = re.compile(r"[аяоеиыйьюуёэ]+$")


def _latin_token(token: str, first: bool) -> str:
    """First letter keeps its case when capitalised (names are capitalised), the rest is free."""
    if first and token[0].isupper():
        return re.escape(token[0]) + (f"(?i:{re.escape(token[1:])})" if len(token) > 1 else "")
    return f"(?i:{re.escape(token)})"


def _cyrillic_token(token: str, first: bool) -> str:
    """Russian declines names ("Морского взаимодействия", "Востока"): stem plus a short ending.

    Vowel-final words lose their ending and take up to 3 letters; consonant-final ones take up to 2
    (so "Запад" matches "Запада" but not the adjective "Западный")."""
    if len(token) <= 3:
        return f"(?i:{re.escape(token)})"
    stem = _CYRILLIC_END.sub("", token) or token
    head = re.escape(stem[0]) if first and stem[0].isupper() else f"(?i:{re.escape(stem[0])})"
    return head + f"(?i:{re.escape(stem[1:])})" + ("[а-яё]{0,3}" if stem != token else "[а-яё]{0,2}")


def _token_pattern(token: str, first: bool) -> str:
    if _CJK.search(token) or token.isdigit():
        return re.escape(token)
    if re.search(r"[а-яёА-ЯЁ]", token):
        return _cyrillic_token(token, first)
    return _latin_token(token, first)


def alias_pattern(alias: str) -> str:
    """Regex for an alias: any run of separators/quotes/brackets may vary or vanish."""
    tokens = _TOKEN.findall(alias)
    body = SEP.join(_token_pattern(t, i == 0) for i, t in enumerate(tokens))
    left = "" if _CJK.match(tokens[0]) else r"(?<![^\W_])"
    # A letter may not follow; a digit may ("Vostok2022" gets its year from the tail).
    right = "" if _CJK.search(tokens[-1][-1]) else r"(?!\d)" if tokens[-1].isdigit() else r"(?![^\W\d_])"
    return left + body + right


def _group_regex(entries: list[tuple[Any, str]], with_year: str) -> tuple[FastRegex, list] | None:
    """One alternation, a named group per entry; longest aliases first (alternation is first-match)."""
    if not entries:
        return None
    ordered = sorted(entries, key=lambda e: -len(e[1]))
    parts = [f"(?P<g{i}>{alias_pattern(text)})" for i, (_, text) in enumerate(ordered)]
    return FastRegex("|".join(parts), tail=with_year), [key for key, _ in ordered]


@dataclass(frozen=True)
class NameIndex:
    """All gazetteer aliases compiled once; `find(text)` returns non-overlapping NameHits."""
    instance_re: Any
    series_re: Any
    look_alike_re: Any
    instance_keys: tuple
    series_keys: tuple
    look_alike_keys: tuple
    look_alike_years: dict  # look-alike id -> the only editions it covers (empty: all)
    # text -> hits: relevance and detection both read every sentence of an article (bounded)
    _found: dict = field(default_factory=dict, compare=False, repr=False)

    def find(self, text: str) -> list[NameHit]:
        return list(self.hits(text))

    def hits(self, text: str) -> tuple[NameHit, ...]:
        """find's hits, the cached tuple itself (no copy for the callers that only read it)."""
        hits = self._found.get(text)
        if hits is None:
            if len(self._found) >= 2048:
                self._found.clear()
            hits = self._found[text] = tuple(self._find(text))
        return hits

    def _find(self, text: str) -> list[NameHit]:
        look_alikes = [hit for hit in self._scan(text, self.look_alike_re, self.look_alike_keys, "look_alike", True)
                       if self._look_alike_applies(hit)]
        hits = (self._scan(text, self.instance_re, self.instance_keys, "instance", False) + look_alikes
                + self._scan(text, self.series_re, self.series_keys, "series", True))
        return _non_overlapping(hits) if len(hits) > 1 else hits  # most sentences: no name, nothing to sort

    def _look_alike_applies(self, hit: NameHit) -> bool:
        """ "Zapad-2021" is a look-alike, "Zapad-2025" is left to the ambiguous-series rule."""
        years = self.look_alike_years.get(hit.ref)
        return not years or hit.year in years

    @staticmethod
    def _scan(text: str, regex, keys, kind: str, optional_year: bool) -> list[NameHit]:
        if regex is None:
            return []
        hits = []
        for m in regex.finditer(text):
            group = next(name for name, value in m.groupdict().items() if value and name.startswith("g"))
            ref, generic = keys[int(group[1:])]
            year = _match_year(m) if optional_year else None
            part_m = PART_TAIL.match(text, m.end()) if (year or kind == "instance") else None
            end = part_m.end() if part_m else m.end()
            part = len(part_m.group(1) or part_m.group(2)) if part_m else None
            hits.append(NameHit(kind, ref, m.start(), end, text[m.start():end], year, part, generic))
        return hits


def _match_year(m: re.Match) -> int | None:
    if m.group("year"):
        return int(m.group("year"))
    if m.group("yy"):
        return 2000 + int(m.group("yy"))
    return None


_PRIORITY = {"instance": 3, "look_alike": 2, "series": 1}


def _non_overlapping(hits: list[NameHit]) -> list[NameHit]:
    """Longest span first; on equal spans instance > look-alike > series (look-alikes shadow series)."""
    chosen: list[NameHit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), -_PRIORITY[h.kind], h.start)):
        if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)


def _bare_name(alias: str) -> str:
    """ "Great Ocean-24" -> "greatocean": letters only, a trailing year dropped."""
    return re.sub(r"[\W\d_]+", "", re.sub(r"[\s\-–—']*(?:19|20)?\d\d\s*$", "", alias)).casefold()


def build_index(series: Iterable[Series], instances: Iterable[Instance],
                look_alikes: Iterable[LookAlike]) -> NameIndex:
    optional_year = f"(?:{YEAR_TAIL})?"
    generic_words = {(s.id, _bare_name(a.text)) for s in series for a in s.aliases if a.generic}
    names = [(i, a.text) for i in instances for a in i.aliases]
    names += [(i, i.name) for i in instances if re.search(r"(?:19|20)\d\d", i.name) and "(" not in i.name]
    # "East 2022", "Ocean-2024": an edition named by a generic word stays generic.
    inst = [((i.id, (i.series, _bare_name(text)) in generic_words), text) for i, text in names]
    ser = [((s.id, a.generic), a.text) for s in series for a in s.aliases]
    look = [((l.id, False), a.text) for l in look_alikes for a in l.aliases]
    inst_re, inst_keys = _group_regex(inst, "") or (None, ())
    ser_re, ser_keys = _group_regex(ser, optional_year) or (None, ())
    look_re, look_keys = _group_regex(look, optional_year) or (None, ())
    years = {l.id: l.years for l in look_alikes}
    return NameIndex(inst_re, ser_re, look_re, tuple(inst_keys), tuple(ser_keys), tuple(look_keys), years)


# --- the gazetteer ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Gazetteer:
    series: tuple[Series, ...]
    instances: tuple[Instance, ...]
    look_alikes: tuple[LookAlike, ...]
    source: str = ""
    _instances: dict = field(init=False, repr=False, compare=False)
    _series: dict = field(init=False, repr=False, compare=False)
    _look_alikes: dict = field(init=False, repr=False, compare=False)
    _by_series: dict = field(init=False, repr=False, compare=False)  # series id -> its instances, in order
    _by_kind: dict = field(init=False, repr=False, compare=False)  # series kind -> instances, in order

    def __post_init__(self) -> None:
        object.__setattr__(self, "_instances", {i.id: i for i in self.instances})
        object.__setattr__(self, "_series", {s.id: s for s in self.series})
        object.__setattr__(self, "_look_alikes", {l.id: l for l in self.look_alikes})
        by_series: dict[str, list[Instance]] = {}
        by_kind: dict[str, list[Instance]] = {}
        for i in self.instances:
            by_series.setdefault(i.series, []).append(i)
            series = self._series.get(i.series)
            if series is not None:
                by_kind.setdefault(series.kind, []).append(i)
        object.__setattr__(self, "_by_series", {key: tuple(value) for key, value in by_series.items()})
        object.__setattr__(self, "_by_kind", {key: tuple(value) for key, value in by_kind.items()})

    @cached_property
    def index(self) -> NameIndex:
        """Compiled on first use: the crawl process reads only instance facts (alerts, merges) and would
        pay a third of a CPU second per crawl for regexes it never runs."""
        return build_index(self.series, self.instances, self.look_alikes)

    def instance(self, instance_id: str) -> Instance:
        return self._instances[instance_id]

    def get_instance(self, instance_id: str) -> Instance | None:
        return self._instances.get(instance_id)

    def series_of(self, series_id: str) -> Series:
        return self._series[series_id]

    def get_series(self, series_id: str) -> Series | None:
        return self._series.get(series_id)

    def look_alike(self, look_alike_id: str) -> LookAlike:
        return self._look_alikes[look_alike_id]

    def instances_of(self, series_id: str) -> tuple[Instance, ...]:
        return self._by_series.get(series_id, ())

    def instances_of_kind(self, kind: str) -> tuple[Instance, ...]:
        """The instances of the series of that kind ("exercise", "air_patrol", ...), in file order."""
        return self._by_kind.get(kind, ())

    def series_of_kind(self, kind: str) -> Series | None:
        return next((s for s in self.series if s.kind == kind), None)

    def find_names(self, text: str) -> list[NameHit]:
        return self.index.find(text)

    def name_hits(self, text: str) -> tuple[NameHit, ...]:
        """find_names as a tuple, shared: relevance and detection read every sentence's names."""
        return self.index.hits(text)


def instance_key(series_id: str, year: int, part: int | None = None) -> str:
    """Key of a named edition: joint-sea-2024, joint-sea-2015-ii."""
    return f"{series_id}-{year}" + (f"-{'i' * part}" if part else "")


def patrol_key(series_id: str, day: date) -> str:
    """Key of a patrol (or unnamed drill): series plus start year-month."""
    return f"{series_id}-{day.year:04d}-{day.month:02d}"


# --- loading and validation -------------------------------------------------------------------

@dataclass(frozen=True)
class _Where:
    file: Path | str
    entry: str

    def error(self, field_name: str, message: str, hint: str = "") -> GazetteerError:
        return GazetteerError(self.file, self.entry, field_name, message, hint)


def _check_keys(raw: dict, allowed: set[str], where: _Where) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise where.error(unknown[0], "unknown field", f"allowed: {', '.join(sorted(allowed))}")


def _text(raw: dict, key: str, where: _Where, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise where.error(key, "must be a non-empty string" if required else "must be a string")
    return value.strip()


def _entry_id(raw: Any, where: _Where) -> str:
    if not isinstance(raw, dict):
        raise where.error("", "must be a mapping")
    value = raw.get("id")
    if not isinstance(value, str) or not ID_RE.match(value):
        raise where.error("id", f"must be a lowercase slug like 'joint-sea-2024', got {value!r}")
    return value


def _countries(raw: dict, key: str, where: _Where) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and ISO2_RE.match(v) for v in value):
        raise where.error(key, f"must be a list of ISO 3166 alpha-2 codes (e.g. [CN, RU]), got {value!r}",
                          "quote NO/ON/YES-like codes: YAML reads NO as false")
    return tuple(value)


def _aliases(raw: dict, key: str, where: _Where, generic: bool = False) -> tuple[Alias, ...]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise where.error(key, "must map a language code to a list of names, e.g. {en: [Joint Sea]}")
    out = []
    for lang, names in value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise where.error(f"{key}.{lang}", "must be a list of non-empty strings")
        out += [Alias(n.strip(), str(lang), generic) for n in names]
    return tuple(out)


def _optional_int(raw: dict, key: str, where: _Where, low: int, high: int) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise where.error(key, f"must be an integer from {low} to {high}, got {value!r}")
    return value


def _date(raw: dict, key: str, where: _Where) -> date | None:
    """YYYY-MM-DD, or YYYY-MM for a month known only (start: first day, end: last day)."""
    value = raw.get(key)
    if value is None or isinstance(value, date):
        return value
    m = re.fullmatch(r"((?:19|20)\d\d)-(\d\d)", str(value))
    if m and 1 <= int(m.group(2)) <= 12:
        year, month = int(m.group(1)), int(m.group(2))
        return date(year, month, 1 if key == "start" else calendar.monthrange(year, month)[1])
    raise where.error(key, f"must be a date YYYY-MM-DD or a month YYYY-MM, got {value!r}")


def _places(raw: dict, where: _Where) -> tuple[str, ...]:
    value = raw.get("places") or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise where.error("places", "must be a list of place names")
    return tuple(v.strip() for v in value)


def _parse_instance(raw: Any, index: int, series_id: str, where: _Where) -> Instance:
    entry_id = _entry_id(raw, _Where(where.file, f"{where.entry}.instances[{index}]"))
    where = _Where(where.file, f"{where.entry}.instances[{entry_id}]")
    _check_keys(raw, INSTANCE_KEYS, where)
    start, end = _date(raw, "start", where), _date(raw, "end", where)
    if start and end and end < start:
        raise where.error("end", f"{end} is before start {start}")
    year = _optional_int(raw, "year", where, 1950, 2100)
    if year is None:
        raise where.error("year", "is required")
    host = raw.get("host")
    if host is not None and not (isinstance(host, str) and ISO2_RE.match(host)):
        raise where.error("host", f"must be an ISO 3166 alpha-2 code, got {host!r}")
    return Instance(raw["id"], _text(raw, "name", where), series_id, year,
                    _optional_int(raw, "part", where, 1, 3), _optional_int(raw, "ordinal", where, 1, 999),
                    start, end, _places(raw, where), host, _countries(raw, "participants", where),
                    _aliases(raw, "aliases", where), raw.get("ref"), _text(raw, "note", where, False))


def _parse_series(raw: Any, index: int, where: _Where) -> tuple[Series, list[Instance]]:
    where = _Where(where.file, f"series[{_entry_id(raw, _Where(where.file, f'series[{index}]'))}]")
    _check_keys(raw, SERIES_KEYS, where)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise where.error("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(raw.get("ambiguous", False), bool):
        raise where.error("ambiguous", "must be true or false")
    aliases = _aliases(raw, "aliases", where) + _aliases(raw, "generic_aliases", where, generic=True)
    series = Series(raw["id"], _text(raw, "name", where), kind, raw.get("ambiguous", False),
                    _countries(raw, "participants", where), aliases, _text(raw, "note", where, False))
    raw_instances = raw.get("instances") or []
    if not isinstance(raw_instances, list):
        raise where.error("instances", "must be a list")
    return series, [_parse_instance(item, i, series.id, where) for i, item in enumerate(raw_instances)]


def _parse_look_alike(raw: Any, index: int, where: _Where) -> LookAlike:
    where = _Where(where.file, f"look_alikes[{_entry_id(raw, _Where(where.file, f'look_alikes[{index}]'))}]")
    _check_keys(raw, LOOK_ALIKE_KEYS, where)
    years = raw.get("years") or []
    if not isinstance(years, list) or not all(isinstance(y, int) and not isinstance(y, bool) for y in years):
        raise where.error("years", "must be a list of years")
    return LookAlike(raw["id"], _text(raw, "name", where), _countries(raw, "participants", where),
                     tuple(years), _aliases(raw, "aliases", where), _text(raw, "why", where, False))


def _unique(ids: list[str], what: str, file: Path | str) -> None:
    seen: set[str] = set()
    for entry_id in ids:
        if entry_id in seen:
            raise GazetteerError(file, f"{what}[{entry_id}]", "id", "duplicate id", "ids must be unique")
        seen.add(entry_id)


def parse_gazetteer(data: Any, file: Path | str = "<string>") -> Gazetteer:
    """Validate an already-parsed YAML document."""
    top = _Where(file, "")
    if not isinstance(data, dict):
        raise top.error("", "top level must be a mapping with 'series' (and optionally 'look_alikes')")
    _check_keys(data, {"version", "series", "look_alikes"}, top)
    if not isinstance(data.get("series"), list):
        raise top.error("series", "must be a list")
    parsed = [_parse_series(raw, i, top) for i, raw in enumerate(data["series"])]
    look_alikes = [_parse_look_alike(raw, i, top) for i, raw in enumerate(data.get("look_alikes") or [])]
    series = [s for s, _ in parsed]
    instances = [i for _, items in parsed for i in items]
    _unique([s.id for s in series], "series", file)
    _unique([i.id for i in instances], "instances", file)
    _unique([l.id for l in look_alikes], "look_alikes", file)
    return Gazetteer(tuple(series), tuple(instances), tuple(look_alikes), str(file))


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """Load and validate a gazetteer file (default: the shipped config/exercises.yaml)."""
    path = Path(path) if path else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GazetteerError(path, "", "", f"cannot read: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else ""
        raise GazetteerError(path, line, "", f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    return parse_gazetteer(data, path)
