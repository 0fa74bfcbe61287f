"""The learned evidence ranker: its shipped weights, its features, its ordering, its fit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.learn_ranker import accuracy, fit_listwise
from index.embed import CachedVectors, open_encoder
from index.settings import load_settings
from qa.ranker import (
    FEATURES,
    WEIGHTS_FILE,
    Ranker,
    class_closeness,
    feature_rows,
    gate_for,
    learned_order,
    question_parts,
    ranker_from_json,
    shipped_ranker,
)
from qa.types import Evidence


def _line(text: str, cosine: float, score: float, start: int = 0, title: str = "") -> Evidence:
    return Evidence(
        "a.txt",
        title or None,
        None,
        None,
        start,
        start + len(text),
        text,
        score=score,
        cosine=cosine,
    )


def test_shipped_weights_match_the_features() -> None:
    ranker = shipped_ranker()
    assert ranker.names == FEATURES
    assert ranker.weights.shape == ranker.mean.shape == ranker.scale.shape == (len(FEATURES),)
    assert np.all(ranker.scale > 0)


def test_the_shipped_ranker_carries_its_gate_and_json_keeps_it() -> None:
    ranker = shipped_ranker()
    assert ranker.gate is not None and np.isfinite(ranker.gate)
    assert ranker_from_json(ranker.to_json()).gate == round(ranker.gate, 4)
    settings = load_settings()
    assert gate_for(settings) == ranker.gate
    assert gate_for(settings.model_copy(update={"min_ranker_score": 1.5})) == 1.5
    assert gate_for(settings.model_copy(update={"learned_ranking": False})) is None


def test_weights_fitted_on_other_features_are_refused() -> None:
    data = json.loads(WEIGHTS_FILE.read_text())
    data["features"] = [*data["features"][:-1], "something_else"]
    with pytest.raises(ValueError, match="other features"):
        ranker_from_json(json.dumps(data))


def test_a_line_supplying_the_asked_name_outranks_one_that_only_repeats_the_question() -> None:
    question = "Which team does Damar Hamlin play for?"
    # equally close in meaning and in words: only what the lines supply differs
    repeats = _line("Damar Hamlin will play for a team again, fans said.", 0.6, 1.1)
    answers = _line("Damar Hamlin plays safety for the Buffalo Bills.", 0.6, 1.1)
    vector = np.zeros(3)
    ordered = learned_order(question, [(repeats, vector), (answers, vector)], [0, 0])
    assert ordered[0][0].text == answers.text
    assert ordered[0][0].rank_score > ordered[1][0].rank_score


def test_features_see_the_question_names_in_the_sentence_before() -> None:
    question = "What did Kevin McCarthy lose this week?"
    line = Evidence(
        "a.txt",
        None,
        None,
        None,
        0,
        20,
        "He lost three votes.",
        cosine=0.5,
        lexical=0.4,
        before="Kevin McCarthy stood for speaker.",
    )
    rows = feature_rows(question, [line], [0])
    named = dict(zip(FEATURES, rows[0], strict=True))
    assert named["entities_in_line"] == 0.0
    assert named["entities_in_context"] == 1.0


def test_a_lines_place_in_its_file_counts_only_beside_the_other_candidates() -> None:
    # The same sentences as a whole page's lines or as short passages' first lines: cut into
    # passages, the archive must not look surer to the gate than as whole pages, while among
    # one question's lines the ranker may still prefer a page's lead.
    question = "Which team does Damar Hamlin play for?"
    answer, other = "Damar Hamlin plays safety for the Buffalo Bills.", "Hamlin is 24."
    vector = np.zeros(3)

    def best_score(starts: tuple[int, int]) -> float:
        lines = [_line(answer, 0.6, 1.1, start=starts[0]), _line(other, 0.6, 1.1, start=starts[1])]
        ordered = learned_order(question, [(line, vector) for line in lines], [0, 0])
        return ordered[0][0].rank_score

    assert best_score((0, 0)) == best_score((50, 50)) == best_score((6000, 6000))
    assert best_score((0, 6000)) > best_score((6000, 0))


def test_listwise_fit_learns_the_feature_that_marks_the_answer() -> None:
    rng = np.random.default_rng(0)
    groups = []
    marker = FEATURES.index("supplies_kind")
    for _ in range(60):
        rows = rng.normal(size=(8, len(FEATURES)))
        rows[:, marker] = 0.0
        answer = rng.integers(8)
        rows[answer, marker] = 1.0
        labels = np.zeros(8)
        labels[answer] = 1.0
        groups.append((rows, labels, rng.normal(size=8)))
    ranker = fit_listwise(groups, steps=150)
    assert isinstance(ranker, Ranker)
    assert ranker.weights[marker] == max(ranker.weights)
    assert accuracy(groups, ranker, 1) > 0.9
    assert accuracy(groups, None, 1) < 0.5  # the random hand scores do not find it


@pytest.fixture(scope="module")
def word_vectors() -> CachedVectors:
    """The real MiniLM encoder behind `Engine.word_similarity`."""
    return CachedVectors(open_encoder(load_settings()))


def test_a_line_naming_an_instance_of_the_asked_class_is_closer(
    word_vectors: CachedVectors,
) -> None:
    question = "Which country experienced a nationwide power outage this week?"
    names_one = _line("Nearly 220 million people in Pakistan were without power.", 0.5, 1.0)
    names_none = _line("Thousands have experienced power outages amid the storm.", 0.5, 1.0)
    parts = question_parts(question)
    close = class_closeness(parts, [names_one, names_none], word_vectors.similarity)
    assert parts.asked_class == "country"
    assert close[0] > close[1]
    rows = feature_rows(question, [names_one, names_none], [0, 0], word_vectors.similarity)
    gap = FEATURES.index("names_asked_class_gap")
    assert rows[0, gap] == 0.0 and rows[1, gap] < 0.0


def test_without_an_asked_class_or_a_similarity_the_class_features_are_zero(
    word_vectors: CachedVectors,
) -> None:
    line = _line("Nearly 220 million people in Pakistan were without power.", 0.5, 1.0)
    columns = [FEATURES.index("names_asked_class"), FEATURES.index("names_asked_class_gap")]
    no_class = feature_rows("Who lost power this week?", [line], [0], word_vectors.similarity)
    no_similarity = feature_rows("Which country lost power?", [line], [0])
    assert not no_class[:, columns].any()
    assert not no_similarity[:, columns].any()


def test_answer_cosines_fill_their_two_features_and_default_to_the_line_cosine() -> None:
    question = "Who said Russia does not want an eternal war?"
    lines = [_line("Peskov said it.", 0.5, 1.0), _line("Putin met Lukashenko.", 0.4, 0.9)]
    columns = [FEATURES.index("answer_cosine"), FEATURES.index("answer_cosine_gap")]
    given = feature_rows(question, lines, [0, 0], answer_cosines=[0.3, 0.7])
    assert given[:, columns].round(6).tolist() == [[0.3, -0.4], [0.7, 0.0]]
    without = feature_rows(question, lines, [0, 0])  # no answer encoder: the shipped cosine
    assert without[:, columns].round(6).tolist() == [[0.5, 0.0], [0.4, -0.1]]


@pytest.mark.slow
def test_the_shipped_answer_encoder_puts_the_answer_closer_than_a_same_topic_line() -> None:
    """The real int8 answer encoder (`qa/answer_encoder.onnx`), not the store's encoder."""
    from qa.ranker import open_answer_encoder

    encoder = open_answer_encoder()
    assert encoder.model_id == "answer_encoder"
    question = "Who said Russia does not want an eternal war?"
    vectors = encoder.encode(
        [
            question,
            'Kremlin spokesman Dmitry Peskov said Moscow does not want an "eternal war".',
            "The war in Ukraine entered its third year with no talks in sight.",
        ]
    )
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[1] @ vectors[0] > vectors[2] @ vectors[0]


@pytest.mark.slow
def test_the_answer_encoders_vector_for_a_text_does_not_depend_on_what_else_it_encodes() -> None:
    """The engine keeps each line's first vector (`CachedVectors`), so a vector that depended
    on its companions would make an answer depend on the questions asked before it."""
    from qa.ranker import open_answer_encoder

    encoder = open_answer_encoder()
    texts = [
        "Who said Russia does not want an eternal war?",
        'Kremlin spokesman Dmitry Peskov said Moscow does not want an "eternal war".',
        "Talks",
        "The war in Ukraine entered its third year with no talks in sight, officials said.",
    ]
    together = encoder.encode(texts)
    reversed_order = encoder.encode(texts[::-1])[::-1]
    alone = np.concatenate([encoder.encode([text]) for text in texts])
    assert np.array_equal(together, alone)
    assert np.array_equal(reversed_order, alone)
