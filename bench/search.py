"""Search latency on 100,000 synthetic articles: median and p95 per query kind (target: p95 < 50 ms on SQLite).

    python bench/search.py                 # SQLite; the database is built once under bench/out/
    python bench/search.py --pg URL        # also PostgreSQL (loads the articles into URL's schema once), e.g.
        psql -h 127.0.0.1 -U postgres test -c "create schema bench_search"
        python bench/search.py --pg "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_search"
    python bench/search.py --articles 20000 --runs 20

Figures are for storage.search.search() (the library behind `drillwatch search`), plus one full export.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from storage import search as searching  # noqa: E402
from storage.db import init_db, make_engine, session_scope  # noqa: E402
from storage.models import Article, ExerciseInstance, ExerciseMention, Story  # noqa: E402

OUT = ROOT / "bench" / "out"
START = datetime(2022, 1, 1, tzinfo=timezone.utc)

OUTLETS = {"tass": "en", "ria": "ru", "rt": "en", "xinhua": "en", "globaltimes": "en", "cgtn": "en",
           "scmp": "en", "reuters": "en", "kyodo": "en", "nikkei": "en", "interfax": "ru", "bbc": "en"}
EXERCISES = [("joint-sea-2022", "Joint Sea-2022"), ("joint-sea-2023", "Joint Sea-2023"),
             ("joint-sea-2024", "Joint Sea-2024"), ("vostok-2022", "Vostok-2022"), ("zapad-2021", "Zapad-2021"),
             ("northern-interaction-2023", "Northern/Interaction-2023"), ("ocean-2024", "Ocean-2024"),
             ("maritime-security-belt-2024", "Maritime Security Belt-2024"), ("tsentr-2019", "Tsentr-2019"),
             ("peace-mission-2021", "Peace Mission-2021"), ("air-patrol-2024-07", "joint air patrol"),
             ("naval-patrol-2023-08", "joint naval patrol")]
ACTORS = ["Russian", "Chinese", "Belarusian", "Iranian", "Mongolian", "Japanese", "American", "South Korean"]
FORCES = ["Tu-95MS bombers", "H-6K bombers", "Tu-22M3 bombers", "destroyers", "frigates", "corvettes",
          "submarines", "Su-35 fighters", "J-16 fighters", "airborne troops", "marines", "tank crews",
          "air defence units", "patrol ships", "A-50 radar planes", "KJ-500 radar planes", "supply ships",
          "helicopters", "coast guard cutters", "motorised rifle units"]
PLACES = ["the Sea of Japan", "the East China Sea", "the Bering Sea", "Alaska", "the western Pacific",
          "the Baltic", "Vladivostok", "Zhanjiang", "the Tsushima Strait", "Kamchatka", "the Arctic",
          "Inner Mongolia", "the Yellow Sea", "Qingdao", "Sakhalin", "the Kuril Islands", "Okinawa", "Guam",
          "the Gulf of Oman", "the Strait of Hormuz", "the South China Sea", "Shanghai", "Khabarovsk",
          "the Sea of Okhotsk", "Aleutian Islands", "Hokkaido", "Taiwan Strait", "Miyako Strait", "Primorye",
          "Buryatia", "Chukotka", "the Barents Sea", "Murmansk", "Kaliningrad", "Brest", "Minsk",
          "Ningbo", "Dalian", "Hainan", "Fujian"]
ACTIVITIES = ["joint drills", "a joint patrol", "live-fire exercises", "anti-submarine drills",
              "air defence training", "command-post exercises", "a joint naval exercise", "escort drills",
              "search and rescue drills", "a joint air patrol", "landing exercises", "mine-clearing drills"]
VERBS = ["held", "began", "completed", "announced", "conducted", "rehearsed", "planned", "concluded"]
STATEMENTS = ["Officials said the cooperation was not aimed at any third country.",
              "Analysts in Tokyo and Washington watched the manoeuvres closely.",
              "The defence ministry published video of the ships leaving port.",
              "Observers from several countries attended the closing ceremony.",
              "The statement did not give the number of personnel involved.",
              "A spokesman declined to comment on the route of the flight.",
              "Fighter jets were scrambled to monitor the aircraft, the ministry said.",
              "State television showed sailors at a flag-raising ceremony on deck."]
TOPICS = {
    "economy": "trade exports imports growth inflation rate bank currency rouble yuan oil gas pipeline "
               "investment tariff market shares prices budget deficit yield bond energy deliveries contract",
    "politics": "president minister parliament election summit visit talks treaty sanctions embassy vote "
                "party leader reform decree statement delegation negotiations cabinet governor",
    "sport": "football match league cup final goal team coach season player stadium tournament medal "
             "championship hockey tennis score victory defeat transfer",
    "weather": "storm rain snow forecast temperature wind flood drought heatwave frost typhoon warning "
               "cyclone coast gusts precipitation",
    "technology": "satellite launch rocket software chip semiconductor network internet startup robot "
                  "smartphone data cloud research laboratory engineers",
    "culture": "film festival museum exhibition concert theatre novel artist director premiere audience "
               "gallery orchestra heritage",
}
RUSSIAN = ["Российские и китайские корабли провели совместные учения в Японском море.",
           "Бомбардировщики Ту-95МС выполнили совместное воздушное патрулирование.",
           "Министерство обороны сообщило о начале учений «Восток».",
           "Экипажи отработали противолодочную оборону и совместное маневрирование."]
COMMON = ("the of and to in a on for with that said was is by at from as it be has have were would will "
          "year new also after more two its their over about last which first been than some week city "
          "government people region country officials local since while during according report news "
          "three time month major public state national percent million").split()


def zipf_words(rng: random.Random, words: list[str], count: int) -> list[str]:
    weights = [1 / (rank + 1) for rank in range(len(words))]
    return rng.choices(words, weights=weights, k=count)


def general_sentence(rng: random.Random, topic_words: list[str]) -> str:
    words = zipf_words(rng, COMMON, rng.randint(6, 14)) + rng.sample(topic_words, rng.randint(2, 4))
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def military_sentence(rng: random.Random, picks: dict) -> str:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(STATEMENTS)
    if roll < 0.45 and picks["exercise"]:
        return f"The {picks['exercise']} exercise involved {rng.choice(picks['forces'])} off {rng.choice(picks['places'])}."
    actors = " and ".join(picks["actors"])
    return (f"{actors} {rng.choice(picks['forces'])} {rng.choice(VERBS)} {picks['activity']} "
            f"near {rng.choice(picks['places'])}.")


def make_article(rng: random.Random, n: int) -> tuple[dict, str | None]:
    """One article: 35% on China-Russia military cooperation (a few places, forces, maybe an exercise),
    the rest general news from six topics; words follow a Zipf-like spread, as in real text."""
    outlet = rng.choice(list(OUTLETS))
    language = OUTLETS[outlet]
    on_topic = rng.random() < 0.35
    key = exercise = None
    if on_topic:
        key, exercise = rng.choice(EXERCISES) if rng.random() < 0.4 else (None, None)
        picks = {"actors": rng.sample(ACTORS[:3], 2), "forces": rng.sample(FORCES, rng.randint(1, 2)),
                 "places": rng.sample(PLACES, rng.randint(1, 2)), "activity": rng.choice(ACTIVITIES),
                 "exercise": exercise}
        sentences = [military_sentence(rng, picks) for _ in range(rng.randint(6, 20))]
        title = (f"{exercise}: {picks['activity']} near {picks['places'][0]}" if exercise else
                 f"{picks['actors'][0]} and {picks['actors'][1]} {picks['forces'][0]} {rng.choice(VERBS)} "
                 f"{picks['activity']}")
    else:
        topic_words = TOPICS[rng.choice(list(TOPICS))].split()
        sentences = [general_sentence(rng, topic_words) for _ in range(rng.randint(6, 20))]
        title = " ".join(rng.sample(topic_words, 3) + zipf_words(rng, COMMON, 3)).capitalize()
    if language == "ru":
        sentences += rng.sample(RUSSIAN, 2) if on_topic else []
    text = " ".join(sentences)
    published = START + timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
    url = f"https://{outlet}.example/news/{n}"
    return dict(outlet=outlet, url=url, canonical_url=url, title=title, text=text, language=language,
                content_hash=hashlib.sha256(text.encode()).hexdigest(), published_at=published,
                first_fetched_at=published + timedelta(minutes=30), last_fetched_at=published + timedelta(minutes=30),
                version_count=1, relevant=on_topic, relevance_score=0.8 if on_topic else 0.05), key


def build(engine, count: int, seed: int = 7) -> None:
    """Bulk inserts: articles (the FTS triggers index them), one story per ~1.2 articles, exercise mentions."""
    rng = random.Random(seed)
    with session_scope(engine) as session:
        session.execute(insert(ExerciseInstance), [dict(key=k, name=name, kind="exercise", known=True)
                                                   for k, name in EXERCISES])
        instance_ids = dict(session.execute(select(ExerciseInstance.key, ExerciseInstance.id)).all())
    next_id, story_id, last_key = 1, 0, None
    for start in range(0, count, 5000):
        batch, stories, mentions = [], [], []
        for n in range(start, min(start + 5000, count)):
            article, key = make_article(rng, n)
            if batch and rng.random() < 0.2:  # a copy of the previous article: same story, another outlet
                copy = dict(batch[-1], outlet=rng.choice(list(OUTLETS)), url=article["url"],
                            canonical_url=article["canonical_url"])
                article, key = copy, last_key
            else:
                story_id += 1
                stories.append(dict(id=story_id, title=article["title"], first_seen_at=article["first_fetched_at"],
                                    copies=1))
            article.update(id=next_id, story_id=story_id)
            batch.append(article)
            last_key = key
            if key:
                mentions.append(dict(article_id=next_id, instance_id=instance_ids[key], sentence=article["title"],
                                     sentence_hash=hashlib.sha1(article["title"].encode()).hexdigest(), kind="exercise"))
            next_id += 1
        with session_scope(engine) as session:
            session.execute(insert(Story), stories)
            session.execute(insert(Article), batch)
            if mentions:
                session.execute(insert(ExerciseMention), mentions)
        print(f"  stored {min(start + 5000, count):,} articles", end="\r", flush=True)
    print()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def cases(dialect: str) -> list[tuple[str, str, searching.Filters]]:
    filtered = searching.Filters(outlets=("tass",), since=datetime(2024, 1, 1, tzinfo=timezone.utc))
    phrase, boolean = ('"joint patrol"', "bombers NOT Alaska") if dialect == "sqlite" else \
        ('"joint patrol"', "bombers -Alaska")
    return [
        ("single word", "bombers", searching.Filters()),
        ("single word, rare", "Zhanjiang", searching.Filters()),
        ("phrase", phrase, searching.Filters()),
        ("exercise name", "Joint Sea-2024", searching.Filters()),
        ("boolean", boolean, searching.Filters()),
        ("filtered: outlet + since", "bombers", filtered),
        ("filtered: relevant + lang", phrase, searching.Filters(relevant_only=True, language="en")),
        ("filtered: --exercise", "destroyers", searching.Filters(exercise="Joint Sea")),
        ("filtered: narrow month", "bombers", searching.Filters(since=datetime(2023, 3, 1, tzinfo=timezone.utc),
                                                                until=datetime(2023, 4, 1, tzinfo=timezone.utc))),
    ] + ([("prefix", "patrol*", searching.Filters())] if dialect == "sqlite" else []) + [
        ("broad (1/3 of all articles)", "Russian", searching.Filters()),
    ]


def hits(session, query: str, filters: searching.Filters) -> int:
    engine = searching.fts_engine(session)
    sub = engine.hits(engine.prepare(query)).subquery()
    return session.scalar(select(func.count()).select_from(sub.join(Article, Article.id == sub.c.article_id))
                          .where(*searching.filter_clauses(filters)))


def timed(function) -> tuple[float, float]:
    """Wall and CPU milliseconds of one call (SQLite works in this process, so CPU time shows the
    cost without the waiting a busy machine adds; PostgreSQL works in the server, so only wall counts)."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure(engine, runs: int) -> list[tuple]:
    results = []
    with session_scope(engine) as session:
        for label, query, filters in cases(engine.dialect.name):
            for _ in range(2):
                searching.search(session, query, filters)
            walls, cpus = zip(*(timed(lambda: searching.search(session, query, filters)) for _ in range(runs)))
            results.append((label, query, hits(session, query, filters), statistics.median(walls),
                            percentile(walls, 0.95), statistics.median(cpus), percentile(cpus, 0.95)))
    return results


def export_rate(engine) -> tuple[int, float]:
    started = time.perf_counter()
    with session_scope(engine) as session:
        count = sum(1 for _ in searching.export_articles(session))
    return count, time.perf_counter() - started


def prepare(url: str, count: int) -> None:
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Article))
    if stored not in (0, count):
        sys.exit(f"{url} holds {stored:,} articles, not {count:,}; remove it (or its schema) to rebuild")
    if stored == 0:
        print(f"building {count:,} synthetic articles in {url} (once) ...")
        started = time.perf_counter()
        build(engine, count)
        print(f"  built in {time.perf_counter() - started:.0f} s")
    engine.dispose()


def report(url: str, runs: int, target_ms: float | None) -> None:
    engine = make_engine(url)
    in_process = engine.dialect.name == "sqlite"
    print(f"\n{engine.dialect.name}: search latency over {runs} runs (ms), one row per story, limit 20; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'query':28} {'text':22} {'matches':>8} {'median':>7} {'p95':>7} {'cpu med':>8} {'cpu p95':>8}")
    worst = 0.0
    for label, query, matches, median, p95, cpu_median, cpu_p95 in measure(engine, runs):
        if not label.startswith("broad"):
            worst = max(worst, p95)
        cpu = f"{cpu_median:8.1f} {cpu_p95:8.1f}" if in_process else f"{'-':>8} {'-':>8}"
        print(f"{label:28} {query:22} {matches:8,} {median:7.1f} {p95:7.1f} {cpu}")
    count, seconds = export_rate(engine)
    print(f"export: {count:,} articles streamed in {seconds:.1f} s ({count / seconds:,.0f} rows/s)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if target_ms is not None:
        verdict = "met" if worst < target_ms else "MISSED"
        print(f"worst p95 of the single-word, phrase and filtered queries: {worst:.1f} ms; target < {target_ms:.0f} ms "
              f"{verdict} (the broad query shows the cost per match, ~2 us)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg", metavar="URL", help="also measure PostgreSQL at URL")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sqlite_url = f"sqlite:///{OUT / f'search-{args.articles}.db'}"
    prepare(sqlite_url, args.articles)
    report(sqlite_url, args.runs, target_ms=50)
    if args.pg:
        prepare(args.pg, args.articles)
        report(args.pg, args.runs, target_ms=None)


if __name__ == "__main__":
    main()
