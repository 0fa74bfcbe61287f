"""Is any retrieved sentence close enough to the question to try answering it? (the gate)

With learned ranking (the default) the gate reads the ranker's score of the best sentence
(`Evidence.rank_score`) against the gate fitted with the ranker (`qa/ranker.json`'s "gate",
`qa.ranker.gate_for`): the 32nd percentile of the best scores of the 1,268 train-built
questions (`eval.learn_ranker.GATE_PERCENTILE`). That score separates answerable from
unanswerable questions better than the evidence score below (ROC AUC, outside-dev / train-built
/ gold: 0.922 / 0.788 / 0.915, against 0.890 / 0.760 / 0.738), because it also weighs the
answer encoder's cosine and whether the line brings what is asked. The percentile was chosen
end to end (README, "The gate on the ranker's score"). Without learned ranking, and for
questions about an article's date, outlet or author, the evidence score decides:

The gate score is the best evidence score of the question's retrieved sentences: embedding
cosine plus the IDF-weighted share of the question's words the sentence holds (`qa.evidence`).
Its threshold was chosen on outside data only (`python -m eval.calibrate`: 292 questions of
../shared/outside-dev and 288 built from ../shared/train the same way), as the value that
keeps 95% of the pooled answerable questions; the gold set was not used. Measured there
(ROC AUC, answerable against unanswerable): best score 0.894 / 0.979 (outside-dev / train),
best cosine alone 0.876 / 0.966, and two corpus-relative variants that subtract how close the
question comes to a sample of the corpus's own chunks: the best cosine minus that sample's
99th percentile 0.847 / 0.906, the best score minus its mean 0.891 / 0.979. Neither relative
form beat the plain score, so the plain score decides; `eval.calibrate.candidate_scores`
re-measures them all.

It deliberately decides only "is the topic here at all"; whether the fact is here is for the
reader (an instruct model answers "Not stated") and the verification of its answer.
"""

from __future__ import annotations

from qa.types import Evidence


def worth_answering(
    evidence: list[Evidence], *, threshold: float, ranker_threshold: float | None = None
) -> bool:
    """Whether the best retrieved sentence is close enough to try answering (the gate): its
    learned ranker score reaches `ranker_threshold` when one is given (`qa.ranker.gate_for`),
    else its evidence score reaches `threshold` (`Settings.min_evidence_score`, 0.79: it
    keeps 95% of the pooled outside answerable questions, 90% of outside-dev's and 100% of
    the train-built set's, and refuses 66% of the unanswerable ones, 69% / 64%, on its own).

    >>> line = Evidence("a.txt", None, None, None, 0, 5, "Text.", score=0.95, rank_score=4.0)
    >>> worth_answering([line], threshold=0.79), worth_answering([], threshold=0.79)
    (True, False)
    >>> worth_answering([line], threshold=0.79, ranker_threshold=5.0)
    False
    """
    if not evidence:
        return False
    if ranker_threshold is not None:
        return max(e.rank_score for e in evidence) >= ranker_threshold
    return max(e.score for e in evidence) >= threshold
