"""Pick the sentences that answer a question out of the retrieved chunks.

Each chunk is split into sentences (offsets stay file offsets). A sentence scores its cosine
similarity to the question plus an IDF-weighted share of the question's words it contains;
near-duplicate sentences from other articles (the same wire story in another outlet) are
folded into the best one, so the model sees diverse evidence and the answer can cite every
outlet that carries the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.sentences import split_sentences
from qa.lexical import stems, weighted_overlap
from qa.types import Evidence

LEXICAL_WEIGHT = 1.0
FURNITURE_PENALTY = 0.3  # page furniture (appeals, text after the story) ranks below story text
NEAR_DUPLICATE_COSINE = 0.82
NEAR_DUPLICATE_JACCARD = 0.5
MIN_SENTENCE_TERMS = 3


@dataclass(frozen=True)
class RetrievedChunk:
    id: str
    source: str
    start: int
    end: int
    text: str
    title: str | None
    outlet: str | None
    date: str | None
    score: float
    furniture: bool = False


def chunk_sentences(chunks: Sequence[RetrievedChunk]) -> list[Evidence]:
    """Every distinct sentence of the chunks, with file offsets, in retrieval order.

    >>> text = "Cats eat fish daily. Dogs bark."
    >>> c = RetrievedChunk("i", "a.txt", 10, 46, text, None, None, None, 1)
    >>> [(e.start, e.end, e.text) for e in chunk_sentences([c])]
    [(10, 30, 'Cats eat fish daily.')]
    >>> said = "Peskov met reporters. He said no eternal war."
    >>> two = RetrievedChunk("j", "b.txt", 0, 40, said, None, None, None, 1)
    >>> [e.before for e in chunk_sentences([two])]
    ['', 'Peskov met reporters.']
    """
    seen: set[tuple[str, int]] = set()
    found: list[Evidence] = []
    for chunk in chunks:
        before = ""
        for start, end in split_sentences(chunk.text):
            text, previous, before = chunk.text[start:end], before, chunk.text[start:end]
            key = (chunk.source, chunk.start + start)
            if key in seen or len(stems(text)) < MIN_SENTENCE_TERMS:
                continue
            seen.add(key)
            found.append(
                Evidence(
                    chunk.source,
                    chunk.title,
                    chunk.outlet,
                    chunk.date,
                    chunk.start + start,
                    chunk.start + end,
                    text,
                    before=previous,
                    furniture=chunk.furniture,
                )
            )
    return found


def jaccard(a: str, b: str) -> float:
    """Overlap of two texts' content stems.

    >>> jaccard("Peskov said no eternal war", "Peskov: no eternal war wanted")
    0.6
    """
    sa, sb = stems(a), stems(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def rank_evidence(
    question: str,
    question_vector: np.ndarray,
    sentences: Sequence[Evidence],
    vectors: np.ndarray,
    idf: dict[str, float],
    *,
    unknown_idf: float,
) -> list[tuple[Evidence, np.ndarray]]:
    """Sentences with their score set, best first, each paired with its vector."""
    if not sentences:
        return []
    dense = vectors @ question_vector
    scored = []
    for sentence, vector, cosine in zip(sentences, vectors, dense, strict=True):
        lexical = weighted_overlap(question, sentence.text, idf, unknown=unknown_idf)
        score = float(cosine) + LEXICAL_WEIGHT * lexical - FURNITURE_PENALTY * sentence.furniture
        rounded = replace(
            sentence,
            score=round(score, 4),
            cosine=round(float(cosine), 4),
            lexical=round(lexical, 4),
        )
        scored.append((rounded, vector))
    scored.sort(key=lambda pair: -pair[0].score)
    return scored


def fold_near_duplicates(ranked: Sequence[tuple[Evidence, np.ndarray]]) -> list[Evidence]:
    """Keep the best sentence of each claim; its versions in other articles go into `also`."""
    heads: list[tuple[Evidence, np.ndarray, list[Evidence]]] = []
    for sentence, vector in ranked:
        for head, head_vector, also in heads:
            same_claim = (
                float(vector @ head_vector) >= NEAR_DUPLICATE_COSINE
                or jaccard(sentence.text, head.text) >= NEAR_DUPLICATE_JACCARD
            )
            if same_claim:
                if sentence.source != head.source:
                    also.append(sentence)
                break
        else:
            heads.append((sentence, vector, []))
    return [replace(head, also=tuple(also)) for head, _, also in heads]


def rerank_chunks(
    chunks: Sequence[RetrievedChunk], ranked: Sequence[Evidence]
) -> list[RetrievedChunk]:
    """Chunks in the order of their best sentence in `ranked` (ranked best first); chunks
    with no ranked sentence keep their retrieval order, after the others.

    >>> a = RetrievedChunk("a", "f.txt", 0, 20, "x", None, None, None, 0.9)
    >>> b = RetrievedChunk("b", "f.txt", 20, 40, "y", None, None, None, 0.5)
    >>> best = Evidence("f.txt", None, None, None, 22, 30, "y", score=1.4)
    >>> [c.id for c in rerank_chunks([a, b], [best])]
    ['b', 'a']
    """
    first: dict[str, int] = {}
    for position, sentence in enumerate(ranked):
        for chunk in chunks:
            inside = chunk.start <= sentence.start < chunk.end
            if chunk.source == sentence.source and inside and chunk.id not in first:
                first[chunk.id] = position
    order = {chunk.id: i for i, chunk in enumerate(chunks)}
    last = len(ranked)
    return sorted(chunks, key=lambda c: (first.get(c.id, last), order[c.id]))


def chunk_ranks(chunks: Sequence[RetrievedChunk], lines: Sequence[Evidence]) -> list[int]:
    """For each line, the retrieval rank (0 = first) of the chunk it comes from.

    >>> a = RetrievedChunk("a", "f.txt", 0, 20, "x", None, None, None, 0.9)
    >>> b = RetrievedChunk("b", "g.txt", 0, 40, "y", None, None, None, 0.5)
    >>> chunk_ranks([a, b], [Evidence("g.txt", None, None, None, 5, 9, "y")])
    [1]
    """
    ranks = []
    for line in lines:
        found = (
            i
            for i, c in enumerate(chunks)
            if c.source == line.source and c.start <= line.start < c.end
        )
        ranks.append(next(found, len(chunks)))
    return ranks
