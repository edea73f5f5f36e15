"""Relevance and exercise-detection figures on the labelled sets in tests/eval/detection/.

    .venv/bin/python bench/detection.py [--verbose] [--check]

Prints precision/recall/F1 of relevance, precision/recall of exercise instances (per article: the
set of instance keys predicted vs labelled, micro-averaged), and whether each exercise the gazetteer
does not know is found, for articles.yaml (the rules were tuned on it) and holdout.yaml (written
after tuning: the honest estimate). --check exits 1 when a quality target is missed.
Targets: relevance F1 >= 0.95; instance recall >= 0.9 with precision >= 0.95.

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
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from config.gazetteer import load_gazetteer  # noqa: E402
from crawler.text import exercises, relevance, sentences  # noqa: E402
from crawler.text.exercises import detect_mentions  # noqa: E402
from crawler.text.relevance import score_relevance  # noqa: E402

LABELS = ROOT / "tests" / "eval" / "detection" / "articles.yaml"
HOLDOUT = ROOT / "tests" / "eval" / "detection" / "holdout.yaml"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_ITEM_SPLIT = "Source link"  # the RSS seed's per-item trailer
TARGETS = {"relevance_f1": 0.95, "instance_recall": 0.9, "instance_precision": 0.95}
DEMO_SITES = ROOT / "crawler" / "demo" / "sites"
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


def _text(entry: dict, seeds: Path) -> str:
    if "seed" not in entry:
        return entry["text"]
    text = (seeds / entry["seed"]).read_text(encoding="utf-8")
    return text.split(SEED_ITEM_SPLIT)[entry["item"]] if "item" in entry else text


def load_cases(path: Path = LABELS, seeds: Path = SEEDS) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Case(e["id"], e["lang"], e["published"], e.get("title", ""), _text(e, seeds), e["relevant"],
                 frozenset(e.get("instances") or ()), tuple(e.get("unknown") or ()))
            for e in data["articles"]]


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

    def figures(self) -> dict:
        _, _, rf = prf(self.relevance.tp, self.relevance.fp, self.relevance.fn)
        ip, ir, _ = prf(self.instances.tp, self.instances.fp, self.instances.fn)
        return {"relevance_f1": rf, "instance_recall": ir, "instance_precision": ip}


def evaluate(cases: list[Case], gazetteer) -> Result:
    result = Result(cases, Tally(), Tally(), Tally(), {}, [], [])
    for case in cases:
        rel = score_relevance(case.text, case.title, case.lang, gazetteer=gazetteer)
        keys = {m.exercise for m in detect_mentions(case.text, case.published, gazetteer, case.title)}
        result.relevance.add(rel.relevant, case.relevant)
        result.plain.add(score_relevance(case.text, case.title, case.lang).relevant, case.relevant)
        result.instances.add(keys, set(case.instances))
        result.per_lang.setdefault(case.lang, Tally()).add(keys, set(case.instances))
        result.unknown_rows += [(case.id, u["name"], u["key"], u["key"] in keys) for u in case.unknown]
        if rel.relevant != case.relevant or keys != case.instances:
            result.errors.append((case, rel, keys))
    return result


def report(name: str, result: Result) -> None:
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
    for case_id, label, key, ok in result.unknown_rows:
        print(f"  [{'x' if ok else ' '}] {label:<32} -> {key:<38} ({case_id})")


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
    sentence facts, code-name candidates, gazetteer names): the next article is new, as in a crawl."""
    for cached in (sentences._sentences, relevance.analyse_sentence, exercises.code_name_candidates):
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


def speed(cases: list[Case], gazetteer) -> None:
    demo = demo_samples()
    texts = [c.text for c in cases if c.lang == "en"] + [s.text for s in demo]
    print("speed (CPU ms per article, median / p95; detection runs after relevance on the same text):")
    medians = [report_speed("labelled + held-out sets", [Sample(c.title, c.text, c.published) for c in cases],
                            gazetteer),
               report_speed("demo pages (extracted)", demo, gazetteer),
               report_speed("synthetic ~600 words", synthetic_samples(texts, 600, 40), gazetteer),
               report_speed("synthetic ~2,000 words", synthetic_samples(texts, 2000, 15), gazetteer)]
    verdict = "met" if max(medians[1:3]) <= SPEED_TARGET_MS else "MISSED"
    print(f"  speed target (both <= {SPEED_TARGET_MS:g} ms median on demo and ~600-word articles): {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list the articles the detector gets wrong")
    parser.add_argument("--check", action="store_true", help="exit 1 when a quality target is missed")
    args = parser.parse_args(argv)
    gazetteer = load_gazetteer()
    missed, cases = [], []
    for name, path in (("labelled set (tuned on)", LABELS), ("held-out set", HOLDOUT)):
        loaded = load_cases(path)
        cases += loaded
        result = evaluate(loaded, gazetteer)
        report(name, result)
        if args.verbose:
            report_errors(result)
        missed += [f"{name}: {key}" for key, floor in TARGETS.items() if result.figures()[key] < floor]
        print()
    speed(cases, gazetteer)
    print()
    print("quality targets: " + ("all met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
