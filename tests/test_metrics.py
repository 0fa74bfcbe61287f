"""Worked examples for eval.metrics: each expected value is computed by hand in a comment."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from eval.metrics import (
    GoldQuestion,
    Latency,
    QuestionResult,
    Span,
    SystemAnswer,
    answer_correct,
    article_rank,
    citation_scores,
    evidence_rank,
    first_rank,
    is_verbatim,
    locate_spans,
    normalize,
    overlaps,
    percentile,
    reciprocal_rank,
    score_question,
    squad_tokens,
    strip_markers,
    summarize,
    token_f1,
)

#          0         1         2         3         4         5         6
#          0123456789012345678901234567890123456789012345678901234567890123
ARTICLE = "Kremlin spokesman Dmitry Peskov said Moscow wants no eternal war."
OTHER = "Andrei Belousov, an economist, became defence minister."
TEXTS = {"a.txt": ARTICLE, "b.txt": OTHER}


@dataclass(frozen=True)
class Cite:
    source: str
    start: int
    end: int
    quote: str


def test_normalize_unifies_quotes_dashes_and_space() -> None:
    assert normalize("Russia’s  “Eternal\n War” — Now") == 'russia\'s "eternal war" - now'
    assert normalize("‘a’ – b ‑ c") == "'a' - b - c"
    assert normalize("   ") == ""


def test_strip_markers() -> None:
    assert strip_markers("Peskov [1][2]. Blinken[3]") == "Peskov. Blinken"


@pytest.mark.parametrize(
    ("answer", "accepted", "expected"),
    [
        ("Dmitry Peskov [1]", ["Dmitry Peskov", "Peskov"], True),
        ("DMITRY  PESKOV", ["Dmitry Peskov"], True),
        ("the thousand–year–old civilization", ["thousand-year-old"], True),
        ("Russia’s army", ["Russia's"], True),
        ("Kyiv's mayor", ["Kyiv"], True),
        ("It controls 18% of Ukraine", ["18%", "20%"], True),
        ("The Crimean peninsula. [1]", ["Crimea"], True),  # a suffix is allowed
        ("Zelenskyy", ["Zelensky"], True),
        ("a network of sources", ["two"], False),  # a match must start a word
        ("Andrei Belousov", ["Belousov's"], False),
        ("No answer to this was found in the articles.", ["Peskov"], False),
        ("anything", [], False),
    ],
)
def test_answer_correct(answer: str, accepted: list[str], expected: bool) -> None:
    assert answer_correct(answer, accepted) is expected


def test_squad_tokens_drop_punctuation_articles_and_markers() -> None:
    assert squad_tokens("The Kremlin's spokesman, Peskov [1].") == [
        "kremlins",
        "spokesman",
        "peskov",
    ]
    assert squad_tokens("A an THE") == []


def test_token_f1_worked_examples() -> None:
    # pred [dmitry, peskov] vs [peskov]: P = 1/2, R = 1, F1 = 2 * 0.5 / 1.5 = 2/3
    assert token_f1("Dmitry Peskov [1]", ["Peskov"]) == pytest.approx(2 / 3)
    # best alias wins: "Dmitry Peskov" matches exactly
    assert token_f1("Dmitry Peskov [1]", ["Peskov", "Dmitry Peskov"]) == 1.0
    # pred [some, 11000, civilians] vs [11000]: P = 1/3, R = 1, F1 = 2 * (1/3) / (4/3) = 0.5
    assert token_f1("some 11,000 civilians", ["11,000"]) == 0.5
    # repeated tokens count once per gold occurrence: [two, two] vs [two]: P = 1/2 -> 2/3
    assert token_f1("two two", ["two"]) == pytest.approx(2 / 3)
    assert token_f1("Blinken", ["Peskov"]) == 0.0
    assert token_f1("Peskov", []) == 0.0
    assert token_f1("the", ["a"]) == 1.0  # both normalise to nothing, as in SQuAD


def test_overlaps_half_open_same_source() -> None:
    assert overlaps(Span("a", 0, 10), Span("a", 9, 20))
    assert not overlaps(Span("a", 0, 10), Span("a", 10, 20))  # touching is not overlapping
    assert not overlaps(Span("a", 0, 10), Span("b", 0, 10))
    assert not overlaps(Span("a", -1, -1), Span("a", 0, 10))  # an unlocated quote


def test_locate_spans_finds_offsets_and_skips_missing() -> None:
    spans = locate_spans(
        [
            ("a.txt", "Dmitry Peskov"),
            ("b.txt", "economist"),
            ("a.txt", "not there"),
            ("c.txt", "Peskov"),
        ],
        TEXTS,
    )
    assert spans == [Span("a.txt", 18, 31), Span("b.txt", 20, 29)]


def test_ranks() -> None:
    retrieved = [Span("b.txt", 0, 16), Span("a.txt", 0, 17), Span("a.txt", 17, 65)]
    assert first_rank([False, False, True, True]) == 3
    assert first_rank([]) is None
    assert article_rank(retrieved, ["a.txt"]) == 2
    assert article_rank(retrieved, ["z.txt"]) is None
    # gold span "Dmitry Peskov" = a.txt [18, 31): chunk 2 ends at 17, chunk 3 covers it
    assert evidence_rank(retrieved, [Span("a.txt", 18, 31)]) == 3
    assert evidence_rank(retrieved, []) is None
    assert reciprocal_rank(3) == pytest.approx(1 / 3)
    assert reciprocal_rank(None) == 0.0


def test_is_verbatim() -> None:
    assert is_verbatim(Cite("a.txt", 18, 31, "Dmitry Peskov"), TEXTS)
    assert not is_verbatim(Cite("a.txt", 18, 31, "Dmitry Peskov said"), TEXTS)
    assert not is_verbatim(Cite("a.txt", -1, -1, "Dmitry Peskov"), TEXTS)
    assert not is_verbatim(Cite("z.txt", 0, 3, "Kre"), TEXTS)
    assert not is_verbatim(Cite("a.txt", 60, 99, "war."), TEXTS)


def test_citation_scores_worked_example() -> None:
    gold_spans = [Span("a.txt", 18, 31), Span("b.txt", 20, 29)]
    citations = [
        Cite("a.txt", 0, 36, ARTICLE[0:36]),  # overlaps gold span 1, verbatim
        Cite("a.txt", 37, 65, "Moscow wants no eternal war!"),  # no overlap, not verbatim
        Cite("c.txt", 0, 5, "hello"),  # not a gold article
    ]
    scores = citation_scores(citations, ["a.txt", "b.txt"], gold_spans, TEXTS)
    # sources {a, c}: 1 of 2 gold -> P = 0.5; gold {a, b}: 1 of 2 cited -> R = 0.5
    assert scores.precision_article == 0.5
    assert scores.recall_article == 0.5
    # citations overlapping a gold span: 1 of 3; gold spans overlapped: 1 of 2
    assert scores.precision_evidence == pytest.approx(1 / 3)
    assert scores.recall_evidence == 0.5
    assert scores.verbatim == 1


def test_citation_scores_without_citations_or_gold() -> None:
    none_cited = citation_scores([], ["a.txt"], [Span("a.txt", 0, 5)], TEXTS)
    assert (none_cited.precision_article, none_cited.recall_article) == (None, 0.0)
    assert (none_cited.precision_evidence, none_cited.recall_evidence) == (None, 0.0)
    no_gold = citation_scores([Cite("a.txt", 0, 7, "Kremlin")], [], [], TEXTS)
    assert (no_gold.precision_article, no_gold.recall_article) == (0.0, None)
    assert (no_gold.precision_evidence, no_gold.recall_evidence) == (0.0, None)
    assert no_gold.verbatim == 1


def test_percentile_linear_interpolation() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5  # position 1.5 between 2 and 3
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 3.85  # position 2.85: 3 + 0.85 * 1
    assert percentile([1.0, 2.0, 3.0, 4.0], 0) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 100) == 4.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


GOLD = GoldQuestion(
    id="q1",
    question="Who is the Kremlin spokesman?",
    answers=("Dmitry Peskov", "Peskov"),
    articles=("a.txt",),
    evidence=(("a.txt", "Kremlin spokesman Dmitry Peskov"),),
    kind="who",
)
LATENCY = Latency(retrieval_s=0.1, generation_s=1.0, total_s=1.1, generated_tokens=10)


def test_score_question_answerable() -> None:
    produced = SystemAnswer(
        text="Peskov [1]",
        abstained=False,
        standalone=GOLD.question,
        citations=(Cite("a.txt", 18, 31, "Dmitry Peskov"), Cite("b.txt", 0, 6, "Andrei")),
        retrieved=(Span("b.txt", 0, 55), Span("a.txt", 0, 65)),
        latency=LATENCY,
    )
    result = score_question(GOLD, produced, TEXTS)
    # gold span a.txt [0, 31); retrieved a.txt chunk is rank 2 for articles and evidence
    assert result == QuestionResult(
        id="q1",
        kind="who",
        question=GOLD.question,
        standalone=GOLD.question,
        answer="Peskov [1]",
        abstained=False,
        expected=("Dmitry Peskov", "Peskov"),
        correct=True,
        f1=1.0,
        article_rank=2,
        evidence_rank=2,
        cited_sources=("a.txt", "b.txt"),
        verbatim_citations=2,
        precision_article=0.5,
        recall_article=1.0,
        precision_evidence=0.5,
        recall_evidence=1.0,
        retrieval_s=0.1,
        generation_s=1.0,
        total_s=1.1,
        generated_tokens=10,
        gold_spans=1,
        supported_sentences=1,  # "Peskov" is in the quote [1] cites
        marked_sentences=1,
        cited_quotes=("Dmitry Peskov", "Andrei"),
    )
    assert result.answerable


def test_score_question_unanswerable_is_correct_when_abstaining() -> None:
    gold = GoldQuestion("q2", "Population of Kazakhstan?", (), (), (), "unanswerable")
    produced = SystemAnswer(
        "No answer to this was found in the articles.",
        True,
        gold.question,
        (),
        (Span("a.txt", 0, 65),),
        LATENCY,
    )
    result = score_question(gold, produced, TEXTS)
    assert not result.answerable
    assert (result.correct, result.f1, result.article_rank, result.evidence_rank) == (
        True,
        None,
        None,
        None,
    )
    assert (result.precision_article, result.recall_article) == (None, None)


def _result(**fields: object) -> QuestionResult:
    base = QuestionResult(
        id="x",
        kind="who",
        question="q",
        standalone="q",
        answer="",
        abstained=False,
        expected=("x",),
        correct=False,
        f1=0.0,
        article_rank=None,
        evidence_rank=None,
        cited_sources=(),
        verbatim_citations=0,
        precision_article=None,
        recall_article=None,
        precision_evidence=None,
        recall_evidence=None,
        retrieval_s=None,
        generation_s=None,
        total_s=None,
        generated_tokens=None,
        gold_spans=1,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def test_questions_without_gold_spans_are_left_out_of_evidence_metrics() -> None:
    with_span = _result(evidence_rank=1, article_rank=1)
    without = _result(evidence_rank=None, article_rank=1, gold_spans=0)
    summary = summarize([with_span, without])
    assert summary["evidence_hit@1"] == 1.0 and summary["article_hit@1"] == 1.0
    assert summarize([without])["evidence_hit@1"] is None


def test_summarize_worked_example() -> None:
    results = [
        _result(
            correct=True,
            f1=1.0,
            article_rank=1,
            evidence_rank=2,
            cited_sources=("a", "b"),
            verbatim_citations=2,
            precision_article=0.5,
            recall_article=1.0,
            precision_evidence=0.5,
            recall_evidence=1.0,
            retrieval_s=0.1,
            generation_s=1.0,
            total_s=1.1,
            generated_tokens=10,
            supported_sentences=1,
            marked_sentences=2,
        ),
        _result(
            abstained=True,
            f1=0.0,
            article_rank=4,
            recall_article=0.0,
            recall_evidence=0.0,
            retrieval_s=0.3,
            generation_s=0.0,
            total_s=0.3,
            generated_tokens=0,
        ),
        _result(
            kind="unanswerable",
            expected=(),
            abstained=True,
            correct=True,
            f1=None,
            retrieval_s=0.2,
            generation_s=0.0,
            total_s=0.2,
            generated_tokens=0,
        ),
        _result(
            kind="unanswerable",
            expected=(),
            f1=None,
            cited_sources=("c",),
            precision_article=0.0,
            precision_evidence=0.0,
            retrieval_s=0.4,
            generation_s=3.0,
            total_s=3.4,
            generated_tokens=20,
        ),
    ]
    assert summarize(results) == pytest.approx(
        {
            "questions": 4,
            "answerable": 2,
            "unanswerable": 2,
            "answer_correct": 0.5,
            "answer_f1": 0.5,
            "abstention_accuracy": 0.5,  # 1 of 2 unanswerable abstained
            "false_abstention_rate": 0.5,  # 1 of 2 answerable abstained
            "article_hit@1": 0.5,
            "article_hit@3": 0.5,
            "article_hit@5": 1.0,  # ranks 1 and 4
            "article_mrr": 0.625,  # (1 + 1/4) / 2
            "evidence_hit@1": 0.0,
            "evidence_hit@3": 0.5,
            "evidence_hit@5": 0.5,  # ranks 2, none
            "evidence_mrr": 0.25,  # (1/2 + 0) / 2
            "citation_precision_article": 0.25,  # answered with citations: (0.5 + 0.0) / 2
            "citation_recall_article": 0.5,  # answerable: (1.0 + 0.0) / 2
            "citation_precision_evidence": 0.25,
            "citation_recall_evidence": 0.5,
            "verbatim_share": 2 / 3,  # 2 verbatim of 3 citations
            "answers_with_verbatim_quote": 0.5,  # non-abstained: first yes, last no
            "sentence_support": 0.5,  # 1 of the 2 marked sentences
            "retrieval_p50_s": 0.25,
            "retrieval_p95_s": 0.385,  # [.1 .2 .3 .4]: 0.3 + 0.85 * 0.1
            "generation_p50_s": 2.0,
            "generation_p95_s": 2.9,  # non-abstained only: [1, 3]
            "total_p50_s": 0.7,
            "total_p95_s": 3.055,  # [.2 .3 1.1 3.4]: 1.1 + 0.85 * 2.3
            "first_token_p50_s": None,  # no result timed its first token
            "first_token_p95_s": None,
            "tokens_per_s": 7.5,  # (10 + 20) tokens / (1 + 3) s
        }
    )


def test_summarize_empty_run_has_no_values() -> None:
    summary = summarize([])
    assert summary["questions"] == 0
    assert summary["answer_correct"] is None
    assert summary["total_p95_s"] is None
    assert summary["tokens_per_s"] is None
