"""Relevance and exercise-detection figures on the labelled sets in tests/eval/detection/.

    .venv/bin/python bench/detection.py [--verbose] [--check] [--real [CACHE_DIR]]

Prints precision/recall/F1 of relevance, precision/recall of exercise instances (per article: the
set of instance keys predicted vs labelled, micro-averaged), and whether each exercise the gazetteer
does not know is found, for articles.yaml (the rules were tuned on it) and holdout.yaml (written
after tuning: the honest estimate). --check exits 1 when a quality target is missed.
Targets: relevance F1 >= 0.95; instance recall >= 0.9 with precision >= 0.95.

--real CACHE_DIR (default /work/cache/realnews) adds the real-news set of tests/eval/real_news/index.yaml:
published articles whose texts live in CACHE_DIR/<id>.txt (gathered with the search tool, never
committed; the entries missing from the cache are named and skipped). Its `tune` and `holdout` splits
are scored like the sets above, plus the discovery rate (expected instances of series the gazetteer
lacks that were found) and dates (mentions dated half a year or more after their article, which for
undated texts is the month the index says the content dates itself to), then printed side by side
with the written sets. Targets on the held-out split: relevance F1 >= 0.97, instance precision >= 0.95
and recall >= 0.92, discovery >= 0.70, no mention dated half a year or more after its article.

Then the speed: CPU milliseconds per article (median and p95) of score_relevance (with the
gazetteer, as the pipeline calls it) and of detect_mentions right after it on the same text (as the
pipeline does: sentence facts are cached between the two), over the labelled sets, the demo pages'
extracted texts and synthetic long articles (paragraphs of both shuffled into ~600 and ~2,000 words).
Target: both together <= 5 ms median (printed, not checked: it depends on the machine).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from config.gazetteer import load_gazetteer  # noqa: E402
from crawler.text import exercises, literals, reldates, relevance, sentences  # noqa: E402
from crawler.text.analyse import analyse_text  # noqa: E402
from crawler.text.exercises import detect_mentions  # noqa: E402
from crawler.text.relevance import score_relevance  # noqa: E402

LABELS = ROOT / "tests" / "eval" / "detection" / "articles.yaml"
HOLDOUT = ROOT / "tests" / "eval" / "detection" / "holdout.yaml"
# ../shared beside the checkout (a worktree may sit one level deeper)
SHARED = next((d / "shared" for d in ROOT.parents if (d / "shared" / "seeds").is_dir()), ROOT.parent / "shared")
SEEDS = SHARED / "seeds"
SEED_ITEM_SPLIT = "Source link"  # the RSS seed's per-item trailer
TARGETS = {"relevance_f1": 0.95, "instance_recall": 0.9, "instance_precision": 0.95}
DEMO_SITES = ROOT / "crawler" / "demo" / "sites"
REAL_INDEX = ROOT / "tests" / "eval" / "real_news" / "index.yaml"
REAL_CACHE = Path("/work/cache/realnews")
REAL_TARGETS = {"relevance_f1": 0.97, "instance_recall": 0.92, "instance_precision": 0.95, "discovery": 0.70,
                "late_mentions": 0}
LATE = timedelta(days=182)  # a mention dated this long after its article is a dating error
SPEED_TARGET_MS = 5.0  # relevance + detection, median per article


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    published: date
    title: str
    text: str
    relevant: bool
    instances: frozenset[str]
    unknown: tuple[dict, ...]
    anchor: date | None = None  # the article's date for the date check (published, else `about`)


def _text(entry: dict, seeds: Path) -> str:
    if "seed" not in entry:
        return entry["text"]
    text = (seeds / entry["seed"]).read_text(encoding="utf-8")
    return text.split(SEED_ITEM_SPLIT)[entry["item"]] if "item" in entry else text


def load_cases(path: Path = LABELS, seeds: Path = SEEDS) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Case(e["id"], e["lang"], e["published"], e.get("title", ""), _text(e, seeds), e["relevant"],
                 frozenset(e.get("instances") or ()), tuple(e.get("unknown") or ()), e["published"])
            for e in data["articles"]]


def _month_end(value) -> date | None:
    """`about` (YYYY-MM or a date) as the last day that month could mean."""
    if value is None or isinstance(value, date):
        return value
    year, month = (int(part) for part in str(value).split("-")[:2])
    return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))


def load_real(cache: Path, index: Path = REAL_INDEX) -> tuple[dict[str, list[Case]], list[str]]:
    """The real-news cases by split, and the ids whose text is not in the cache."""
    data = yaml.safe_load(index.read_text(encoding="utf-8"))
    splits: dict[str, list[Case]] = {"tune": [], "holdout": []}
    missing = []
    for e in data["articles"]:
        path = cache / f"{e['id']}.txt"
        if not path.is_file():
            missing.append(e["id"])
            continue
        text = path.read_text(encoding="utf-8")
        if e.get("chars") and len(text) != e["chars"]:
            print(f"warning: {path} has {len(text)} characters, the index says {e['chars']}", file=sys.stderr)
        keys = [i["key"] for i in e.get("instances") or ()]
        unknown = tuple({"name": i["key"], "key": i["key"]} for i in e.get("instances") or () if i.get("absent"))
        splits[e["split"]].append(Case(e["id"], e["lang"], e.get("published"), e.get("title") or "", text,
                                       e["relevant"], frozenset(keys), unknown,
                                       e.get("published") or _month_end(e.get("about"))))
    return splits, missing


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool | set, gold: bool | set) -> None:
        if isinstance(predicted, bool):
            predicted, gold = ({"x"} if predicted else set()), ({"x"} if gold else set())
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)


@dataclass
class Result:
    cases: list
    relevance: Tally
    plain: Tally  # relevance without the gazetteer (regex cues only)
    instances: Tally
    per_lang: dict
    unknown_rows: list
    errors: list
    late: list = None  # (case id, instance key, mention date, article date)

    def figures(self) -> dict:
        _, _, rf = prf(self.relevance.tp, self.relevance.fp, self.relevance.fn)
        ip, ir, _ = prf(self.instances.tp, self.instances.fp, self.instances.fn)
        found = sum(1 for *_, ok in self.unknown_rows if ok)
        return {"relevance_f1": rf, "instance_recall": ir, "instance_precision": ip,
                "discovery": found / len(self.unknown_rows) if self.unknown_rows else 1.0,
                "late_mentions": len(self.late or ())}


def evaluate(cases: list[Case], gazetteer) -> Result:
    result = Result(cases, Tally(), Tally(), Tally(), {}, [], [], [])
    for case in cases:
        # the pipeline's front door: relevance and detection made to agree (an article with a mention is kept)
        rel, mentions = analyse_text(case.text, case.title, case.published, gazetteer, case.lang)
        keys = {m.exercise for m in mentions}
        for m in mentions:
            when = m.start or m.date
            if case.anchor and when and when >= case.anchor + LATE:
                result.late.append((case.id, m.exercise, when, case.anchor))
        result.relevance.add(rel.relevant, case.relevant)
        result.plain.add(score_relevance(case.text, case.title, case.lang).relevant, case.relevant)
        result.instances.add(keys, set(case.instances))
        result.per_lang.setdefault(case.lang, Tally()).add(keys, set(case.instances))
        result.unknown_rows += [(case.id, u["name"], u["key"], u["key"] in keys) for u in case.unknown]
        if rel.relevant != case.relevant or keys != case.instances:
            result.errors.append((case, rel, keys))
    return result


def report(name: str, result: Result, rows: bool = True) -> None:
    """`rows`: list each absent exercise found or not, and each late mention (never for a held-out split)."""
    cases, relevance, instances = result.cases, result.relevance, result.instances
    seeds = sum(1 for c in cases if c.id.startswith("seed-"))
    print(f"== {name}: {len(cases)} articles ({seeds} from seeds), {sum(c.relevant for c in cases)} relevant, "
          f"{sum(len(c.instances) for c in cases)} instance labels")
    p, r, f = prf(relevance.tp, relevance.fp, relevance.fn)
    print(f"relevance            P={p:.3f} R={r:.3f} F1={f:.3f}   (tp={relevance.tp} fp={relevance.fp} "
          f"fn={relevance.fn})   target F1>={TARGETS['relevance_f1']}")
    p, r, f = prf(result.plain.tp, result.plain.fp, result.plain.fn)
    print(f"  without gazetteer  P={p:.3f} R={r:.3f} F1={f:.3f}   (score_relevance(text, title) alone)")
    p, r, f = prf(instances.tp, instances.fp, instances.fn)
    print(f"exercise instances   P={p:.3f} R={r:.3f} F1={f:.3f}   (tp={instances.tp} fp={instances.fp} "
          f"fn={instances.fn})   target R>={TARGETS['instance_recall']} P>={TARGETS['instance_precision']}")
    for lang, tally in sorted(result.per_lang.items()):
        p, r, f = prf(tally.tp, tally.fp, tally.fn)
        print(f"  {lang}: P={p:.3f} R={r:.3f} (tp={tally.tp} fp={tally.fp} fn={tally.fn})")
    found = sum(1 for *_, ok in result.unknown_rows if ok)
    print(f"unknown exercises found: {found}/{len(result.unknown_rows)}")
    for case_id, label, key, ok in result.unknown_rows if rows else ():
        print(f"  [{'x' if ok else ' '}] {label:<32} -> {key:<38} ({case_id})")
    print(f"mentions dated >= half a year after their article: {len(result.late)}")
    for case_id, key, when, anchor in result.late if rows else ():
        print(f"  {key} dated {when} in {case_id} (article {anchor})")


def report_errors(result: Result) -> None:
    print("disagreements:")
    for case, rel, keys in result.errors:
        print(f"- {case.id}: relevant {rel.relevant} (score {rel.score}) vs {case.relevant}")
        if keys != case.instances:
            print(f"    missed {sorted(case.instances - keys)}  extra {sorted(keys - case.instances)}")


# --- speed ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    title: str
    text: str
    published: date | None


def demo_samples() -> list[Sample]:
    """The demo pages' articles as the pipeline sees them: extracted by the front door."""
    from crawler.text.extract import extract_article

    manifest = yaml.safe_load((DEMO_SITES / "MANIFEST.yaml").read_text(encoding="utf-8"))
    samples = []
    for entry in manifest["articles"]:
        path = DEMO_SITES / entry["path"].lstrip("/")
        path = path / "index.html" if path.is_dir() else path
        if entry["kind"] in ("missing", "pdf") or not path.is_file():
            continue
        article = extract_article(path.read_text(encoding="utf-8"), "http://demo.invalid" + entry["path"])
        if article is not None:
            samples.append(Sample(article.title or "", article.text, article.published))
    return samples


def synthetic_samples(texts: list[str], words: int, count: int, seed: int = 7) -> list[Sample]:
    """Long defence articles: paragraphs of real texts shuffled (fixed seed) up to `words` words."""
    paragraphs = [line for text in texts for line in text.splitlines() if len(line.split()) > 5]
    rng, samples = random.Random(seed), []
    for _ in range(count):
        chosen, total = [], 0
        while total < words:
            chosen.append(rng.choice(paragraphs))
            total += len(chosen[-1].split())
        samples.append(Sample("", "\n".join(chosen), date(2024, 7, 25)))
    return samples


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def forget_texts(gazetteer) -> None:
    """Empty the per-text caches relevance and detection share within an article (sentence split,
    sentence facts, code-name candidates, gazetteer names, date rules and lowercase texts): the next
    article is new, as in a crawl."""
    for cached in (sentences._sentences, relevance.analyse_sentence, exercises.code_name_candidates,
                   reldates._rules_to_run, literals.text_of):
        cached.cache_clear()
    gazetteer.index._found.clear()


def time_samples(samples: list[Sample], gazetteer) -> dict[str, tuple[float, float]]:
    """(median, p95) CPU ms per article of relevance, detection right after it, and both."""
    for sample in samples:  # warm-up: FastRegex compiles its per-character regexes on first use
        score_relevance(sample.text, sample.title, gazetteer=gazetteer)
        detect_mentions(sample.text, sample.published, gazetteer, sample.title)
    times: dict[str, list[float]] = {"relevance": [], "detection": [], "both": []}
    for sample in samples:
        forget_texts(gazetteer)
        started = time.process_time()
        score_relevance(sample.text, sample.title, gazetteer=gazetteer)
        scored = time.process_time()
        detect_mentions(sample.text, sample.published, gazetteer, sample.title)
        done = time.process_time()
        times["relevance"].append((scored - started) * 1000)
        times["detection"].append((done - scored) * 1000)
        times["both"].append((done - started) * 1000)
    return {key: (statistics.median(values), _percentile(values, 0.95)) for key, values in times.items()}


def report_speed(name: str, samples: list[Sample], gazetteer) -> float:
    figures = time_samples(samples, gazetteer)
    words = statistics.median(len(s.text.split()) for s in samples)
    cells = "   ".join(f"{key} {median:.2f} / {p95:.2f}" for key, (median, p95) in figures.items())
    print(f"  {name:<34} {len(samples):>3} articles, median {words:>5.0f} words:   {cells}")
    return figures["both"][0]


def speed(cases: list[Case], gazetteer, real: list[Case] = ()) -> None:
    demo = demo_samples()
    texts = [c.text for c in cases if c.lang == "en"] + [s.text for s in demo]
    print("speed (CPU ms per article, median / p95; detection runs after relevance on the same text):")
    medians = [report_speed("labelled + held-out sets", [Sample(c.title, c.text, c.published) for c in cases],
                            gazetteer),
               report_speed("demo pages (extracted)", demo, gazetteer),
               report_speed("synthetic ~600 words", synthetic_samples(texts, 600, 40), gazetteer),
               report_speed("synthetic ~2,000 words", synthetic_samples(texts, 2000, 15), gazetteer)]
    if real:
        report_speed("real news (cache)", [Sample(c.title, c.text, c.published) for c in real], gazetteer)
    verdict = "met" if max(medians[1:3]) <= SPEED_TARGET_MS else "MISSED"
    print(f"  speed target (both <= {SPEED_TARGET_MS:g} ms median on demo and ~600-word articles): {verdict}")


def side_by_side(results: dict[str, Result]) -> None:
    """The headline figures of every set in columns (real-news splits next to the written sets)."""
    names = list(results)
    print("side by side".ljust(30) + "".join(f"{n:>16}" for n in names))
    rows = [("articles", lambda r: f"{len(r.cases)}")]
    for label, tally in (("relevance", "relevance"), ("instances", "instances")):
        for i, part in enumerate(("P", "R", "F1")):
            rows.append((f"{label} {part}", lambda r, t=tally, i=i: f"{prf(getattr(r, t).tp, getattr(r, t).fp, getattr(r, t).fn)[i]:.3f}"))
    rows.append(("discovery (absent series)", lambda r: f"{sum(1 for *_, ok in r.unknown_rows if ok)}/{len(r.unknown_rows)}"))
    rows.append(("mentions dated >= +6 months", lambda r: f"{len(r.late)}"))
    for label, cell in rows:
        print(label.ljust(30) + "".join(f"{cell(results[n]):>16}" for n in names))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list the articles the detector gets wrong")
    parser.add_argument("--check", action="store_true", help="exit 1 when a quality target is missed")
    parser.add_argument("--real", nargs="?", const=REAL_CACHE, type=Path, metavar="CACHE_DIR",
                        help=f"also score the real-news set from its text cache (default {REAL_CACHE})")
    args = parser.parse_args(argv)
    gazetteer = load_gazetteer()
    missed, cases, results = [], [], {}
    for name, short, path in (("labelled set (tuned on)", "written", LABELS), ("held-out set", "written-ho", HOLDOUT)):
        loaded = load_cases(path)
        cases += loaded
        result = results[short] = evaluate(loaded, gazetteer)
        report(name, result)
        if args.verbose:
            report_errors(result)
        missed += [f"{name}: {key}" for key, floor in TARGETS.items() if result.figures()[key] < floor]
        print()
    real_cases = []
    if args.real is not None:
        splits, absent = load_real(args.real)
        print(f"real-news set: {sum(map(len, splits.values()))} articles from {args.real}; "
              f"{len(absent)} missing from the cache" + (f": {', '.join(absent)}" if absent else ""))
        print()
        if not any(splits.values()):
            # an empty split would score a perfect 1.000: say that nothing was measured instead
            print(f"real news: NOT SCORED, no text in {args.real} (the index header says how the cache is made)")
            missed.append("real news: not scored (no cached text)")
            args.real = None
    if args.real is not None:
        for split, short in (("tune", "real-tune"), ("holdout", "real-holdout")):
            real_cases += splits[split]
            result = results[short] = evaluate(splits[split], gazetteer)
            held_out = split == "holdout"
            # a held-out split prints figures only: its per-entry rows are its errors, which one must not tune on
            report(f"real news, {split} split" + (" (score only, never tune on it)" if held_out else ""),
                   result, rows=not held_out)
            if args.verbose and split == "tune":
                report_errors(result)  # never list the held-out disagreements: that is how one tunes on them
            print()
        figures = results["real-holdout"].figures()
        missed += [f"real holdout: {key}" for key, floor in REAL_TARGETS.items()
                   if (figures[key] > floor if key == "late_mentions" else figures[key] < floor)]
        side_by_side(results)
        print()
    speed(cases, gazetteer, real_cases)
    print()
    print("quality targets: " + ("all met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
