"""Fit and score the answer-line judge's weight (`eval.line_judge.JUDGE_WEIGHT`) on collected
candidates: `python -m eval.judge_lines TRAIN.jsonl [OTHER.jsonl ...]`.

Reads collections of `python -m eval.learn_ranker collect` (every candidate sentence of each
question, labelled by whether it holds the answer string). For the answerable questions with
an answer line among the ranker's best `JUDGE_POOL`, each line's score is the shipped
ranker's plus a weight times the judge's logit (`eval.line_judge.judged_order`). The weight
is fitted on the first collection's held-out fifth (`eval.train_set.held_out`: the questions
the judge was not trained on) by the listwise negative log-likelihood of its answer lines;
the other collections (outside-dev, gold) are only scored. Prints, for each weight, top-1 /
top-3 answer-line accuracy and that log-likelihood on every set.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.learn_ranker import load_collected, rows_of
from eval.line_judge import JUDGE_POOL, LineJudge
from eval.train_set import held_out
from qa.ranker import shipped_ranker

WEIGHTS = (0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True)
class JudgedQuestion:
    """The ranker's best `JUDGE_POOL` lines of one question, in its order."""

    rank_scores: np.ndarray
    logits: np.ndarray
    labels: np.ndarray  # bool: does each line hold the answer string


def judged_questions(
    records: Sequence[dict[str, Any]], judge: LineJudge, top_k: int = 12
) -> list[JudgedQuestion]:
    ranker = shipped_ranker()
    found = []
    for record in records:
        if not record["answerable"]:
            continue
        rows, labels, _ = rows_of(record, top_k)
        scores = ranker.scores(rows)
        pool = np.argsort(-scores, kind="stable")[:JUDGE_POOL]
        if not labels[pool].any():
            continue
        kept = [c for c in record["lines"] if c["chunk_rank"] < top_k]
        logits = judge.logits(record["question"], [kept[i]["text"] for i in pool])
        found.append(JudgedQuestion(scores[pool], logits, labels[pool].astype(bool)))
    return found


def top_k_accuracy(questions: Sequence[JudgedQuestion], weight: float, k: int) -> float:
    """Share of questions with an answer line among the `k` best by ranker + weight x judge.

    >>> q = JudgedQuestion(np.array([2.0, 1.0]), np.array([0.0, 2.0]), np.array([False, True]))
    >>> top_k_accuracy([q], 0.0, 1), top_k_accuracy([q], 1.0, 1)
    (0.0, 1.0)
    """
    hits = [
        q.labels[np.argsort(-(q.rank_scores + weight * q.logits), kind="stable")[:k]].any()
        for q in questions
    ]
    return float(np.mean(hits))


def negative_log_likelihood(questions: Sequence[JudgedQuestion], weight: float) -> float:
    """Mean -log of the softmax mass on each question's answer lines.

    >>> q = JudgedQuestion(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([True, False]))
    >>> round(negative_log_likelihood([q], 1.0), 3)
    0.693
    """
    losses = []
    for q in questions:
        z = q.rank_scores + weight * q.logits
        p = np.exp(z - z.max())
        losses.append(-np.log(max(float(p[q.labels].sum() / p.sum()), 1e-12)))
    return float(np.mean(losses))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.judge_lines", description=__doc__)
    parser.add_argument("fit", type=Path, help="the train-built collection (its held-out fifth)")
    parser.add_argument("others", type=Path, nargs="*", help="collections only scored")
    args = parser.parse_args(argv)
    judge = LineJudge()
    fit_records = [r for r in load_collected(args.fit) if held_out(r["id"])]
    sets = {f"{args.fit.name} (held-out fifth)": judged_questions(fit_records, judge)}
    sets |= {p.name: judged_questions(load_collected(p), judge) for p in args.others}
    print("| weight | " + " | ".join(f"{name}: top-1 / top-3 / NLL" for name in sets) + " |")
    print("|---:|" + "---:|" * len(sets))
    for weight in WEIGHTS:
        cells = [
            f"{top_k_accuracy(qs, weight, 1):.3f} / {top_k_accuracy(qs, weight, 3):.3f} / "
            f"{negative_log_likelihood(qs, weight):.3f}"
            for qs in sets.values()
        ]
        print(f"| {weight:.2f} | " + " | ".join(cells) + " |")
    fitted = next(iter(sets.values()))
    best = min(np.arange(0.0, 2.05, 0.05), key=lambda w: negative_log_likelihood(fitted, w))
    print(f"questions: {', '.join(f'{n} {len(q)}' for n, q in sets.items())}")
    print(f"fitted weight (least NLL on the held-out fifth, steps of 0.05): {best:.2f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
