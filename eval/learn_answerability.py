"""A learned answer probability, measured against the evidence-score refusal rules (not
shipped; those rules were shipped until the gate moved to the ranker's score on 2026-12-06).

`python -m eval.learn_answerability TRAIN_COLLECTED [OUTSIDE_COLLECTED ...]
[--train-report REPORT] [--end-to-end COLLECTED REPORT ...]`

An experiment. In extractive mode newsqa refuses a question past the gate when the learned
ranker gives its first line less than `Settings.unsure_line` (0.25) of its probability while
no sentence scores `Settings.sure_evidence_score` (1.0). This script asks whether one
logistic model over seven features of the question's candidates (`ANSWER_FEATURES`: the gate
score, the ranker's probability of its first line and that line's raw score, its cosine and
word overlap, whether it supplies the kind of answer asked for, how close its closest new
word is to a "which <class>" question's class) decides better. It did not, end to end, on
outside-dev (README, "Measured and not built"), so newsqa keeps the two thresholds.

Reads collections of `python -m eval.learn_ranker collect`; orders each question's
candidates by the shipped ranker. Labels: "the first line holds the answer" (false for every
unanswerable question), or, with `--train-report`, what newsqa answered right end to end in
an evaluation run with the refusal off (`NEWSQA_UNSURE_LINE=0`; questions it abstained on
anyway are left out). Fitted on the train-built collection only (`eval.train_set`), first
without its held-out fifth (`eval.train_set.held_out`) to score that fifth, then on all of
it. Prints ROC AUC beside the gate score's and the ranker probability's, then right / wrong
/ answered unanswerable for the evidence-score rule, the gate alone and thresholds on the
learned probability; `--end-to-end COLLECTED REPORT` replays the same decisions on the outcomes of
such a run (the train-built collection on its held-out fifth, with the model fitted
without it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.calibrate import roc_auc
from eval.learn_ranker import candidate_lines, load_collected, offline_similarity, rows_of
from eval.train_set import held_out
from index.settings import load_settings
from qa.answer_type import Similarity, supplies
from qa.line_checks import first_line_probability
from qa.ranker import Ranker, class_closeness, question_parts, shipped_ranker
from qa.types import Evidence

ANSWER_FEATURES = (
    "best_score",
    "first_probability",
    "first_rank_score",
    "first_cosine",
    "first_lexical",
    "first_supplies_kind",
    "first_names_asked_class",
)
_SHIPPED = load_settings()  # the evidence-score rule's settings (the gate before 2026-12-06)
GATE, UNSURE_LINE, SURE_SCORE = (
    _SHIPPED.min_evidence_score,
    _SHIPPED.unsure_line,
    _SHIPPED.sure_evidence_score,
)
THRESHOLDS = (0.15, 0.2, 0.22, 0.25, 0.28, 0.3, 0.35, 0.4, 0.5)
L2 = 0.1
STEPS = 600
LEARNING_RATE = 0.5


def answer_features(
    question: str, first: Evidence, sentences: Sequence[Evidence], similarity: Similarity | None
) -> list[float] | None:
    """The `ANSWER_FEATURES` of a question whose answer would be `first`, among every
    candidate sentence (scored by the learned ranker); None when the ranker did not score
    them.

    >>> a = Evidence("a.txt", None, None, None, 0, 9, "Hamlin plays for the Buffalo Bills.",
    ...              score=1.2, cosine=0.7, lexical=0.5, rank_score=3.0)
    >>> b = replace(a, text="The game was stopped.", score=0.6, rank_score=0.5)
    >>> [round(v, 3) for v in answer_features("Which team does Hamlin play for?", a, [a, b], None)]
    [1.2, 0.924, 3.0, 0.7, 0.5, 1.0, 0.0]
    """
    probability = first_line_probability(first, sentences)
    if probability is None:
        return None
    parts = question_parts(question)
    return [
        max(s.score for s in (first, *sentences)),
        probability,
        first.rank_score,
        first.cosine,
        first.lexical,
        float(supplies(question, first.text, parts.kind)),
        class_closeness(parts, [first], similarity)[0],
    ]


@dataclass(frozen=True)
class AnswerModel:
    """A logistic model: a linear score over standardised features (a `Ranker`'s arithmetic)
    plus a bias, through the logistic function."""

    linear: Ranker
    bias: float

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """P(answered right), one per feature row.

        >>> one = Ranker(("a",), np.zeros(1), np.ones(1), np.ones(1))
        >>> AnswerModel(one, 0.0).probability(np.array([[0.0], [2.0]])).round(3).tolist()
        [0.5, 0.881]
        """
        return 1.0 / (1.0 + np.exp(-(self.linear.scores(rows) + self.bias)))


@dataclass(frozen=True)
class Question:
    """One collected question as the decision sees it."""

    id: str
    answerable: bool
    right: bool  # the ranker's first line holds the answer
    features: np.ndarray  # `ANSWER_FEATURES`

    @property
    def best_score(self) -> float:
        return float(self.features[ANSWER_FEATURES.index("best_score")])

    @property
    def first_probability(self) -> float:
        return float(self.features[ANSWER_FEATURES.index("first_probability")])


def question_of(record: dict[str, Any]) -> Question | None:
    """A collected question with its first line by the shipped ranker; None when it has no
    candidate."""
    rows, labels, _ = rows_of(record, 12)
    if not len(labels):
        return None
    scores = shipped_ranker().scores(rows)
    lines = [
        replace(line, rank_score=round(float(score), 4))
        for line, score in zip(candidate_lines(record, 12), scores, strict=True)
    ]
    first = int(np.argmax(scores))
    values = answer_features(
        record["question"], lines[first], lines, offline_similarity().similarity
    )
    if values is None:
        return None
    return Question(
        record["id"],
        bool(record["answerable"]),
        bool(record["answerable"] and labels[first]),
        np.asarray(values, dtype=np.float64),
    )


def questions_of(path: Path) -> list[Question]:
    found = [question_of(record) for record in load_collected(path)]
    return [q for q in found if q is not None]


def fit_logistic(rows: np.ndarray, labels: np.ndarray, *, l2: float = L2) -> AnswerModel:
    """Logistic regression by gradient descent on standardised rows, small L2.

    >>> rows = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = fit_logistic(rows, np.array([0.0, 0.0, 1.0, 1.0]))
    >>> (model.probability(rows) > 0.5).tolist()
    [False, False, True, True]
    """
    mean, scale = rows.mean(axis=0), rows.std(axis=0) + 1e-6
    x = (rows - mean) / scale
    weights, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
        weights -= LEARNING_RATE * (x.T @ (p - labels) + l2 * weights) / len(labels)
        bias -= LEARNING_RATE * float(np.mean(p - labels))
    return AnswerModel(Ranker(ANSWER_FEATURES, mean, scale, weights), bias)


def fitted(questions: Sequence[Question]) -> AnswerModel:
    rows = np.vstack([q.features for q in questions])
    return fit_logistic(rows, np.array([q.right for q in questions], dtype=np.float64))


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """`eval.calibrate.roc_auc` of the scores whose label is true against the rest.

    >>> auc([0.9, 0.2, 0.5], [True, False, False]), auc([0.1, 0.5], [True, False])
    (1.0, 0.0)
    """
    pairs = list(zip(scores, labels, strict=True))
    return roc_auc([s for s, y in pairs if y], [s for s, y in pairs if not y])


def counts(questions: Sequence[Question], answered: Sequence[bool]) -> str:
    """right / wrong / answered unanswerable among the questions answered."""
    kept = [q for q, a in zip(questions, answered, strict=True) if a]
    right = sum(q.right for q in kept)
    wrong = sum(q.answerable and not q.right for q in kept)
    return f"{right} / {wrong} / {sum(not q.answerable for q in kept)}"


def evidence_score_rule(q: Question) -> bool:
    sure = q.first_probability >= UNSURE_LINE or q.best_score >= SURE_SCORE
    return q.best_score >= GATE and sure


def table(name: str, questions: Sequence[Question], model: AnswerModel) -> str:
    p = model.probability(np.vstack([q.features for q in questions]))
    right = [q.right for q in questions]
    answerable = [q.answerable for q in questions]
    best = [q.best_score for q in questions]
    lines = [
        f"{name}: {len(questions)} questions, {sum(right)} with a right first line",
        f"ROC AUC, right first line against the rest: gate score {auc(best, right):.3f}, "
        f"ranker probability {auc([q.first_probability for q in questions], right):.3f}, "
        f"learned {auc(list(p), right):.3f}",
        f"ROC AUC, answerable against unanswerable: gate score {auc(best, answerable):.3f}, "
        f"learned {auc(list(p), answerable):.3f}",
        "right / wrong / answered unanswerable (first line only)",
        f"  evidence-score rule (gate {GATE}, ranker probability {UNSURE_LINE} unless a score "
        f"{SURE_SCORE}): {counts(questions, [evidence_score_rule(q) for q in questions])}",
        f"  gate {GATE} alone: {counts(questions, [b >= GATE for b in best])}",
    ]
    gate = np.array(best) >= GATE
    for threshold in THRESHOLDS:
        alone = counts(questions, list(p >= threshold))
        with_gate = counts(questions, list((p >= threshold) & gate))
        lines.append(f"  learned >= {threshold:.2f}: {alone}; with the gate: {with_gate}")
    return "\n".join(lines)


def end_to_end_outcomes(report: Path) -> dict[str, str]:
    """Each question's outcome in an evaluation report (`eval/runs/*/report.json`) run with
    the refusal off (`NEWSQA_UNSURE_LINE=0`): right, wrong, unanswerable (answered
    though it should not be) or abstained (by the gate or the answer checks)."""
    results = json.loads(report.read_text(encoding="utf-8"))["systems"]["newsqa"]["results"]

    def outcome(result: dict[str, Any]) -> str:
        if result["abstained"]:
            return "abstained"
        if result["kind"] != "answerable":
            return "unanswerable"
        return "right" if result["correct"] else "wrong"

    return {result["id"]: outcome(result) for result in results}


def end_to_end_table(
    name: str, questions: Sequence[Question], outcomes: dict[str, str], model: AnswerModel
) -> str:
    """right / wrong / answered unanswerable end to end: what the run with the refusal off
    answered, less what each rule would have refused."""
    kept = [q for q in questions if q.id in outcomes]
    p = model.probability(np.vstack([q.features for q in kept]))

    def tally(answered: Sequence[bool]) -> str:
        got = [outcomes[q.id] for q, a in zip(kept, answered, strict=True) if a]
        return " / ".join(str(got.count(k)) for k in ("right", "wrong", "unanswerable"))

    lines = [
        f"{name}, end to end: {len(kept)} questions",
        f"  no refusal: {tally([True] * len(kept))}",
        f"  evidence-score rule: {tally([evidence_score_rule(q) for q in kept])}",
    ]
    lines += [f"  learned >= {t:.2f}: {tally(list(p >= t))}" for t in THRESHOLDS]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.learn_answerability")
    parser.add_argument("train", help="the train-built collection (eval.learn_ranker collect)")
    parser.add_argument("outside", nargs="*", help="collections to score, never fitted on")
    parser.add_argument(
        "--end-to-end",
        nargs=2,
        action="append",
        default=[],
        metavar=("COLLECTED", "REPORT"),
        help="a collection and the report.json of an evaluation of the same questions run "
        "with NEWSQA_UNSURE_LINE=0",
    )
    parser.add_argument(
        "--train-report",
        help="the report.json of the train-built questions answered end to end with "
        "NEWSQA_UNSURE_LINE=0: fit to its right answers, not to right first lines",
    )
    args = parser.parse_args(argv)
    train = questions_of(Path(args.train))
    if args.train_report:  # what newsqa answered right, among the questions it answered
        outcomes = end_to_end_outcomes(Path(args.train_report))
        train = [
            replace(q, right=outcomes[q.id] == "right")
            for q in train
            if outcomes.get(q.id, "abstained") != "abstained"
        ]
    held = [q for q in train if held_out(q.id)]
    without_held = fitted([q for q in train if not held_out(q.id)])
    print(table("train-built, held-out fifth", held, without_held))
    final = fitted(train)
    for name, weight in zip(ANSWER_FEATURES, final.linear.weights, strict=True):
        print(f"  {name:26s} {weight:+.3f}")
    for path in args.outside:
        print("\n" + table(path, questions_of(Path(path)), final))
    for collected, report in args.end_to_end:
        outcomes = end_to_end_outcomes(Path(report))
        # the train-built collection is scored on its held-out fifth by the model fitted without it
        scored, model = (held, without_held) if collected == args.train else (None, final)
        questions = scored if scored is not None else questions_of(Path(collected))
        print("\n" + end_to_end_table(collected, questions, outcomes, model))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
