"""Full-text search over stored articles (issue 7), on SQLite FTS5 and PostgreSQL full-text search."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from scheduler.cli import cli
from storage import search as searching
from storage.articles import ArticleData, store_article
from storage.db import session_scope
from storage.models import Article, ExerciseInstance, ExerciseMention

UTC = timezone.utc

# Unrelated articles: without them every word is in every document and bm25/ts_rank have nothing to weigh.
FILLER = [
    ("Wheat harvest sets record", "Farmers in the Volga region brought in a record wheat harvest this autumn."),
    ("Central bank holds rates", "The central bank kept its key rate unchanged, citing slowing inflation."),
    ("Football cup final", "The cup final ended in a draw after extra time and penalties decided it."),
    ("New metro line opens", "A new metro line opened in the capital, cutting commutes for thousands."),
    ("Trade fair in Harbin", "Exhibitors from both countries showed machinery and food at the trade fair."),
    ("Weather warning issued", "Forecasters issued a storm warning for the coast with gusts up to 30 m/s."),
]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def data(outlet: str, slug: str, title: str, text: str, published: datetime | None = utc(2024, 7, 1),
         language: str = "en", relevant: bool = True, fetched: datetime | None = None) -> ArticleData:
    url = f"https://{outlet}.example/{slug}"
    return ArticleData(outlet=outlet, url=url, canonical_url=url, title=title, text=text,
                       content_hash=hashlib.sha256(text.encode()).hexdigest(), published_at=published,
                       language=language, relevant=relevant, relevance_score=0.9 if relevant else 0.1,
                       fetched_at=fetched or utc(2024, 7, 2))


def store(engine, *items: ArticleData) -> list[int]:
    with session_scope(engine) as session:
        return [store_article(session, item).article_id for item in items]


def store_filler(engine) -> None:
    store(engine, *(data("filler", f"f{n}", title, text, relevant=False) for n, (title, text) in enumerate(FILLER)))


def run_search(engine, query: str, limit: int = 20, **filters) -> list[dict]:
    with session_scope(engine) as session:
        return searching.search(session, query, searching.Filters(**filters), limit=limit)


def ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


JOINT_SEA = ("Russian and Chinese warships opened Joint Sea-2024 in the Sea of Japan on Monday. Joint Sea "
             "drills this year include anti-submarine warfare, and the Joint Sea series has run since 2012.")
PASSING = ("Grain exports rose sharply in the first half of the year, led by shipments to Asia. Port operators "
           "in Vladivostok expanded their terminals and hired more staff. Traders said prices were stable. "
           "Rail traffic to the border crossings doubled. One analyst noted that even the joint sea drills "
           "nearby did not slow shipping. Officials expect further growth next year as new berths open.")


@pytest.fixture
def corpus(engine):
    """Two on-topic stories (one carried by two outlets), one passing mention, unrelated filler."""
    store_filler(engine)
    [main, copy, passing, bombers] = store(
        engine,
        data("tass", "joint-sea", "Joint Sea-2024 naval exercise begins", JOINT_SEA, published=utc(2024, 7, 15)),
        data("rt", "js-2024", "Joint Sea-2024 naval exercise begins", JOINT_SEA, published=utc(2024, 7, 15)),
        data("xinhua", "grain", "Grain exports rise", PASSING, published=utc(2024, 5, 20), relevant=False),
        data("tass", "bombers", "Bombers patrol near Alaska",
             "Russian Tu-95 and Chinese H-6 bombers flew a joint air patrol near Alaska.",
             published=utc(2024, 6, 10), language="ru"))
    return {"main": main, "copy": copy, "passing": passing, "bombers": bombers}


# --- ranking, stories, snippets --------------------------------------------------------------------

def test_title_and_body_match_ranks_above_a_passing_mention(engine, corpus):
    rows = run_search(engine, '"joint sea"')
    assert ids(rows) == [corpus["main"], corpus["passing"]]
    assert [row["rank"] for row in rows] == [1, 2]
    assert rows[0]["match"] > rows[1]["match"] > 0


def test_snippet_highlights_the_matched_words(engine, corpus):
    [row] = run_search(engine, "anti-submarine")
    highlighted = " ".join(re.findall(r"«([^»]*)»", row["snippet"])).lower()
    assert "anti" in highlighted and "submarine" in highlighted and "warfare" not in highlighted
    [row] = run_search(engine, "Vladivostok")
    assert "«Vladivostok»" in row["snippet"]


def test_two_copies_of_one_story_are_one_row_with_two_copies(engine, corpus):
    rows = run_search(engine, "warships")
    assert len(rows) == 1
    assert rows[0]["copies"] == 2
    assert rows[0]["id"] in (corpus["main"], corpus["copy"])
    assert rows[0]["story_id"] is not None


def test_an_article_without_a_story_is_its_own_story(engine, corpus):
    with session_scope(engine) as session:
        for article in session.scalars(select(Article).where(Article.id.in_([corpus["main"], corpus["copy"]]))):
            article.story_id = None
    rows = run_search(engine, "warships")
    assert sorted(ids(rows)) == sorted([corpus["main"], corpus["copy"]])
    assert [row["copies"] for row in rows] == [1, 1]


def test_limit_counts_stories_not_copies(engine, corpus):
    rows = run_search(engine, '"joint sea" OR bombers', limit=2)
    assert len(rows) == 2 and len({row["story_id"] for row in rows}) == 2


def test_words_are_stemmed(engine, corpus):
    assert ids(run_search(engine, "patrols")) == [corpus["bombers"]]


def test_hyphenated_names_and_apostrophes_need_no_quoting(engine, corpus):
    assert ids(run_search(engine, "Joint Sea-2024")) == [corpus["main"]]
    assert ids(run_search(engine, "Russia's bombers")) == []  # "russia" is not in the bombers text
    assert ids(run_search(engine, "Tu-95")) == [corpus["bombers"]]


# --- filters --------------------------------------------------------------------------------------

def test_outlet_filter(engine, corpus):
    assert ids(run_search(engine, '"joint sea"', outlets=("xinhua",))) == [corpus["passing"]]
    [row] = run_search(engine, "warships", outlets=("rt",))
    assert (row["id"], row["copies"]) == (corpus["copy"], 1)


def test_since_and_until_filter_on_publication_date(engine, corpus):
    query = '"joint sea" OR bombers'
    assert ids(run_search(engine, query, since=utc(2024, 7, 1))) == [corpus["main"]]
    assert ids(run_search(engine, query, until=utc(2024, 6, 1))) == [corpus["passing"]]
    assert ids(run_search(engine, query, since=utc(2024, 6, 1), until=utc(2024, 7, 1))) == [corpus["bombers"]]


def test_dates_fall_back_to_first_fetch_when_unpublished(engine, corpus):
    [undated] = store(engine, data("tass", "undated", "Undated note on bombers", "Bombers again.",
                                   published=None, fetched=utc(2024, 8, 3)))
    assert ids(run_search(engine, "bombers", since=utc(2024, 8, 1))) == [undated]
    assert undated not in ids(run_search(engine, "bombers", until=utc(2024, 8, 1)))


def test_language_and_relevant_only_filters(engine, corpus):
    assert ids(run_search(engine, '"joint sea" OR bombers', language="ru")) == [corpus["bombers"]]
    assert corpus["passing"] not in ids(run_search(engine, '"joint sea"', relevant_only=True))


def test_language_filter_matches_regional_variants(engine, corpus):
    [gb] = store(engine, data("bbc", "gb", "Bombers over the Pacific", "Bombers flew a long route.", language="en-GB"))
    assert gb in ids(run_search(engine, "bombers", language="EN"))


def add_exercise(engine, article_ids: list[int], key: str, name: str, series: str | None = None,
                 merged_into: int | None = None) -> int:
    with session_scope(engine) as session:
        instance = ExerciseInstance(key=key, name=name, series=series, kind="exercise", merged_into_id=merged_into)
        session.add(instance)
        session.flush()
        for n, article_id in enumerate(article_ids):
            session.add(ExerciseMention(article_id=article_id, instance_id=instance.id, sentence=f"{name} {n}",
                                        sentence_hash=f"{key}-{n}", kind="exercise"))
        return instance.id


def test_exercise_filter_matches_key_or_name_loosely(engine, corpus):
    add_exercise(engine, [corpus["main"], corpus["copy"]], "joint-sea-2024", "Joint Sea-2024", "joint-sea")
    add_exercise(engine, [corpus["bombers"]], "air-patrol-2024-06", "Joint air patrol June 2024", "air-patrol")
    query = '"joint sea" OR bombers'
    for name in ("Joint Sea", "joint-sea-2024", "JOINT SEA 2024"):
        [row] = run_search(engine, query, exercise=name)
        assert (row["story_id"], row["copies"]) == (run_search(engine, "warships")[0]["story_id"], 2), name
    assert ids(run_search(engine, query, exercise="air patrol")) == [corpus["bombers"]]
    assert run_search(engine, query, exercise="Vostok") == []
    add_exercise(engine, [corpus["passing"]], "northern-interaction-2023", "Northern/Interaction-2023")
    assert ids(run_search(engine, query, exercise="Northern Interaction")) == [corpus["passing"]]
    assert ids(run_search(engine, query, exercise="50%")) == []


def test_exercise_filter_follows_merged_instances(engine, corpus):
    target = add_exercise(engine, [corpus["main"]], "joint-sea-2024", "Joint Sea-2024")
    add_exercise(engine, [corpus["bombers"]], "discovered-7", "Naval drill near Japan", merged_into=target)
    assert sorted(ids(run_search(engine, '"joint sea" OR bombers', exercise="joint sea 2024"))) == \
        sorted([corpus["main"], corpus["bombers"]])


# --- the index follows the articles table ------------------------------------------------------------

def test_index_follows_a_new_version_of_the_text(engine, corpus):
    [article_id] = store(engine, data("tass", "drill", "Drills announced", "Vostok drills will start in September."))
    assert ids(run_search(engine, "Vostok")) == [article_id]
    edited = data("tass", "drill", "Drills announced (updated)", "Zapad drills will start in September.")
    assert store(engine, edited) == [article_id]
    assert run_search(engine, "Vostok") == []
    assert ids(run_search(engine, "Zapad")) == [article_id]
    assert ids(run_search(engine, "updated")) == [article_id]
    with session_scope(engine) as session:
        session.delete(session.get(Article, article_id))
    assert run_search(engine, "Zapad") == []


def test_revisit_without_change_keeps_the_article_searchable(engine, corpus):
    store(engine, data("tass", "bombers", "Bombers patrol near Alaska",
                       "Russian Tu-95 and Chinese H-6 bombers flew a joint air patrol near Alaska.",
                       fetched=utc(2024, 9, 1)))
    assert ids(run_search(engine, "Alaska")) == [corpus["bombers"]]


# --- query syntax ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ('"joint patrol"', '"joint patrol"'),
    ("Vostok OR Zapad", "Vostok OR Zapad"),
    ("exerc*", "exerc*"),
    ("title:Vostok", "title:Vostok"),
    ("Vostok-2022", '"Vostok-2022"'),
    ("Sea-20*", '"Sea-20"*'),
    ("Russia's drills", "\"Russia's\" drills"),
    ("China - Russia", "China   Russia"),
    ("NEAR(joint patrol, 5)", "NEAR(joint patrol, 5)"),
    ("Russia, China", "Russia  China"),
    ('"unclosed', '"unclosed'),
])
def test_fts5_query_quotes_only_what_fts5_cannot_read(query, expected):
    assert searching.fts5_query(query) == expected


def sqlite_only(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("FTS5 query syntax is SQLite's; PostgreSQL takes web-search syntax")


def test_fts5_boolean_prefix_and_column_queries(engine, corpus):
    sqlite_only(engine)
    assert set(ids(run_search(engine, "bombers OR Vladivostok"))) == {corpus["bombers"], corpus["passing"]}
    assert ids(run_search(engine, "bombers AND Vladivostok")) == []
    assert ids(run_search(engine, '"joint sea" NOT Vladivostok')) == [corpus["main"]]
    assert ids(run_search(engine, "Vladiv*")) == [corpus["passing"]]
    assert ids(run_search(engine, "title:bombers")) == [corpus["bombers"]]
    assert ids(run_search(engine, "title:grain")) == [corpus["passing"]]
    assert run_search(engine, "title:Vladivostok") == []


def test_websearch_syntax_on_postgres(engine, corpus):
    if engine.dialect.name != "postgresql":
        pytest.skip("web-search syntax is PostgreSQL's")
    assert set(ids(run_search(engine, "bombers or Vladivostok"))) == {corpus["bombers"], corpus["passing"]}
    assert ids(run_search(engine, '"joint sea" -Vladivostok')) == [corpus["main"]]
    assert run_search(engine, '"unclosed') == []  # web-search syntax has no syntax errors


@pytest.mark.parametrize("query, detail", [
    ('"unclosed', "unterminated string"),
    ("AND AND", 'syntax error near "AND"'),
    ("bombers NOT", 'syntax error near ""'),
    ("(bombers", 'syntax error near ""'),
])
def test_fts5_syntax_errors_become_search_errors(engine, corpus, query, detail):
    sqlite_only(engine)
    with pytest.raises(searching.SearchError) as caught:
        run_search(engine, query)
    assert str(caught.value) == f"cannot read the search query {query!r} ({detail}): {searching.SQLITE_SYNTAX}"


# --- dates ----------------------------------------------------------------------------------------

NOW = utc(2024, 7, 20, 12, 0)


@pytest.mark.parametrize("value, end, expected", [
    ("2024-06-01", False, utc(2024, 6, 1)),
    ("2024-06-30", True, utc(2024, 7, 1)),
    ("2024-06-01T08:30:00+03:00", False, utc(2024, 6, 1, 5, 30)),
    ("2024-06-01 08:30", True, utc(2024, 6, 1, 8, 30)),
    ("7 days ago", False, NOW - timedelta(days=7)),
    ("June 2024", False, utc(2024, 6, 1)),
])
def test_parse_date(value, end, expected):
    assert searching.parse_date(value, end=end, now=NOW) == expected


@pytest.mark.parametrize("value", ["notadate", "2024-13-45", "", "???"])
def test_parse_date_rejects_what_is_not_a_date(value):
    with pytest.raises(searching.SearchError, match="is not a date; use YYYY-MM-DD"):
        searching.parse_date(value, now=NOW)


# --- the command ----------------------------------------------------------------------------------

def drillwatch(db_url: str, *args: str):
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["--db", db_url, *args], catch_exceptions=False)


def test_search_command_prints_json_rows(db_url, engine, corpus):
    result = drillwatch(db_url, "search", '"joint sea"', "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == [corpus["main"], corpus["passing"]]
    assert rows[0]["copies"] == 2 and rows[0]["outlet"] == "tass" and "«" in rows[0]["snippet"]
    assert rows[0]["published"] == "2024-07-15T00:00:00+00:00"


def test_search_command_table_shows_titles_and_copies(db_url, engine, corpus):
    result = drillwatch(db_url, "search", "warships", "--outlet", "tass", "--outlet", "rt", "--since", "2024-07-01")
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stdout.splitlines() if "Joint Sea-2024 naval exercise begins" in line]
    cells = [cell.strip() for cell in line.split("│")[1:-1]]
    assert cells[:5] == ["1", "2024-07-15 00:00", "tass", "Joint Sea-2024 naval exercise begins", "2"]
    assert "«warships»" in cells[5]


def test_search_command_says_when_nothing_matches(db_url, engine, corpus):
    result = drillwatch(db_url, "search", "Zapad", "--relevant-only")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no stored article matches 'Zapad' with these filters"


BAD_QUERIES = [
    (['"unclosed'], 2, "Error: cannot read the search query '\"unclosed' (unterminated string): "
                       + searching.SQLITE_SYNTAX),
    (["AND AND"], 2, "Error: cannot read the search query 'AND AND' (syntax error near \"AND\"): "
                     + searching.SQLITE_SYNTAX),
    (["bombers", "--since", "notadate"], 2,
     "Error: --since: 'notadate' is not a date; use YYYY-MM-DD (2024-06-01) or a phrase like '7 days ago'"),
    (["bombers", "--until", "2024-02-30"], 2,
     "Error: --until: '2024-02-30' is not a date; use YYYY-MM-DD (2024-06-01) or a phrase like '7 days ago'"),
    (["bombers", "--since", "2024-07-01", "--until", "2024-06-01"], 2,
     "Error: --since 2024-07-01 is not before --until 2024-06-01; swap them or widen the range"),
    (["bombers", "--outlet", "tasss"], 1,
     "Error: no such outlet: tasss (outlets with articles: filler, rt, tass, xinhua; "
     "`drillwatch outlets` lists the configured ones)"),
    (["bombers", "--exercise", "Vostok"], 1,
     "Error: no exercise matches 'Vostok': no exercises have been detected yet; "
     "search the text instead: drillwatch search \"Vostok\""),
    (["bombers", "--exercise", " - "], 2,
     "Error: --exercise needs a name, e.g. --exercise Vostok-2022 or --exercise 'Joint Sea'"),
    ([" "], 2, "Error: the search query is empty; give some words, e.g. drillwatch search \"joint patrol\""),
]


@pytest.mark.parametrize("args, code, message", BAD_QUERIES)
def test_bad_queries_give_one_clear_line(sqlite_url, args, code, message):
    from storage.db import init_db, make_engine
    engine = make_engine(sqlite_url)
    init_db(engine)
    store_filler(engine)
    store(engine, data("tass", "b", "Bombers", "Bombers flew."), data("rt", "b", "Bombers", "Bombers flew!"),
          data("xinhua", "b", "Bombers", "Bombers flew?"))
    engine.dispose()
    result = drillwatch(sqlite_url, "search", *args)
    assert (result.exit_code, result.stderr.strip()) == (code, message)
    assert result.stdout == ""


def test_unknown_exercise_lists_the_known_ones(db_url, engine, corpus):
    add_exercise(engine, [corpus["main"]], "joint-sea-2024", "Joint Sea-2024")
    result = drillwatch(db_url, "search", "drills", "--exercise", "Vostok-2099")
    assert (result.exit_code, result.stderr.strip()) == (
        1, "Error: no exercise matches 'Vostok-2099'; recent ones: Joint Sea-2024 "
           "(`drillwatch exercises` lists them all)")


def test_configured_outlet_without_articles_is_not_an_error(db_url, engine, corpus):
    from config.load import load_outlets
    configured = load_outlets()[0].name
    result = drillwatch(db_url, "search", "bombers", "--outlet", configured, "--json")
    assert (result.exit_code, result.stdout.strip()) == (0, "[]")


# --- end to end over the demo outlets ---------------------------------------------------------------

@pytest.mark.slow
def test_search_the_crawled_demo_outlets(sqlite_url, demo_server):
    """Crawl the bundled demo outlets over HTTP, then search them as a user would."""
    from config import DEMO_DIR
    from tests.conftest import crawl_demo, run_drillwatch

    crawl_demo(sqlite_url, demo_server)

    def titles(*args: str) -> list[str]:
        rows = json.loads(run_drillwatch("search", *args, "--json", db=sqlite_url, config=DEMO_DIR).stdout)
        return [row["title"] for row in rows]

    vostok_2022 = {"Vostok-2022 war games begin in Russia's far east with Chinese troops",
                   "Russia to hold massive Vostok 2022 war games with Chinese troops",
                   "China will send troops to Russia for joint military training"}
    assert set(titles("Vostok")) == vostok_2022 | {"From Vostok to the Moon: Russia marks Cosmonautics Day"}
    assert set(titles("Vostok", "--exercise", "Vostok-2022")) == vostok_2022

    rows = json.loads(run_drillwatch("search", "Alaska bombers", "--json", db=sqlite_url, config=DEMO_DIR).stdout)
    alaska = {"Russia, China fly joint bomber patrol near Alaska",
              "Russian And Chinese Bombers Patrol Near Alaska In Joint Military Exercise"}
    assert rows[0]["title"] in alaska and rows[0]["copies"] == 2  # the AFP wire copy in two outlets
    assert not alaska <= {row["title"] for row in rows}, "two copies of one story must be one row"


def test_a_bad_date_does_not_create_a_database(tmp_path):
    db = tmp_path / "new.db"
    result = drillwatch(f"sqlite:///{db}", "search", "bombers", "--since", "someday")
    assert result.exit_code == 2 and not db.exists()
