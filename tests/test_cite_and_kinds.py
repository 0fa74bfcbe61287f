"""Worked examples for citation parsing/verification and answer kinds (pure logic)."""

from qa.answer_type import expected_kind, supplies
from qa.cite import clean_generation, compose_answer, parse_markers, support
from qa.evidence import fold_near_duplicates, jaccard
from qa.types import Evidence

PESKOV = Evidence(
    "003.txt",
    "T3",
    "The Moscow Times",
    None,
    100,
    160,
    "Kremlin spokesman Dmitry Peskov said Moscow did not want an eternal war.",
    1.2,
)
PESKOV_002 = Evidence(
    "002.txt",
    "T2",
    "VOA",
    None,
    40,
    90,
    "Spokesman Dmitry Peskov said the country did not want a war of eternal.",
    1.1,
)
BLINKEN = Evidence(
    "001.txt",
    "T1",
    None,
    None,
    5,
    60,
    "Antony Blinken did not believe Putin was interested in negotiations.",
    0.9,
)


def test_parse_markers_drops_numbers_outside_the_sources() -> None:
    assert parse_markers("A [1] b [4] c [2][1]", 3) == ("A b c", [1, 2])
    assert parse_markers("no markers", 3) == ("no markers", [])
    assert parse_markers("[0] [999]", 3) == ("", [])


def test_support_requires_words_and_every_figure() -> None:
    assert support("Dmitry Peskov", PESKOV.text) == 1.0
    assert support("Peskov and Blinken", PESKOV.text) == 0.5
    assert support("18% of Ukraine", "Russia holds 18% of Ukraine") == 1.0
    assert support("20% of Ukraine", "Russia holds 18% of Ukraine") == 0.0


def test_clean_generation() -> None:
    assert clean_generation(' "Peskov [1]"\nQuestion: x') == "Peskov [1]"
    assert clean_generation("") == ""


def test_compose_cites_the_supported_line_and_its_other_outlets() -> None:
    head = Evidence(**{**PESKOV.__dict__, "also": (PESKOV_002,)})
    composed = compose_answer(" Dmitry Peskov [1]", [head, BLINKEN])
    assert composed.text == "Dmitry Peskov [1][2]"
    assert [(c.number, c.source, c.quote) for c in composed.citations] == [
        (1, "003.txt", PESKOV.text),
        (2, "002.txt", PESKOV_002.text),
    ]


def test_other_outlets_are_cited_only_when_they_carry_the_claim() -> None:
    decree = Evidence("001.txt", "T1", None, None, 0, 60, "In 2022 Zelensky signed a decree.")
    same_story = Evidence("003.txt", "T3", None, None, 0, 50, "Zelensky signed a decree then.")
    also_2022 = Evidence("002.txt", "T2", None, None, 0, 50, "He signed a decree in 2022.")
    head = Evidence(**{**decree.__dict__, "also": (same_story, also_2022)})
    composed = compose_answer("In 2022 [1]", [head])
    assert composed.text == "In 2022 [1][2]"
    assert [c.source for c in composed.citations] == ["001.txt", "002.txt"]
    quoted = compose_answer("nothing like it [1]", [head])  # the whole line, no figure in it
    assert [c.source for c in quoted.citations] == ["001.txt", "002.txt"]


def test_compose_moves_a_claim_to_the_line_that_supports_it() -> None:
    composed = compose_answer("Antony Blinken [1]", [PESKOV, BLINKEN])
    assert composed.text == "Antony Blinken [1]"
    assert composed.citations[0].source == "001.txt"


def test_compose_replaces_an_unsupported_claim_with_the_best_line() -> None:
    composed = compose_answer("Sergei Lavrov [1]", [PESKOV, BLINKEN])
    assert composed.text == PESKOV.text + " [1]"
    assert not composed.used_model_text


def test_answer_kinds() -> None:
    assert expected_kind("Who said it?") == "person"
    assert expected_kind("How many sources spoke?") == "number"
    assert expected_kind("When did Putin seek a truce?") == "time"
    assert expected_kind("On what exact date did he travel?") == "date"
    assert expected_kind("What is the name of the official?") == "name"
    assert expected_kind("Why did they leave?") is None
    assert expected_kind("How much aid was approved?") == "amount"
    assert expected_kind("What share of the vote did he get?") == "share"
    assert supplies("What share of the vote did he get?", "he won 87% of the vote")
    assert not supplies("What percentage of voters back him?", "three sources said so")
    assert supplies("How much ground will he give?", "not even an inch")
    assert supplies("How much aid was approved?", "$61 billion in aid")
    assert not supplies("How much aid was approved?", "aid was debated in 2022")
    assert supplies("How many sources spoke?", "four Russian sources")
    assert not supplies("How many sources spoke in 2022?", "sources spoke in 2022")
    assert supplies("When did he seek a truce?", "in the fall of 2022")
    assert not supplies("On what exact date did he travel?", "last week")
    assert supplies("On what exact date did he travel?", "on May 23, 2024")
    assert not supplies("Who replaced Belousov?", "Andrei Belousov took over")
    assert not supplies("What is the name of the official?", "a senior Kremlin official")


def test_near_duplicates_fold_into_the_best_line() -> None:
    import numpy as np

    a, b = np.array([1.0, 0.0]), np.array([0.99, 0.141])
    far = np.array([0.0, 1.0])
    folded = fold_near_duplicates([(PESKOV, a), (PESKOV_002, b), (BLINKEN, far)])
    assert [e.source for e in folded] == ["003.txt", "001.txt"]
    assert folded[0].also == (PESKOV_002,)
    assert round(jaccard(PESKOV.text, PESKOV_002.text), 2) == 0.7


def test_what_else_followups_move_already_given_lines_last() -> None:
    from qa.line_checks import without_repeats

    history = [("Who is quoted on the eternal war?", PESKOV.text + " [1]")]
    assert without_repeats("What else did Peskov say?", [PESKOV, BLINKEN], history) == [
        BLINKEN,
        PESKOV,
    ]
    assert without_repeats("What did Peskov say?", [PESKOV, BLINKEN], history) == [PESKOV, BLINKEN]
    assert without_repeats("What else did Peskov say?", [PESKOV, BLINKEN], []) == [PESKOV, BLINKEN]


def test_figures_and_disagreeing_sources() -> None:
    from qa.cite import Composed, add_disagreement
    from qa.disagree import disagreeing, figures

    assert figures("Four Russian sources told Reuters.", {"source"}) == [
        ("4", "source", "Four Russian sources")
    ]
    assert figures("It cost 40 million dollars, up 5 percent.", {"dollar"}) == [
        ("40 million", "dollar", "40 million dollars"),
        ("5", "%", "5 percent"),
    ]
    five = Evidence("000.txt", None, None, None, 0, 40, "citing five anonymous Russian sources")
    four = Evidence("002.txt", None, None, None, 0, 40, "four Russian sources told Reuters")
    four_again = Evidence("001.txt", None, None, None, 0, 40, "citing four sources in Russia")
    same = Evidence("003.txt", None, None, None, 0, 40, "five sources said the same")
    found = disagreeing({"source"}, five, [four, four_again, same])
    assert [(e.source, words) for e, words in found] == [
        ("002.txt", "four Russian sources"),
        ("001.txt", "four sources"),
    ]
    composed = compose_answer("five [1]", [five])
    both = add_disagreement(composed, found)
    assert both.text == "five [1] Other reports differ: four Russian sources [2]; four sources [3]."
    assert [c.source for c in both.citations] == ["000.txt", "002.txt", "001.txt"]
    assert add_disagreement(composed, []) is composed
    assert isinstance(both, Composed)


def test_disagreement_only_about_the_same_thing() -> None:
    """Outside news gave "Other reports differ" for figures of other things: a year read as a
    count, a unit that belongs to the next number, a line too far from the question, a line
    about someone else."""
    from qa.disagree import disagreeing, figures

    assert figures("the 2022 World Cup has 32 teams", {"world", "team"}) == [
        ("32", "team", "32 teams")
    ]
    assert figures("set forward in 2018 by 30 seconds", {"second"}) == [
        ("30", "second", "30 seconds")
    ]
    cited = Evidence("a.txt", None, None, None, 0, 9, "McCarthy won after 15 rounds.", score=1.4)
    earlier = Evidence("b.txt", None, None, None, 0, 9, "McCarthy lost three rounds.", score=1.2)
    other_story = Evidence("c.txt", None, None, None, 0, 9, "The bill took 4 rounds.", score=1.2)
    far = Evidence("d.txt", None, None, None, 0, 9, "McCarthy once lost 2 rounds.", score=0.6)
    found = disagreeing(
        {"round"},
        cited,
        [earlier, other_story, far],
        asked_names=["Kevin McCarthy"],
        min_score=0.79,
    )
    assert [(e.source, words) for e, words in found] == [("b.txt", "three rounds")]


def test_a_hosted_rewrite_that_is_no_question_falls_back_to_the_rule() -> None:
    from qa.rewrite import condensed

    history = [("Who said Russia does not want an eternal war?", "Dmitry Peskov [1]")]
    rule = "What else did Dmitry Peskov say?"
    assert (
        condensed("Standalone question: What did Peskov add?", "What else did he say?", history)
        == "What did Peskov add?"
    )
    for junk in ("", "Dmitry Peskov [1]", "x" * 900):
        assert condensed(junk, "What else did he say?", history) == rule


def test_only_the_kinds_that_pay_on_outside_news_veto_an_answer() -> None:
    import numpy as np

    from qa.line_checks import VETO_KINDS, answers_the_kind

    def unrelated(terms: list[str], text_words: list[str]) -> np.ndarray:
        return np.zeros((len(terms), len(text_words)))

    crowd = Evidence("a.txt", "T", None, None, 0, 40, "The crowd cheered as the final ended.", 1.0)
    # "who": the line names nobody, yet the person veto is lifted (it stopped no wrong
    # answer on outside news), so the model's cited line stands
    drafted = compose_answer("the crowd [1]", [crowd])
    assert answers_the_kind("Who won the final?", drafted, [crowd], unrelated) == drafted
    # "how many": a figure is still required, and no shown line gives one
    assert answers_the_kind("How many fans came?", drafted, [crowd], unrelated) is None
    assert {"number", "share"} == VETO_KINDS


def test_a_line_that_restates_the_question_is_quoted_after_the_sentence_that_names_it() -> None:
    from dataclasses import replace

    from qa.cite import Composed, citation_of
    from qa.line_checks import with_the_sentence_before

    question = "Which home goods chain said it has substantial doubt it can stay in business?"
    before = Evidence(
        "q.txt",
        "Notes",
        None,
        None,
        30,
        140,
        "Bed Bath & Beyond warned it may file for bankruptcy.",
    )
    line = replace(
        before,
        start=141,
        end=260,
        text="There is substantial doubt about its future, the home goods chain said Thursday.",
        before=before.text,
    )
    whole = Composed(f"{line.text} [1]", [citation_of(1, line)], True)
    got = with_the_sentence_before(question, whole, [line, before])
    assert got.text == f"{before.text} [1] {line.text} [2]"
    assert [(c.number, c.start, c.quote) for c in got.citations] == [
        (1, 30, before.text),
        (2, 141, line.text),
    ]
    # the model's own phrase, a line that names something new, or a sentence before that
    # names nothing new: the answer stays as it was
    phrase = Composed("Bed Bath & Beyond [1]", [citation_of(1, line)], True)
    assert with_the_sentence_before(question, phrase, [line, before]) == phrase
    naming = replace(line, text=f"{line.text[:-1]}, Bed Bath & Beyond added.")
    named = Composed(f"{naming.text} [1]", [citation_of(1, naming)], True)
    assert with_the_sentence_before(question, named, [naming, before]) == named
    vague = replace(before, text="It said the home goods chain was in trouble.")
    restated = replace(line, before=vague.text)
    alone = Composed(f"{restated.text} [1]", [citation_of(1, restated)], True)
    assert with_the_sentence_before(question, alone, [restated, vague]) == alone
