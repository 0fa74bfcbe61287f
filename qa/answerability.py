"""Is any retrieved sentence close enough to the question to try answering it? (the gate)

The score is the best embedding cosine between the question and a retrieved sentence,
taken relative to how close the question comes to the corpus as a whole: the cosine of the
question with a fixed sample of the corpus's own chunk vectors (`background`). A question
that is near everything (a generic one) must come nearer its best sentence than one that is
near nothing, so the decision does not depend on the corpus's topic or size. The threshold
was chosen on outside data (`python -m eval.calibrate`: ../shared/outside-dev and a set
built from ../shared/train), never on the gold set.

It deliberately decides only "is the topic here at all"; whether the fact is here is for the
reader (an instruct model answers "Not stated") and the verification of its answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qa.types import Evidence

if TYPE_CHECKING:
    from qa.engine import Engine

BACKGROUND_CHUNKS = 2000  # chunk vectors sampled from the store, once per index version
BACKGROUND_QUANTILE = 0.99


def relative_closeness(best_cosine: float, background_cosines: np.ndarray) -> float:
    """How far the best sentence stands above the question's closeness to the corpus:
    `best - quantile(background, 0.99)`.

    >>> round(relative_closeness(0.7, np.array([0.1, 0.2, 0.3])), 3)
    0.402
    """
    if background_cosines.size == 0:
        return best_cosine
    return best_cosine - float(np.quantile(background_cosines, BACKGROUND_QUANTILE))


def answerability_scores(
    engine: Engine, question: str, evidence: list[Evidence]
) -> dict[str, float]:
    """The candidate gate scores for one question (what `eval.calibrate` compares)."""
    best_cosine = max((e.cosine for e in evidence), default=0.0)
    best_score = max((e.score for e in evidence), default=0.0)
    background = engine.background_cosines(question)
    return {
        "best_cosine": best_cosine,
        "best_score": best_score,
        "relative_cosine": relative_closeness(best_cosine, background),
        "background_p99": float(np.quantile(background, 0.99)) if background.size else 0.0,
    }


# Chosen with `python -m eval.calibrate` on outside data (see the module doc and README).
GATE_SCORE = "relative_cosine"
GATE_THRESHOLD = 0.0


def worth_answering(engine: Engine, question: str, evidence: list[Evidence]) -> bool:
    """Whether the best retrieved sentence is close enough to try answering (the gate)."""
    if not evidence:
        return False
    return answerability_scores(engine, question, evidence)[GATE_SCORE] >= GATE_THRESHOLD
