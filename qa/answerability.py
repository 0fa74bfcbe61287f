"""Is any retrieved sentence close enough to the question to try answering it? (the gate)

The gate score is the best evidence score of the question's retrieved sentences: embedding
cosine plus the IDF-weighted share of the question's words the sentence holds (`qa.evidence`).
Its threshold was chosen on outside data only (`python -m eval.calibrate`: 292 questions of
../shared/outside-dev and 288 built from ../shared/train the same way), as the value that
keeps 95% of the pooled answerable questions; the gold set was not used. Measured there
(ROC AUC, answerable against unanswerable): best score 0.894 / 0.979 (outside-dev / train),
best cosine alone 0.876 / 0.966, and two corpus-relative variants that subtract how close the
question comes to a sample of the corpus's own chunks (`background_cosines`): the best cosine
minus that sample's 99th percentile 0.847 / 0.906, the best score minus its mean 0.891 / 0.979.
Neither relative form beat the plain score, so the plain score decides; they stay here as
candidates that `eval.calibrate` re-measures.

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
        "score_over_background": best_score
        - (float(background.mean()) if background.size else 0.0),
    }


def worth_answering(evidence: list[Evidence], *, threshold: float) -> bool:
    """Whether the best retrieved sentence is close enough to try answering (the gate). The
    default threshold (`Settings.min_evidence_score`, 0.79) keeps 95% of the pooled outside
    answerable questions (90% of outside-dev's, 100% of the train-built set's) and refuses
    66% of the unanswerable ones (69% / 64%) on its own.

    >>> line = Evidence("a.txt", None, None, None, 0, 5, "Text.", score=0.95)
    >>> worth_answering([line], threshold=0.79), worth_answering([], threshold=0.79)
    (True, False)
    """
    return bool(evidence) and max(e.score for e in evidence) >= threshold
