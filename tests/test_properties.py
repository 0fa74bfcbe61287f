"""Property tests (hypothesis): offsets always map back verbatim; the citation parser never
crashes and never cites outside the sources, whatever the model writes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.chunk import chunk_article
from index.clean import clean_article
from index.embed import token_ids
from index.sentences import split_sentences
from qa.cite import compose_answer, parse_markers
from qa.types import Evidence

news_text = st.lists(
    st.sampled_from([*"abcXYZ .,!?\n\"'“”’…-:%0123456789", "Mr.", "U.S.", "é", "Other News"]),
    max_size=600,
).map("".join)
EVIDENCE = [
    Evidence("a.txt", "A", None, None, 0, 20, "Peskov said no war.", 1.0),
    Evidence("b.txt", "B", "VOA", None, 5, 40, "Blinken doubted Putin wanted talks.", 0.8),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(news_text)
def test_chunks_and_paragraphs_map_back_to_the_raw_text(raw: str) -> None:
    article = clean_article("f.txt", raw)
    for paragraph in article.paragraphs:
        assert raw[paragraph.start : paragraph.end] == paragraph.text
    for chunk in chunk_article(article, raw, chunk_tokens=48, chunk_overlap=8, tokenizer=token_ids):
        assert raw[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text != ""


@settings(max_examples=300, deadline=None)
@given(news_text, st.integers(min_value=0, max_value=50))
def test_sentences_are_stripped_ordered_slices(text: str, offset: int) -> None:
    spans = split_sentences(text, offset=offset)
    previous_end = offset
    for start, end in spans:
        piece = text[start - offset : end - offset]
        assert piece == piece.strip() != ""
        assert start >= previous_end
        previous_end = end


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_markers_only_returns_numbers_of_sources(output: str) -> None:
    _, numbers = parse_markers(output, 2)
    assert all(1 <= n <= 2 for n in numbers)
    assert len(numbers) == len(set(numbers))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.from_regex(r"[A-Za-z ]{0,20}(\[\d{1,4}\] ?){0,4}")))
def test_compose_answer_never_cites_outside_the_sources(output: str) -> None:
    composed = compose_answer(output, EVIDENCE)
    assert composed.citations
    assert [c.number for c in composed.citations] == list(range(1, len(composed.citations) + 1))
    quotes = {e.text for e in EVIDENCE}
    assert all(c.quote in quotes for c in composed.citations)
    _, shown = parse_markers(composed.text, len(composed.citations))
    assert shown == [c.number for c in composed.citations]
