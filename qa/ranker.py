"""The learned evidence ranker: which retrieved sentence most likely holds the answer (pure).

Each candidate sentence gets a handful of corpus-independent features: how close it is to the
question in meaning and in words (and how far below the best candidate), whether it or the
sentence before it names the question's names and figures, whether it supplies a new name or
figure where the question asks for one, how close in meaning its closest new word is to the
class a "which <class>" question asks for ("Pakistan" to "country", "Southwest" to "airline": a
learned stand-in for a list of named classes), its length, how much earlier in its article it
stands than the question's other candidates in theirs, how high its chunk was retrieved, whether
it is page furniture, and its cosine to the question under a second MiniLM fine-tuned to match
questions to the sentences that answer them (`answer_encoder.onnx` beside this file; card
`eval/ANSWER_ENCODER.md`). A linear model scores them; sentences are ordered by that score. It
was fitted listwise (softmax over one question's candidates); whether to answer at all is the
gate's (`qa.answerability`): the best line's score against the gate fitted with these weights
(`gate_for`).

The weights (`ranker.json` beside this file) were fitted by `python -m eval.learn_ranker` on
the pipeline's own candidates for questions built from ../shared/train (`eval.train_set`);
`eval/RANKER.md` is the card: data, training time, what it scores on outside news.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.settings import Settings
from qa.absence import question_entities
from qa.answer_type import Kind, Similarity, expected_kind, names, new_names, supplies
from qa.lexical import STOPWORDS, fold_accents, words
from qa.types import Evidence

if TYPE_CHECKING:
    from index.embed import OnnxMiniLM

WEIGHTS_FILE = Path(__file__).with_name("ranker.json")
ANSWER_ENCODER_FILE = Path(__file__).with_name("answer_encoder.onnx")


def open_answer_encoder(threads: int = 2) -> OnnxMiniLM:
    """The answer encoder, as the ranker was fitted with it and as it runs: one text a run.
    Its export quantizes a run's activations with one scale, so a text run beside others gets
    a slightly different vector (cosine down to 0.981); alone, a text's vector is a function
    of the text, and an answer does not depend on the questions asked before it."""
    from index.embed import OnnxMiniLM

    return OnnxMiniLM(threads=threads, model_path=ANSWER_ENCODER_FILE, rows_per_run=1)


FEATURES = (
    "cosine",
    "lexical",
    "cosine_gap",
    "lexical_gap",
    "entities_in_line",
    "entities_in_context",
    "entities_missing",
    "supplies_kind",
    "new_names",
    "new_figures",
    "log_words",
    "furniture",
    "question_like",
    "cosine_x_supplies",
    "earlier_than_candidates",
    "chunk_retrieved_first",
    "names_asked_class",
    "names_asked_class_gap",
    "answer_cosine",
    "answer_cosine_gap",
)


def _entity_found(entity: str, text: str) -> bool:
    folded = fold_accents(entity).lower()
    return re.search(rf"(?<!\w){re.escape(folded)}", fold_accents(text).lower()) is not None


# Words that end the noun phrase after "which" / "what": verbs, prepositions, adverbs.
_CLASS_ENDS = (
    "is|was|are|were|has|have|had|will|would|did|does|do|can|could|should|of|to|in|on|at|for|"
    "that|who|from|by|with|recently|this|last|currently|now|just|reportedly|officially|"
    "announced|became|made|won|after|before|over|into|about|as|during|since|when|where|while|"
    "than|and|or|its|his|her|their|[a-z]+ed"
)
_ASKED_CLASS = re.compile(
    rf"\b(?:which|what)\s+((?:(?!(?:{_CLASS_ENDS})\b)[\w’'&.-]+\s+){{0,4}}?)(?:{_CLASS_ENDS})\b",
    re.IGNORECASE,
)


def asked_class(question: str) -> str | None:
    """The noun phrase a "which/what <class>" question asks for an instance of ("tech
    company", "European country"), or None. Whether a line names an instance of it is
    learned, not listed: the ranker weighs how close in meaning the line's new words are to
    the phrase (`class_closeness`).

    >>> asked_class("Which tech company confirmed it was laying off 10,000 employees?")
    'tech company'
    >>> asked_class("Hundreds were arrested in which country after the riots?")
    'country'
    >>> asked_class("What is the name of the ship?") is None
    True
    """
    found = _ASKED_CLASS.search(question)
    phrase = found.group(1).strip() if found else ""
    if not phrase or phrase.split()[0].lower() in ("the", "a", "an"):
        return None
    return phrase


@dataclass(frozen=True)
class QuestionParts:
    """What the features need of the question, worked out once per question."""

    text: str
    entities: tuple[str, ...]  # its names and figures (`qa.absence.question_entities`)
    kind: Kind | None  # the answer kind it asks for (`qa.answer_type.expected_kind`)
    words: frozenset[str]
    asked_class: str | None  # "tech company" of "which tech company ..."


def question_parts(question: str) -> QuestionParts:
    return QuestionParts(
        question,
        tuple(question_entities(question)),
        expected_kind(question),
        frozenset(words(question)),
        asked_class(question),
    )


def candidate_answers(question: QuestionParts, text: str) -> list[str]:
    """What in `text` could answer the question: its names and its content words that the
    question lacks, lower-cased (figures aside).

    >>> parts = question_parts("Which country had a nationwide power outage?")
    >>> candidate_answers(parts, "Millions in Pakistan lost power in the outage.")
    ['millions', 'pakistan', 'lost']
    """
    found = [name.lower() for name in new_names(question.text, text)]
    fresh = set(words(text)) - question.words - STOPWORDS
    found += sorted(w for w in fresh if len(w) > 2 and not w[0].isdigit() and w not in found)
    return found


def class_closeness(
    question: QuestionParts, lines: Sequence[Evidence], similarity: Similarity | None
) -> list[float]:
    """For each line, how close in meaning its closest `candidate_answers` is to the class
    the question asks for ("Pakistan" to "country"), 0 when the question names no class, the
    line has no candidate, or no `similarity` is given."""
    if question.asked_class is None or similarity is None:
        return [0.0] * len(lines)
    candidates = [candidate_answers(question, line.text) for line in lines]
    spelled = sorted({c for found in candidates for c in found})
    if not spelled:
        return [0.0] * len(lines)
    closeness = similarity([question.asked_class.lower()], spelled)[0]
    at = {c: i for i, c in enumerate(spelled)}
    return [max((float(closeness[at[c]]) for c in found), default=0.0) for found in candidates]


def features(
    question: QuestionParts,
    line: Evidence,
    *,
    best_cosine: float,
    best_lexical: float,
    chunk_rank: int = 0,
    class_close: float = 0.0,
    best_class_close: float = 0.0,
    answer_cosine: float | None = None,
    best_answer_cosine: float | None = None,
    mean_earliness: float,
) -> list[float]:
    """The feature vector of one candidate line, in `FEATURES` order (`answer_cosine`: the
    line's cosine to the question under the answer encoder; without one, its `cosine`;
    `mean_earliness`: the mean `earliness` of the question's candidates).

    >>> e = Evidence("a.txt", "Bills news", None, None, 0, 30, "Damar Hamlin plays for the "
    ...     "Buffalo Bills.", cosine=0.6, lexical=0.7)
    >>> f = features(question_parts("Which team does Damar Hamlin play for?"), e,
    ...     best_cosine=0.6, best_lexical=0.7, chunk_rank=0, mean_earliness=1.0)
    >>> dict(zip(FEATURES, f))["entities_in_line"], dict(zip(FEATURES, f))["supplies_kind"]
    (1.0, 1.0)
    """
    entities = question.entities
    context = f"{line.before} {line.text} {line.title or ''}"
    in_line = sum(_entity_found(e, line.text) for e in entities)
    in_context = sum(_entity_found(e, context) for e in entities)
    share = (lambda n: n / len(entities)) if entities else (lambda n: 1.0)
    supplied = float(supplies(question.text, line.text, question.kind))
    new_names = [n for n in names(line.text) if not set(words(n)) & question.words]
    line_words = words(line.text)
    answer_cosine = line.cosine if answer_cosine is None else answer_cosine
    best_answer_cosine = best_cosine if best_answer_cosine is None else best_answer_cosine
    new_figures = [w for w in line_words if w[0].isdigit() and w not in question.words]
    return [
        line.cosine,
        line.lexical,
        line.cosine - best_cosine,
        line.lexical - best_lexical,
        share(in_line),
        share(in_context),
        float(len(entities) - in_context),
        supplied,
        math.log1p(len(new_names)),
        math.log1p(len(new_figures)),
        math.log1p(len(line_words)),
        float(line.furniture),
        float(line.text.rstrip().endswith("?")),
        line.cosine * supplied,
        earliness(line) - mean_earliness,
        1.0 / (1.0 + chunk_rank),
        class_close,
        class_close - best_class_close,
        answer_cosine,
        answer_cosine - best_answer_cosine,
    ]


@dataclass(frozen=True)
class Ranker:
    """A linear model over standardised `FEATURES`, and the gate fitted with it: the score
    of a question's best line below which it is refused unanswered (None: no gate of its
    own; see `gate_for`)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    gate: float | None = None

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """One score per feature row: higher is likelier to hold the answer, among the
        candidates of one question."""
        if rows.shape[0] == 0:
            return np.zeros(0)
        return ((rows - self.mean) / self.scale) @ self.weights

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": list(self.names),
                "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(),
                "weights": self.weights.round(6).tolist(),
                **({"gate": round(self.gate, 4)} if self.gate is not None else {}),
            },
            indent=1,
        )


def ranker_from_json(text: str) -> Ranker:
    """A `Ranker` from its JSON; `ValueError` when it was fitted on other features."""
    data = json.loads(text)
    if tuple(data["features"]) != FEATURES:
        raise ValueError("the ranker weights were fitted on other features; refit them")
    return Ranker(
        FEATURES,
        np.asarray(data["mean"], dtype=np.float64),
        np.asarray(data["scale"], dtype=np.float64),
        np.asarray(data["weights"], dtype=np.float64),
        data.get("gate"),
    )


@cache
def shipped_ranker() -> Ranker:
    return ranker_from_json(WEIGHTS_FILE.read_text(encoding="utf-8"))


def gate_for(settings: Settings) -> float | None:
    """The ranker score a question's best line must reach to be answered:
    `Settings.min_ranker_score`, else the gate fitted with the shipped ranker. None without
    learned ranking, where the evidence score decides (`Settings.min_evidence_score`)."""
    if not settings.learned_ranking:
        return None
    if settings.min_ranker_score is not None:
        return settings.min_ranker_score
    return shipped_ranker().gate


def earliness(line: Evidence) -> float:
    """How early in its file a line stands: 1 at the start, 0.5 a thousand characters in.

    A line's place means "the lead of a page" only beside the other candidates: in an archive
    of short passages every line stands early, and an absolute value made the gate answer the
    same text more readily cut into passages than as whole pages (`eval/RANKER.md`). So the
    ranker reads it relative to the question's other candidates (`feature_rows`).

    >>> line = Evidence("a.txt", None, None, None, 1000, 1030, "Damar Hamlin plays for Buffalo.")
    >>> earliness(line), earliness(replace(line, start=0))
    (0.5, 1.0)
    """
    return 1.0 / (1.0 + line.start / 1000)


def feature_rows(
    question: str,
    lines: Sequence[Evidence],
    chunk_ranks: Sequence[int],
    similarity: Similarity | None = None,
    answer_cosines: Sequence[float] | None = None,
) -> np.ndarray:
    """The feature rows of every candidate line of a question (`chunk_ranks`: each line's
    chunk retrieval rank; `similarity`: word-embedding cosines, for `class_closeness`;
    `answer_cosines`: each line's cosine to the question under the answer encoder,
    `Engine.answer_cosines`)."""
    if not lines:
        return np.zeros((0, len(FEATURES)))
    parts = question_parts(question)
    best_cosine = max(line.cosine for line in lines)
    best_lexical = max(line.lexical for line in lines)
    closeness = class_closeness(parts, lines, similarity)
    answers: Sequence[float | None] = (
        [None] * len(lines) if answer_cosines is None else answer_cosines
    )
    best_answer = None if answer_cosines is None else max(answer_cosines)
    mean_earliness = float(np.mean([earliness(line) for line in lines]))
    rows = [
        features(
            parts,
            line,
            best_cosine=best_cosine,
            best_lexical=best_lexical,
            chunk_rank=rank,
            class_close=close,
            best_class_close=max(closeness),
            answer_cosine=answer,
            best_answer_cosine=best_answer,
            mean_earliness=mean_earliness,
        )
        for line, rank, close, answer in zip(lines, chunk_ranks, closeness, answers, strict=True)
    ]
    return np.asarray(rows, dtype=np.float64)


def learned_order(
    question: str,
    ranked: Sequence[tuple[Evidence, np.ndarray]],
    chunk_ranks: Sequence[int],
    ranker: Ranker | None = None,
    similarity: Similarity | None = None,
    answer_cosines: Sequence[float] | None = None,
) -> list[tuple[Evidence, np.ndarray]]:
    """`ranked` (hand-weighted order, each line with its vector) reordered by the learned
    ranker, each line's `rank_score` set; `chunk_ranks`: each line's chunk retrieval rank;
    `similarity`: word-embedding cosines (`Engine.word_similarity`); `answer_cosines`: each
    line's cosine under the answer encoder (`Engine.answer_cosines`)."""
    if not ranked:
        return []
    ranker = ranker or shipped_ranker()
    lines = [line for line, _ in ranked]
    scores = ranker.scores(feature_rows(question, lines, chunk_ranks, similarity, answer_cosines))
    rescored = [
        (replace(line, rank_score=round(float(score), 4)), vector)
        for (line, vector), score in zip(ranked, scores, strict=True)
    ]
    return sorted(rescored, key=lambda pair: -pair[0].rank_score)
