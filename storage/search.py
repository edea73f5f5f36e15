"""Full-text search, filters and export over stored articles.

SQLite uses the FTS5 table `articles_fts` (FTS5 query syntax, bm25 ranking, snippet()); PostgreSQL uses the
generated `articles.search_vector` column (websearch_to_tsquery, ts_rank, ts_headline). Both come from
migration 0002. Rows come back as plain dicts; export streams them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator

from sqlalchemy import (ColumnElement, Select, bindparam, func, literal_column, or_, select, text)
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import Alias

from storage.models import Article, ExerciseInstance, ExerciseMention, UTCDateTime

HIGHLIGHT = ("«", "»")
ELLIPSIS = "…"
SQLITE_SYNTAX = ('write phrases in double quotes ("joint patrol"), AND/OR/NOT in capitals between words '
                 '(bombers NOT Alaska), and word* for prefixes')


class SearchError(ValueError):
    """A query or filter the person at the keyboard must fix; the message says how."""


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None      # published_at (else first_fetched_at) >= since
    until: datetime | None = None      # ... < until
    outlets: tuple[str, ...] = ()
    exercise: str | None = None        # matches an exercise instance's key, name or series
    language: str | None = None        # "en" also matches "en-GB"
    relevant_only: bool = False


# --- dates ----------------------------------------------------------------------------------------

def parse_date(value: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """ISO dates/times or relative phrases ("7 days ago", "June 2024") -> aware UTC datetime.

    With end=True a bare date means the end of that day (the moment the next day starts), so
    `--until 2024-06-30` includes 30 June.
    """
    value = value.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        start = datetime.combine(day, time(), tzinfo=timezone.utc)
        return start + timedelta(days=1) if end else start
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = _dateparser(value, now)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _dateparser(value: str, now: datetime | None) -> datetime:
    import dateparser

    settings = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first", "TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": True}
    if now is not None:
        settings["RELATIVE_BASE"] = now.astimezone(timezone.utc).replace(tzinfo=None)
    moment = dateparser.parse(value, settings=settings) if re.search(r"\w", value) else None
    if moment is None:
        raise SearchError(f"{value!r} is not a date; use YYYY-MM-DD (2024-06-01) or a phrase like '7 days ago'")
    return moment


# --- filters --------------------------------------------------------------------------------------

def published(table=Article) -> ColumnElement:
    """When an article appeared: its published date, else when we first fetched it."""
    return func.coalesce(table.published_at, table.first_fetched_at, type_=UTCDateTime())


def filter_clauses(filters: Filters, table=Article) -> list[ColumnElement]:
    clauses = []
    if filters.since:
        clauses.append(published(table) >= filters.since)
    if filters.until:
        clauses.append(published(table) < filters.until)
    if filters.outlets:
        clauses.append(table.outlet.in_(filters.outlets))
    if filters.language:
        lang = filters.language.lower()
        clauses.append(or_(func.lower(table.language) == lang,
                           func.lower(table.language).like(f"{like_escape(lang)}-%", escape="\\")))
    if filters.relevant_only:
        clauses.append(table.relevant.is_(True))
    if filters.exercise:
        mentions = select(ExerciseMention.article_id).where(
            ExerciseMention.instance_id.in_(exercise_instance_ids(filters.exercise)))
        clauses.append(table.id.in_(mentions))
    return clauses


SQUASHED = (" ", "-", "_", ".", "/")


def _squash(column) -> ColumnElement:
    """lower-case without spaces, hyphens, underscores, dots, slashes: 'Joint Sea-2024' -> 'jointsea2024'."""
    expr = func.lower(column)
    for char in SQUASHED:
        expr = func.replace(expr, char, "")
    return expr


def squash(value: str) -> str:
    value = value.lower()
    for char in SQUASHED:
        value = value.replace(char, "")
    return value


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def exercise_instance_ids(name: str) -> Select:
    """Instances whose key, name or series contains `name` (loosely), and those merged into them."""
    pattern = "%" + like_escape(squash(name)) + "%"
    matching = select(ExerciseInstance.id).where(or_(
        *(_squash(col).like(pattern, escape="\\")
          for col in (ExerciseInstance.key, ExerciseInstance.name, ExerciseInstance.series))))
    return select(ExerciseInstance.id).where(or_(ExerciseInstance.id.in_(matching),
                                                 ExerciseInstance.merged_into_id.in_(matching)))


def matching_exercises(session: Session, name: str, limit: int = 10) -> list[str]:
    ids = exercise_instance_ids(name)
    return list(session.scalars(select(ExerciseInstance.name).where(ExerciseInstance.id.in_(ids))
                                .order_by(ExerciseInstance.name).limit(limit)))


def exercise_names(session: Session, limit: int = 10) -> list[str]:
    return list(session.scalars(select(ExerciseInstance.name).where(ExerciseInstance.merged_into_id.is_(None))
                                .order_by(ExerciseInstance.first_seen_at.desc()).limit(limit)))


def stored_outlets(session: Session) -> list[str]:
    return list(session.scalars(select(Article.outlet).distinct().order_by(Article.outlet)))


# --- query syntax ---------------------------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"]|"")*(?:"\*?)?|[(),]|\s+|[^\s(),"]+')
_BAREWORD = re.compile(r"\^?\w+\*?")
_COLUMN = re.compile(r"-?(?:title|text):")
_OPERATORS = {"AND", "OR", "NOT", "NEAR", "+"}


def fts5_query(query: str) -> str:
    """Keep FTS5 syntax, quote the words FTS5 would choke on: `Vostok-2022` -> `"Vostok-2022"`
    (the phrase vostok 2022), `Russia's` -> `"Russia's"`. Commas only count inside NEAR(...)."""
    out, near_depth, depth = [], None, 0
    for token in _TOKEN.findall(query):
        if token == "(":
            depth += 1
            near_depth = depth if out and out[-1] == "NEAR" else near_depth
        elif token == ")":
            near_depth = None if near_depth == depth else near_depth
            depth -= 1
        elif token == ",":
            token = token if near_depth else " "
        elif not (token.isspace() or token.startswith('"') or token in _OPERATORS):
            token = _bareword(token)
        out.append(token)
    return "".join(out)


def _bareword(token: str) -> str:
    column = _COLUMN.match(token)
    prefix, word = (column.group(0), token[column.end():]) if column else ("", token)
    if not word or _BAREWORD.fullmatch(word):
        return prefix + word
    if not re.search(r"\w", word):
        return " "  # lone punctuation ("China - Russia") carries no words
    star = "*" if word.endswith("*") else ""
    return prefix + '"' + word.rstrip("*") + '"' + star


def describe_query_error(query: str, exc: OperationalError) -> str | None:
    message = str(exc.orig)
    if message.startswith("fts5: ") or message == "unterminated string" or message.startswith("no such column"):
        detail = message.removeprefix("fts5: ")
        return f"cannot read the search query {query!r} ({detail}): {SQLITE_SYNTAX}"
    return None


# --- the two engines ------------------------------------------------------------------------------

class SqliteFts:
    """FTS5: bm25 (title weighs 5x), snippet() from the text column."""

    def prepare(self, query: str) -> str:
        return fts5_query(query)

    def hits(self, query: str) -> Select:
        fts = literal_column("articles_fts")
        return (select(literal_column("articles_fts.rowid").label("article_id"),
                       (-func.bm25(fts, 5.0, 1.0)).label("match"))
                .select_from(text("articles_fts")).where(fts.op("MATCH")(bindparam("fts_query", query))))

    def snippets(self, session: Session, query: str, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        fts = literal_column("articles_fts")
        rows = session.execute(
            select(literal_column("articles_fts.rowid"),
                   func.snippet(fts, 1, HIGHLIGHT[0], HIGHLIGHT[1], ELLIPSIS, 24))
            .select_from(text("articles_fts"))
            .where(fts.op("MATCH")(bindparam("fts_query", query)), literal_column("articles_fts.rowid").in_(ids)))
        return dict(rows.all())


class PostgresFts:
    """websearch_to_tsquery('english'): "phrase", OR, -word; ts_rank normalised by length; ts_headline."""

    config = literal_column("'english'::regconfig")
    vector = literal_column("articles.search_vector")

    def prepare(self, query: str) -> str:
        return query

    def tsquery(self, query: str) -> ColumnElement:
        return func.websearch_to_tsquery(self.config, bindparam("fts_query", query))

    def hits(self, query: str) -> Select:
        tsq = self.tsquery(query)
        return (select(Article.id.label("article_id"), func.ts_rank(self.vector, tsq, 1).label("match"))
                .where(self.vector.op("@@")(tsq)))

    def snippets(self, session: Session, query: str, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        options = (f"StartSel={HIGHLIGHT[0]}, StopSel={HIGHLIGHT[1]}, MaxWords=30, MinWords=12, "
                   f'MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "')
        headline = func.ts_headline(self.config, Article.text, self.tsquery(query), options)
        return dict(session.execute(select(Article.id, headline).where(Article.id.in_(ids))).all())


def fts_engine(session: Session) -> SqliteFts | PostgresFts:
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return SqliteFts()
    if name == "postgresql":
        return PostgresFts()
    raise SearchError(f"full-text search needs SQLite or PostgreSQL, not {name}")


# --- search ---------------------------------------------------------------------------------------

def check_query(query: str) -> None:
    if not query.strip():
        raise SearchError("the search query is empty; give some words, e.g. drillwatch search \"joint patrol\"")


def search(session: Session, query: str, filters: Filters = Filters(), limit: int = 20) -> list[dict]:
    """Best matches first, one row per story: its best-ranked copy, how many copies matched, a snippet."""
    check_query(query)
    engine = fts_engine(session)
    prepared = engine.prepare(query)
    try:
        rows = session.execute(_best_per_story(engine.hits(prepared), filters, limit)).all()
        snippets = engine.snippets(session, prepared, [article.id for article, *_ in rows])
    except OperationalError as exc:
        problem = describe_query_error(query, exc)
        if problem is None:
            raise
        raise SearchError(problem) from None
    return [dict(search_row(article, copies, snippets.get(article.id)), rank=n, match=float(f"{match:.4g}"))
            for n, (article, match, copies) in enumerate(rows, 1)]


class IndexedBy(Alias):
    """`articles AS searched INDEXED BY ix_articles_search` on SQLite, a plain alias elsewhere.

    Ranking looks up story, dates, outlet, language and relevance for every match; the covering index
    (migration 0002) holds exactly those, so SQLite need not read whole article rows (texts included).
    Its planner picks the table's primary key instead unless told (or unless ANALYZE has run)."""
    inherit_cache = True


@compiles(IndexedBy)
def _plain_alias(element, compiler, **kw):
    return compiler.visit_alias(element, **kw)


@compiles(IndexedBy, "sqlite")
def _indexed_alias(element, compiler, **kw):
    sql = compiler.visit_alias(element, **kw)
    return f"{sql} INDEXED BY ix_articles_search" if kw.get("asfrom") else sql


def _best_per_story(hits: Select, filters: Filters, limit: int) -> Select:
    """Rank copies within each story (one window, one sort), keep each story's best, then fetch
    the full rows of the top `limit` only."""
    hits = hits.subquery("hits")
    searched = aliased(Article, IndexedBy._construct(Article.__table__, name="searched"))
    story = func.coalesce(searched.story_id, -searched.id)
    order = (hits.c.match.desc(), searched.id)
    ranked = (select(searched.id, hits.c.match,
                     func.row_number().over(partition_by=story, order_by=order).label("position"),
                     func.count().over(partition_by=story, order_by=order, rows=(None, None)).label("copies"))
              .join(hits, hits.c.article_id == searched.id).where(*filter_clauses(filters, searched))
              .subquery("ranked"))
    top = (select(ranked.c.id, ranked.c.match, ranked.c.copies).where(ranked.c.position == 1)
           .order_by(ranked.c.match.desc(), ranked.c.id).limit(limit).subquery("top"))
    best = aliased(Article)
    return (select(best, top.c.match, top.c.copies).join(top, top.c.id == best.id)
            .order_by(top.c.match.desc(), best.id))


def search_row(article: Article, copies: int, snippet: str | None) -> dict:
    return {"id": article.id, "story_id": article.story_id, "copies": copies, "outlet": article.outlet,
            "title": article.title, "url": article.url, "published": article.published_at or article.first_fetched_at,
            "language": article.language, "relevant": article.relevant,
            "score": round(article.relevance_score or 0.0, 3), "snippet": snippet}


# --- export ---------------------------------------------------------------------------------------

EXPORT_FIELDS = ("id", "story_id", "outlet", "url", "canonical_url", "title", "author", "agency", "language",
                 "published", "first_fetched", "last_fetched", "relevant", "score", "exercises", "text")

_EXPORT_COLUMNS = (Article.id, Article.story_id, Article.outlet, Article.url, Article.canonical_url,
                   Article.title, Article.author, Article.agency, Article.language,
                   Article.published_at.label("published"), Article.first_fetched_at.label("first_fetched"),
                   Article.last_fetched_at.label("last_fetched"), Article.relevant,
                   Article.relevance_score.label("score"), Article.text)


def export_articles(session: Session, filters: Filters = Filters(), query: str | None = None,
                    batch_size: int = 500) -> Iterator[dict]:
    """Every matching article (in id order, i.e. as stored) as a dict of EXPORT_FIELDS, streamed in batches:
    a server-side cursor on PostgreSQL, SQLite's lazy cursor, so memory stays flat.

    The query runs here, so a bad full-text query raises SearchError before anything is written."""
    statement = select(*_EXPORT_COLUMNS).where(*filter_clauses(filters)).order_by(Article.id)
    if query and query.strip():
        engine = fts_engine(session)
        hits = engine.hits(engine.prepare(query)).subquery("hits")
        statement = statement.join(hits, hits.c.article_id == Article.id)
    try:
        result = session.execute(statement, execution_options={"yield_per": batch_size})
    except OperationalError as exc:
        problem = describe_query_error(query or "", exc)
        if problem is None:
            raise
        raise SearchError(problem) from None
    return _stream(session, result)


def _stream(session: Session, result) -> Iterator[dict]:
    for batch in result.partitions():
        exercises = exercises_by_article(session, [row.id for row in batch])
        for row in batch:
            yield export_row(row, exercises.get(row.id, []))


def export_row(row, exercises: list[str]) -> dict:
    values = row._asdict()
    values["score"] = round(values["score"] or 0.0, 3)
    values["exercises"] = exercises
    return {name: values[name] for name in EXPORT_FIELDS}


def exercises_by_article(session: Session, ids: Iterable[int]) -> dict[int, list[str]]:
    """Exercise names per article (a merged instance shows under the instance it was merged into)."""
    ids = list(ids)
    if not ids:
        return {}
    target = aliased(ExerciseInstance)
    name = func.coalesce(target.name, ExerciseInstance.name)
    rows = session.execute(
        select(ExerciseMention.article_id, name).distinct()
        .join(ExerciseInstance, ExerciseInstance.id == ExerciseMention.instance_id)
        .outerjoin(target, target.id == ExerciseInstance.merged_into_id)
        .where(ExerciseMention.article_id.in_(ids)).order_by(ExerciseMention.article_id, name))
    found: dict[int, list[str]] = {}
    for article_id, exercise in rows:
        found.setdefault(article_id, []).append(exercise)
    return found
