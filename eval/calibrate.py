"""Calibrate the answerability gate on outside data: `python -m eval.calibrate`.

Two question sets nobody on the project wrote are answered up to retrieval, and for each
question the scores the gate could use are recorded:

- `outside-dev`: `../shared/outside-dev/` (685 articles, 256 answerable and 36 unanswerable
  questions);
- `train`: built from `../shared/train/` the way outside-dev was built: the search-result
  pages of the July-September 2022 questions form a corpus (written under the user's cache,
  never the repository); those questions whose answer string is in their own search pages
  are answerable, and the
  November-December 2022 questions whose answer string is not in it are unanswerable (asked
  of a corpus from months before). "Which of the following" questions are dropped.

It prints each score's ROC AUC on each set and, for candidate thresholds, the share of
answerable questions kept and of unanswerable ones refused, pooled over both sets. The gate
threshold (`Settings.min_evidence_score`, see `qa.answerability`) was chosen from that table;
the gold set was not used.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.train_set import CHOICE_QUESTION, outside_question, slug, write_questions

SHARED = Path(__file__).resolve().parents[2] / "shared"
OUTSIDE = SHARED / "outside-dev"
TRAIN = SHARED / "train" / "realtimeqa-2020-2022.jsonl"


def build_train_set(train: Path, folder: Path) -> Path:
    """Write the train-derived corpus into `folder`/corpus and its questions file; return
    the questions file (outside format)."""
    items = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines()]
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    pages: dict[str, str] = {}
    for item in items:
        if not ("2022/07" <= item["date"][:7] <= "2022/09"):
            continue
        for result in item["search_results"]:
            name = f"{len(pages):04d}_{slug(result['title'])}.txt"
            body = f"{result['title']}\n\n{result['text']}"
            if body in texts:
                continue
            pages[name] = body
            texts.append(body)
    for name, body in pages.items():
        (corpus / name).write_text(body, encoding="utf-8")
    lowered = {name: body.lower() for name, body in pages.items()}
    questions, seen = [], set()
    for item in items:
        if CHOICE_QUESTION.search(item["question"]) or not item["answer"].strip():
            continue
        answer = item["answer"].lower()
        gold = [name for name, body in lowered.items() if answer in body]
        own = [r for r in item["search_results"] if answer in r["text"].lower()]
        month = item["date"][:7]
        if "2022/07" <= month <= "2022/09" and gold and own:
            kind = "fact"
        elif "2022/11" <= month <= "2022/12" and not gold:
            kind = "abstain"
        else:
            continue
        if item["id"] in seen:  # the source repeats questions, some with their pages
            continue
        seen.add(item["id"])
        questions.append(outside_question(item, kind, gold))
    return write_questions(folder / "questions.jsonl", questions)


def roc_auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half).

    >>> roc_auc([0.9, 0.8], [0.1, 0.85])
    0.75
    """
    if not positive or not negative:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


BACKGROUND_CHUNKS = 2000  # chunk vectors sampled evenly from the store
BACKGROUND_QUANTILE = 0.99


def background_sample(store: Any) -> np.ndarray:
    """Up to `BACKGROUND_CHUNKS` stored chunk vectors, spread evenly over the collection."""
    total = store.chunks.count()
    if total == 0:
        return np.zeros((0, 384), dtype=np.float32)
    step = max(1, total // BACKGROUND_CHUNKS)
    vectors = []
    for offset in range(0, total, step * 200):
        page = store.chunks.get(limit=step * 200, offset=offset, include=["embeddings"])
        vectors.extend(page["embeddings"][::step])
    return np.asarray(vectors[:BACKGROUND_CHUNKS], dtype=np.float32)


def relative_closeness(best_cosine: float, background_cosines: np.ndarray) -> float:
    """How far the best sentence stands above the question's closeness to the corpus:
    `best - quantile(background, 0.99)`.

    >>> round(relative_closeness(0.7, np.array([0.1, 0.2, 0.3])), 3)
    0.402
    """
    if background_cosines.size == 0:
        return best_cosine
    return best_cosine - float(np.quantile(background_cosines, BACKGROUND_QUANTILE))


def candidate_scores(evidence: Sequence[Any], background: np.ndarray) -> dict[str, float]:
    """The gate scores compared for one question: the plain best score and cosine, and two
    corpus-relative forms (`background`: the question's cosines to the corpus sample)."""
    best_cosine = max((e.cosine for e in evidence), default=0.0)
    best_score = max((e.score for e in evidence), default=0.0)
    return {
        "best_cosine": best_cosine,
        "best_score": best_score,
        "relative_cosine": relative_closeness(best_cosine, background),
        "background_p99": float(np.quantile(background, 0.99)) if background.size else 0.0,
        "score_over_background": best_score
        - (float(background.mean()) if background.size else 0.0),
    }


def question_scores(corpus: Path, questions: Path) -> list[tuple[bool, dict[str, float]]]:
    """(answerable, scores) per question, retrieval only (no LLM)."""
    from eval.runner import load_gold, scratch_store
    from index.ingest import ingest
    from index.settings import load_settings
    from qa.engine import get_engine

    settings = load_settings(corpus_dir=corpus, store_dir=scratch_store(corpus))
    ingest(settings)
    engine = get_engine(settings)
    sample = background_sample(engine.store)
    rows = []
    for gold in load_gold(questions):
        evidence, _ = engine.gather(gold.question)
        background = sample @ engine.encoder.encode([gold.question])[0]
        rows.append((gold.answerable, candidate_scores(evidence, background)))
    return rows


def report(sets: dict[str, list[tuple[bool, dict[str, float]]]]) -> str:
    lines = []
    names = sorted({k for rows in sets.values() for _, scores in rows for k in scores})
    for set_name, rows in sets.items():
        yes = sum(a for a, _ in rows)
        lines.append(f"## {set_name}: {yes} answerable, {len(rows) - yes} unanswerable")
        for name in names:
            pos = [s[name] for a, s in rows if a]
            neg = [s[name] for a, s in rows if not a]
            lines.append(f"  AUC {name}: {roc_auc(pos, neg):.3f}")
    pooled = [row for rows in sets.values() for row in rows]
    for name in names:
        kept_scores = np.array([s[name] for a, s in pooled if a])
        refused_scores = np.array([s[name] for a, s in pooled if not a])
        lines.append(f"## pooled thresholds on {name}: keep answerable / refuse unanswerable")
        for keep in (0.85, 0.88, 0.9, 0.92, 0.95):
            threshold = float(np.quantile(kept_scores, 1 - keep))
            refused = float((refused_scores < threshold).mean())
            per_set = ", ".join(
                f"{set_name} {np.mean([s[name] >= threshold for a, s in rows if a]):.0%}"
                f"/{np.mean([s[name] < threshold for a, s in rows if not a]):.0%}"
                for set_name, rows in sets.items()
            )
            lines.append(f"  {threshold:.4f}: {keep:.0%} / {refused:.0%}  ({per_set})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="also write the scores as JSON")
    args = parser.parse_args(argv)
    folder = Path.home() / ".cache" / "newsqa" / "calibration" / "train-2022"
    train_questions = build_train_set(TRAIN, folder)
    sets = {
        "outside-dev": question_scores(OUTSIDE / "corpus", OUTSIDE / "questions.jsonl"),
        "train": question_scores(folder / "corpus", train_questions),
    }
    if args.out:
        args.out.write_text(json.dumps(sets), encoding="utf-8")
    print(report(sets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
