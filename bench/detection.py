"""Relevance and exercise-detection figures on the labelled sets in tests/eval/detection/.

    .venv/bin/python bench/detection.py [--verbose] [--check]

Prints precision/recall/F1 of relevance, precision/recall of exercise instances (per article: the
set of instance keys predicted vs labelled, micro-averaged), and whether each exercise the gazetteer
does not know is found, for articles.yaml (the rules were tuned on it) and holdout.yaml (written
after tuning: the honest estimate). --check exits 1 when a target is missed.
Targets: relevance F1 >= 0.95; instance recall >= 0.9 with precision >= 0.95.
"""
from __future__ import annotations

import argparse
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
from crawler.text.exercises import detect_mentions  # noqa: E402
from crawler.text.relevance import score_relevance  # noqa: E402

LABELS = ROOT / "tests" / "eval" / "detection" / "articles.yaml"
HOLDOUT = ROOT / "tests" / "eval" / "detection" / "holdout.yaml"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_ITEM_SPLIT = "Source link"  # the RSS seed's per-item trailer
TARGETS = {"relevance_f1": 0.95, "instance_recall": 0.9, "instance_precision": 0.95}


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
    seconds: float

    def figures(self) -> dict:
        _, _, rf = prf(self.relevance.tp, self.relevance.fp, self.relevance.fn)
        ip, ir, _ = prf(self.instances.tp, self.instances.fp, self.instances.fn)
        return {"relevance_f1": rf, "instance_recall": ir, "instance_precision": ip}


def evaluate(cases: list[Case], gazetteer) -> Result:
    result = Result(cases, Tally(), Tally(), Tally(), {}, [], [], 0.0)
    started = time.perf_counter()
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
    result.seconds = time.perf_counter() - started
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
    print(f"time: {result.seconds * 1000 / max(len(cases), 1):.1f} ms per article")


def report_errors(result: Result) -> None:
    print("disagreements:")
    for case, rel, keys in result.errors:
        print(f"- {case.id}: relevant {rel.relevant} (score {rel.score}) vs {case.relevant}")
        if keys != case.instances:
            print(f"    missed {sorted(case.instances - keys)}  extra {sorted(keys - case.instances)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list the articles the detector gets wrong")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    gazetteer = load_gazetteer()
    missed = []
    for name, path in (("labelled set (tuned on)", LABELS), ("held-out set", HOLDOUT)):
        result = evaluate(load_cases(path), gazetteer)
        report(name, result)
        if args.verbose:
            report_errors(result)
        missed += [f"{name}: {key}" for key, floor in TARGETS.items() if result.figures()[key] < floor]
        print()
    print("targets: " + ("all met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
