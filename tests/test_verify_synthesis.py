"""Verification of an instruct model's answer (`qa.synthesis`): pure logic, worked examples."""

from __future__ import annotations

from qa.synthesis import Passage, sentence_windows, split_claims, supports, verify_reply
from qa.types import Evidence

TEXT = (
    "The Washington-based tech company reported record sales. "
    "Microsoft said its value passed $2 trillion in 2021. "
    "Analysts expect more growth."
)


def _sentences(source: str = "ms.txt", text: str = TEXT) -> list[Evidence]:
    found, start = [], 0
    for piece in text.split(". "):
        piece = piece if piece.endswith(".") else piece + "."
        at = text.index(piece, start)
        found.append(Evidence(source, "Tech", "Wire", "2022-01-05", at, at + len(piece), piece))
        start = at + len(piece)
    return found


def test_windows_hold_the_neighbours_in_file_order() -> None:
    sentences = _sentences()
    (passage,) = sentence_windows([sentences[1]], sentences)
    assert [s.text for s in passage.sentences] == [s.text for s in sentences]


def test_a_supported_sentence_is_kept_and_quotes_verbatim() -> None:
    sentences = _sentences()
    passages = sentence_windows([sentences[1]], sentences)
    verified = verify_reply("Its value passed $2 trillion [1].", "What was it worth?", passages)

    assert verified.composed is not None
    assert verified.composed.text == "Its value passed $2 trillion [1]."
    (citation,) = verified.composed.citations
    assert TEXT[citation.start : citation.end] == citation.quote == sentences[1].text


def test_an_unsupported_sentence_is_dropped() -> None:
    sentences = _sentences()
    passages = sentence_windows([sentences[1]], sentences)
    reply = "Microsoft was worth $2 trillion [1]. Apple was worth $3 trillion [1]."
    verified = verify_reply(reply, "How much was Microsoft worth?", passages)

    assert verified.composed is not None
    assert verified.composed.text == "Microsoft was worth $2 trillion [1]."
    assert verified.dropped == ("Apple was worth $3 trillion",)


def test_a_sentence_citing_the_wrong_passage_is_recited() -> None:
    other = [Evidence("b.txt", "B", None, None, 0, 24, "Parliament met on Monday.")]
    sentences = _sentences()
    passages = [*sentence_windows(other, other), *sentence_windows([sentences[1]], sentences)]
    verified = verify_reply("$2 trillion [1].", "What did its value pass?", passages)

    assert verified.composed is not None and verified.recited == 1
    assert verified.composed.citations[0].source == "ms.txt"


def test_nothing_supported_or_a_refusal_abstains() -> None:
    sentences = _sentences()
    passages = sentence_windows([sentences[1]], sentences)
    assert verify_reply("Not stated.", "Who?", passages).composed is None
    assert verify_reply("Tim Cook runs it [1].", "Who runs it?", passages).composed is None


def test_a_line_about_another_year_does_not_support() -> None:
    (passage,) = sentence_windows(_sentences()[1:2], _sentences())
    assert supports("$2 trillion", "What was it worth in 2021?", passage)
    assert not supports("$2 trillion", "What was it worth in 2018?", passage)


def test_an_answer_split_over_two_sentences_cites_both() -> None:
    text = "The company is worth $1 billion. Acme Corp said so on Monday."
    sentences = _sentences("acme.txt", text)
    passages = sentence_windows([sentences[0]], sentences)
    verified = verify_reply("Acme Corp is worth $1 billion [1].", "Which firm?", passages)

    assert verified.composed is not None
    assert [c.quote for c in verified.composed.citations] == [s.text for s in sentences]
    assert verified.composed.text == "Acme Corp is worth $1 billion [1][2]."


def test_claims_keep_their_own_markers() -> None:
    assert split_claims("A rose 5% [2]. B fell [1][3].", 3) == [
        ("A rose 5%", [2]),
        ("B fell", [1, 3]),
    ]
    assert Passage(tuple(_sentences())).shown().startswith("Tech (Wire, 2022-01-05): The")


def test_an_answer_phrase_must_be_the_passages_words_and_keeps_its_date() -> None:
    text = "Ardern became prime minister on October 26, 2017, at 37."
    sentences = _sentences("nz.txt", text)
    passages = sentence_windows(sentences, sentences)
    verified = verify_reply("2017 [1].", "Since when was she prime minister?", passages)
    assert verified.composed is not None
    assert verified.composed.text == "October 26, 2017 [1]."
    reworded = verify_reply("The year 2017 [1].", "Since when?", passages)
    assert reworded.composed is None  # "The year 2017" is not a run of the passage
