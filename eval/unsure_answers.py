"""How unsure may the first line be before a question is refused? `python -m eval.unsure_answers
COLLECTED [COLLECTED ...]`.

Reads collections of `python -m eval.learn_ranker collect` (every candidate sentence of each
question, labelled by whether it holds the answer string) and, for each question that passes
the gate (`Settings.min_evidence_score`), takes what the extractive path would answer with:
the shipped ranker's first line, its softmax probability over the candidates
(`qa.line_checks.first_line_probability`) and the best evidence score. For each pair of
(`unsure_line`, `sure_evidence_score`) it prints right / wrong / answered unanswerable: a
right answer is a first line that holds the answer. The model, which may pick another shown
line, and the answer checks are left out, so these are the first line's figures, not newsqa's
end to end. `Settings.unsure_line` was chosen from this table on the train-built set and
outside-dev pooled: the highest value at which each step up still refused at least three
false statements (wrong answers and answered unanswerable questions) for every right answer
(0.25; the step to 0.30 refused 37 for 13). With the answer encoder's features (2026-12-06)
the table picks 0.30 (the step refuses 33 for 7), but end to end that step refused 6 right
answers for 12 false statements over outside-dev and the train-built fifth, so 0.25 stays
(README, "The answer encoder").

The second table puts the gate on the ranker's score of its first line instead (the
percentiles of the first collection's scores, at the shipped unsure rule): the 32nd is the
shipped gate (`eval.learn_ranker.GATE_PERCENTILE`), chosen end to end (README, "The gate on
the ranker's score").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.learn_ranker import load_collected, rows_of
from index.settings import load_settings
from qa.ranker import shipped_ranker

LINES = (0.0, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
SURE_SCORES = (0.9, 1.0, 1.1)
RANKER_GATE_PERCENTILES = (0, 12, 16, 20, 24, 28, 32, 36, 40)


@dataclass(frozen=True)
class FirstLine:
    """What the extractive path would answer one question with."""

    answerable: bool
    best_score: float  # the best hand-weighted evidence score (the evidence-score gate's)
    probability: float  # the ranker's softmax probability of its first line
    holds_answer: bool
    best_rank_score: float = float("-inf")  # the ranker's score of its first line (its gate's)


@dataclass(frozen=True)
class Outcome:
    right: int
    wrong: int
    answered_unanswerable: int


def first_lines(path: Path, top_k: int = 12) -> list[FirstLine]:
    ranker = shipped_ranker()
    found = []
    for record in load_collected(path):
        rows, labels, hand = rows_of(record, top_k)
        if not len(hand):
            found.append(FirstLine(record["answerable"], -1.0, 0.0, False))
            continue
        scores = ranker.scores(rows)
        weights = np.exp(scores - scores.max())
        first = int(np.argmax(scores))
        probability = float(weights[first] / weights.sum())
        found.append(
            FirstLine(
                record["answerable"],
                float(hand.max()),
                probability,
                bool(labels[first]),
                float(scores[first]),
            )
        )
    return found


def outcome(
    lines: Sequence[FirstLine],
    *,
    gate: float,
    unsure_line: float,
    sure_score: float,
    ranker_gate: float | None = None,
) -> Outcome:
    """Counts over the questions answered: passed the gate (the ranker's score of its first
    line against `ranker_gate` when given, else the evidence score against `gate`), and not
    refused as unsure.

    >>> q = [FirstLine(True, 0.9, 0.2, False, 5.0), FirstLine(True, 1.2, 0.2, True, 6.0),
    ...      FirstLine(False, 0.9, 0.6, False, 4.0)]
    >>> outcome(q, gate=0.79, unsure_line=0.3, sure_score=1.0)
    Outcome(right=1, wrong=0, answered_unanswerable=1)
    >>> outcome(q, gate=0.79, unsure_line=0.3, sure_score=1.0, ranker_gate=4.5)
    Outcome(right=1, wrong=0, answered_unanswerable=0)
    """

    def passes(q: FirstLine) -> bool:
        if ranker_gate is not None:
            return q.best_rank_score >= ranker_gate
        return q.best_score >= gate

    kept = [
        q
        for q in lines
        if passes(q) and (q.probability >= unsure_line or q.best_score >= sure_score)
    ]
    return Outcome(
        sum(q.answerable and q.holds_answer for q in kept),
        sum(q.answerable and not q.holds_answer for q in kept),
        sum(not q.answerable for q in kept),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.unsure_answers")
    parser.add_argument("collected", nargs="+", help="collections from eval.learn_ranker collect")
    parser.add_argument("--gate", type=float, default=load_settings().min_evidence_score)
    args = parser.parse_args(argv)
    sets = {Path(p).name: first_lines(Path(p)) for p in args.collected}
    print("right / wrong / answered unanswerable, first line only, gate", args.gate)
    print("| unsure_line | sure score | " + " | ".join(sets) + " |")
    print("|---:|---:|" + "---:|" * len(sets))
    for sure_score in SURE_SCORES:
        for unsure_line in LINES:
            cells = []
            for lines in sets.values():
                got = outcome(lines, gate=args.gate, unsure_line=unsure_line, sure_score=sure_score)
                cells.append(f"{got.right} / {got.wrong} / {got.answered_unanswerable}")
            print(f"| {unsure_line:.2f} | {sure_score:.1f} | " + " | ".join(cells) + " |")
    print_ranker_gates(sets)
    return 0


def print_ranker_gates(sets: dict[str, list[FirstLine]]) -> None:
    """The same counts with the gate on the ranker's score of its first line instead of the
    evidence score, at the shipped unsure rule; the thresholds are percentiles of the first
    collection's scores (the train-built set's, where `qa/ranker.json`'s gate is taken)."""
    settings = load_settings()
    first = next(iter(sets.values()))
    scores = np.array([q.best_rank_score for q in first if np.isfinite(q.best_rank_score)])
    print("\ngate on the ranker's first-line score, unsure line", settings.unsure_line)
    print("| percentile | score | " + " | ".join(sets) + " |")
    print("|---:|---:|" + "---:|" * len(sets))
    for percentile in RANKER_GATE_PERCENTILES:
        value = float(np.percentile(scores, percentile))
        cells = []
        for lines in sets.values():
            got = outcome(
                lines,
                gate=settings.min_evidence_score,
                unsure_line=settings.unsure_line,
                sure_score=settings.sure_evidence_score,
                ranker_gate=value,
            )
            cells.append(f"{got.right} / {got.wrong} / {got.answered_unanswerable}")
        print(f"| {percentile} | {value:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
