"""Fit the learned evidence scorer (`qa.ranker`): `python -m eval.learn_ranker`.

1. `collect`: the questions of a corpus are run through newsqa up to evidence ranking (the
   real store, retriever and embedder); every candidate sentence is written with what the
   features need and its label (does it hold the answer string, accents and case folded).
2. `fit`: a linear scorer over `qa.ranker.FEATURES`, fitted listwise (softmax over each
   question's candidates) on the train-built set (`eval.train_set`), one question in five
   held out to report held-out figures; the final fit uses every question. It writes
   `qa/ranker.json` (the weights, and the gate: `GATE_PERCENTILE` of the final ranker's best
   score over every train-built question) and prints top-1 / top-3 answer-line accuracy next
   to the hand-weighted score.
3. `score`: the same figures on another collected set (outside-dev), for the card only: no
   outside question is ever fitted on.

Needs only numpy (no torch): the model is one weight per feature.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import answer_correct
from eval.train_set import held_out
from index.embed import CachedVectors
from qa.evidence import chunk_ranks
from qa.ranker import (
    FEATURES,
    WEIGHTS_FILE,
    Ranker,
    feature_rows,
    open_answer_encoder,
    shipped_ranker,
)
from qa.types import Evidence

CACHE = Path.home() / ".cache" / "newsqa" / "ranker"
L2 = 0.01
STEPS = 400
LEARNING_RATE = 0.05
# The gate fitted with the ranker: this percentile of its best score over every train-built
# question, answerable or not (`python -m eval.unsure_answers` prints the first-line replay of
# each percentile; the 32nd was chosen end to end: README, "The gate on the ranker's score").
GATE_PERCENTILE = 32


def collect(corpus: Path, questions: Path, out: Path) -> None:
    """Write one JSON line per question: its candidates (fields for `Evidence`), lexical
    overlaps, labels, and the question's kind."""
    from eval.runner import _ingest_scratch, load_gold, scratch_store
    from index.settings import load_settings
    from qa.engine import get_engine

    settings = load_settings().model_copy(
        update={"corpus_dir": corpus, "store_dir": scratch_store(corpus)}
    )
    _ingest_scratch(settings)
    engine = get_engine(settings)
    golds = load_gold(questions)
    began = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as sink:
        for number, gold in enumerate(golds, 1):
            chunks, ranked = engine._ranked_sentences(gold.question)
            lines = [e for e, _ in ranked]
            ranks = chunk_ranks(chunks, lines)
            record = {
                "id": gold.id,
                "question": gold.question,
                "answerable": gold.answerable,
                "absent": bool(engine.absent_entities(gold.question)),
                "lines": [
                    {
                        "source": e.source,
                        "title": e.title,
                        "text": e.text,
                        "before": e.before,
                        "cosine": e.cosine,
                        "score": e.score,
                        "lexical": e.lexical,
                        "furniture": e.furniture,
                        "start": e.start,
                        "chunk_rank": rank,
                        "label": bool(gold.answers)
                        and answer_correct(e.text, gold.answers, by_words=True),
                    }
                    for e, rank in zip(lines, ranks, strict=True)
                ],
            }
            sink.write(json.dumps(record) + "\n")
            if number % 100 == 0:
                rate = number / (time.perf_counter() - began)
                print(f"{number}/{len(golds)} questions, {rate:.1f}/s", file=sys.stderr)


Group = tuple[np.ndarray, np.ndarray, np.ndarray]  # feature rows, labels, hand scores


@cache
def offline_similarity() -> CachedVectors:
    """Word-embedding cosines for the features, from the configured encoder (what
    `Engine.word_similarity` gives at run time), cached across the questions of a run."""
    from index.embed import open_encoder
    from index.settings import load_settings

    return CachedVectors(open_encoder(load_settings()))


@cache
def offline_answer_vectors() -> CachedVectors:
    """The answer encoder's vectors (what `Engine.answer_cosines` uses), cached across the
    questions of a run."""
    return CachedVectors(open_answer_encoder())


def answer_cosines(question: str, texts: Sequence[str]) -> list[float]:
    return [float(v) for v in offline_answer_vectors().similarity([question], texts)[0]]


def load_collected(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def candidate_lines(record: dict[str, Any], top_k: int | None = None) -> list[Evidence]:
    """A collected question's candidates as `Evidence` (only those from its first `top_k`
    chunks, when given)."""
    return [
        Evidence(
            c["source"],
            c["title"],
            None,
            None,
            c["start"],
            c["start"],
            c["text"],
            score=c["score"],
            before=c["before"],
            cosine=c["cosine"],
            lexical=c["lexical"],
            furniture=c["furniture"],
        )
        for c in record["lines"]
        if top_k is None or c["chunk_rank"] < top_k
    ]


def rows_of(record: dict[str, Any], top_k: int | None = None) -> Group:
    """Feature rows and labels of a question's candidates (only those from its first
    `top_k` chunks, when given: one collection at top_k 16 also answers for 12)."""
    kept = [c for c in record["lines"] if top_k is None or c["chunk_rank"] < top_k]
    rows = feature_rows(
        record["question"],
        candidate_lines(record, top_k),
        [c["chunk_rank"] for c in kept],
        offline_similarity().similarity,
        answer_cosines(record["question"], [c["text"] for c in kept]),
    )
    hand = np.array([c["score"] for c in kept])
    return rows, np.array([c["label"] for c in kept], dtype=np.float64), hand


@dataclass(frozen=True)
class ShownLines:
    """The candidates a model would be shown for one question: the shipped ranker's best."""

    texts: list[str]
    labels: list[bool]  # does each hold the answer string
    best_hand_score: float  # the best hand-weighted score of every candidate (the gate's)


def shown_by_ranker(
    record: dict[str, Any], ranker: Ranker, count: int, top_k: int = 12
) -> ShownLines | None:
    """The `count` best candidates of a collected question's first `top_k` chunks by `ranker`;
    None when it has none."""
    rows, labels, hand = rows_of(record, top_k)
    kept = [c for c in record["lines"] if c["chunk_rank"] < top_k]
    if not kept:
        return None
    order = np.argsort(-ranker.scores(rows))[:count]
    return ShownLines(
        [kept[i]["text"] for i in order], [bool(labels[i]) for i in order], float(hand.max())
    )


def each_shown(
    path: Path, count: int, *, limit: int | None = None
) -> Iterator[tuple[dict[str, Any], ShownLines]]:
    """Each question of a collection (its first `limit`) that has candidates, with the
    `count` lines the shipped ranker would show a model."""
    ranker = shipped_ranker()
    for record in load_collected(path)[:limit]:
        lines = shown_by_ranker(record, ranker, count)
        if lines is not None:
            yield record, lines


def groups(records: Sequence[dict[str, Any]], top_k: int | None = None) -> list[Group]:
    """The answerable questions that have an answer line among their candidates."""
    found = []
    for record in records:
        if record["answerable"]:
            rows, labels, hand = rows_of(record, top_k)
            if labels.any():
                found.append((rows, labels, hand))
    return found


def fit_listwise(train: Sequence[Group], *, steps: int = STEPS) -> Ranker:
    """A linear scorer trained so that, over each question's candidates, the softmax puts
    its mass on the answer lines (Adam, small L2), started from the hand-weighted score."""
    every = np.vstack([rows for rows, _, _ in train])
    mean, scale = every.mean(axis=0), every.std(axis=0) + 1e-6
    standard = [((rows - mean) / scale, labels) for rows, labels, _ in train]
    weights = np.zeros(len(FEATURES))
    weights[FEATURES.index("cosine")] = scale[FEATURES.index("cosine")]
    weights[FEATURES.index("lexical")] = scale[FEATURES.index("lexical")]
    moment, second = np.zeros_like(weights), np.zeros_like(weights)
    for step in range(1, steps + 1):
        gradient = L2 * weights
        for rows, labels in standard:
            logits = rows @ weights
            p = np.exp(logits - logits.max())
            p /= p.sum()
            target = p * labels
            target /= target.sum()
            gradient += rows.T @ (p - target) / len(standard)
        moment = 0.9 * moment + 0.1 * gradient
        second = 0.999 * second + 0.001 * gradient**2
        corrected = moment / (1 - 0.9**step)
        weights -= LEARNING_RATE * corrected / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return Ranker(FEATURES, mean, scale, weights)


def fitted_gate(ranker: Ranker, records: Sequence[dict[str, Any]], top_k: int | None) -> float:
    """The `GATE_PERCENTILE`-th percentile of `ranker`'s best score over `records`' questions
    that have candidates: the score below which a question is refused (`qa.ranker.gate_for`)."""
    best = []
    for record in records:
        rows, _, _ = rows_of(record, top_k)
        if len(rows):
            best.append(float(ranker.scores(rows).max()))
    return float(np.percentile(best, GATE_PERCENTILE))


def accuracy(found: Sequence[Group], ranker: Ranker | None, k: int) -> float:
    """Share of questions with an answer line among their `k` best candidates (by the
    ranker, or by the hand-weighted score when it is None)."""
    hits = []
    for rows, labels, hand in found:
        scores = hand if ranker is None else ranker.scores(rows)
        hits.append(float(labels[np.argsort(-scores)[:k]].max()))
    return float(np.mean(hits)) if hits else float("nan")


def report(name: str, found: Sequence[Group], ranker: Ranker, answerable: int) -> str:
    line = f"{name}: {answerable} answerable, {len(found)} with an answer line retrieved"
    for label, model in (("hand-weighted", None), ("learned", ranker)):
        top = "  ".join(f"top-{k} {accuracy(found, model, k):.3f}" for k in (1, 3))
        line += f"\n  {label:14s} {top}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.learn_ranker")
    sub = parser.add_subparsers(dest="step", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--corpus", required=True)
    c.add_argument("--questions", required=True)
    c.add_argument("--out", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--collected", default=str(CACHE / "train.jsonl"))
    f.add_argument("--top-k", type=int, default=None, help="candidates of the first K chunks")
    f.add_argument("--write", action="store_true", help=f"write {WEIGHTS_FILE.name}")
    s = sub.add_parser("score")
    s.add_argument("--collected", required=True)
    s.add_argument("--top-k", type=int, default=None)
    args = parser.parse_args(argv)
    if args.step == "collect":
        collect(Path(args.corpus), Path(args.questions), Path(args.out))
        return 0
    records = load_collected(Path(args.collected))
    answerable = sum(r["answerable"] for r in records)
    if args.step == "score":
        print(report(args.collected, groups(records, args.top_k), shipped_ranker(), answerable))
        return 0
    held = [r for r in records if held_out(r["id"])]
    began = time.perf_counter()
    ranker = fit_listwise(groups([r for r in records if not held_out(r["id"])], args.top_k))
    print(f"fitted on {len(records) - len(held)} questions in {time.perf_counter() - began:.0f} s")
    held_answerable = sum(r["answerable"] for r in held)
    print(report("held-out fifth", groups(held, args.top_k), ranker, held_answerable))
    final = fit_listwise(groups(records, args.top_k))
    print(report("every question (fitted on)", groups(records, args.top_k), final, answerable))
    for name, weight in zip(FEATURES, final.weights, strict=True):
        print(f"  {name:24s} {weight:+.3f}")
    final = replace(final, gate=fitted_gate(final, records, args.top_k))
    print(f"gate (percentile {GATE_PERCENTILE} of the best scores): {final.gate:.4f}")
    if args.write:
        WEIGHTS_FILE.write_text(final.to_json() + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
