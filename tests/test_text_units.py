"""Worked examples for sentence splitting, chunking offsets, lexical helpers and rewriting."""

from pathlib import Path

import pytest

from index.chunk import chunk_article, content_digest, group_sections
from index.clean import clean_article
from index.embed import load_tokenizer, token_ids
from index.errors import SettingsError
from index.sentences import split_sentences
from index.settings import EMBED_MAX_TOKENS, MAX_CHUNK_TOKENS, load_settings
from qa.lexical import content_terms, idf_table, weighted_overlap
from qa.rewrite import rewrite_followup


def test_split_sentences_handles_abbreviations_quotes_and_lines() -> None:
    text = (
        'Mr. Putin met U.S. envoys. "We won," he said. Dr. J. Smith left.\n'
        "No end punctuation here\nWar.” constant”. Next one? Yes!"
    )
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Mr. Putin met U.S. envoys.",
        '"We won," he said.',
        "Dr. J. Smith left.",
        "No end punctuation here",
        "War.” constant”.",
        "Next one?",
        "Yes!",
    ]


def test_split_sentences_offsets() -> None:
    assert split_sentences("  Ab cd. Ef gh.  ", offset=100) == [(102, 108), (109, 115)]
    assert split_sentences("") == []


def test_group_sections_split_at_dropped_paragraphs() -> None:
    raw = "Title\nFirst para.\nPhoto: Someone\nSecond para.\nThird para."
    article = clean_article("x.txt", raw)
    assert group_sections(article, raw) == [(0, 17), (33, 57)]


def test_chunks_are_verbatim_and_ids_deterministic() -> None:
    raw = "Headline of the story\n" + " ".join(f"Sentence number {i} is here." for i in range(80))
    article = clean_article("s.txt", raw)
    chunks = chunk_article(article, raw, chunk_tokens=64, chunk_overlap=16, tokenizer=token_ids)
    assert len(chunks) > 3
    assert all(raw[c.start : c.end] == c.text for c in chunks)
    digest = content_digest(raw, chunk_tokens=64, chunk_overlap=16)
    assert [c.id for c in chunks] == [f"s.txt:{digest}:{i}" for i in range(len(chunks))]
    again = chunk_article(article, raw, chunk_tokens=64, chunk_overlap=16, tokenizer=token_ids)
    assert again == chunks


def test_lexical_helpers() -> None:
    assert content_terms("How many civilians were evacuated from Kharkiv?") == [
        "many",
        "civilians",
        "evacuated",
        "kharkiv",
    ]
    idf = idf_table(["civilians fled kharkiv", "troops entered kharkiv"])
    assert (
        round(
            weighted_overlap("civilians in Kharkiv", "Kharkiv civilians fled", idf, unknown=3.0), 3
        )
        == 1.0
    )
    assert (
        round(
            weighted_overlap("civilians in Kazakhstan", "Kharkiv civilians fled", idf, unknown=3.0),
            3,
        )
        == 0.188
    )


def test_rewrite_followup_examples() -> None:
    history = [("Who is quoted on the eternal war?", "Dmitry Peskov [1][2]")]
    assert rewrite_followup("What else did he say?", history) == "What else did Dmitry Peskov say?"
    assert rewrite_followup("What was his job?", history) == "What was Dmitry Peskov's job?"
    assert rewrite_followup("What else did he say?", []) == "What else did he say?"
    assert rewrite_followup("Who is Blinken?", history) == "Who is Blinken?"


def test_bundled_chunks_cover_only_kept_text() -> None:
    from tests.conftest import BUNDLED_CORPUS

    for path in sorted(Path(BUNDLED_CORPUS).iterdir()):
        raw = path.read_text(encoding="utf-8")
        article = clean_article(path.name, raw)
        for chunk in chunk_article(
            article, raw, chunk_tokens=160, chunk_overlap=32, tokenizer=token_ids
        ):
            assert raw[chunk.start : chunk.end] == chunk.text
            if not chunk.furniture:  # dropped text is chunked apart, marked, ranked down
                assert "Leave a Reply" not in chunk.text and "burger" not in chunk.text
        furniture = [
            c.text
            for c in chunk_article(
                article, raw, chunk_tokens=160, chunk_overlap=32, tokenizer=token_ids
            )
            if c.furniture
        ]
        dropped = " ".join(p.text for p, why in article.dropped if why != "duplicate")
        assert all(text in dropped for text in furniture)


def test_chunks_at_the_largest_size_fit_what_the_encoder_reads() -> None:
    """At the largest chunk size every chunk is still cut to size, and embedding reads all of
    it: its word pieces plus [CLS] and [SEP] fit the model's 256 positions."""
    from tests.conftest import BUNDLED_CORPUS

    assert MAX_CHUNK_TOKENS + 2 == EMBED_MAX_TOKENS
    longest = max(Path(BUNDLED_CORPUS).iterdir(), key=lambda path: path.stat().st_size)
    raw = longest.read_text(encoding="utf-8")
    article = clean_article(longest.name, raw)
    chunks = chunk_article(
        article, raw, chunk_tokens=MAX_CHUNK_TOKENS, chunk_overlap=32, tokenizer=token_ids
    )
    kept = " ".join(c.text for c in chunks if not c.furniture)
    assert len(token_ids(kept)) > 2 * MAX_CHUNK_TOKENS  # long enough to need several chunks
    for chunk in chunks:
        pieces = len(token_ids(chunk.text))
        assert pieces <= MAX_CHUNK_TOKENS
        assert len(load_tokenizer().encode(chunk.text).ids) == pieces + 2  # nothing cut off
    with pytest.raises(SettingsError, match="NEWSQA_CHUNK_TOKENS"):
        load_settings(chunk_tokens=MAX_CHUNK_TOKENS + 1)


def test_rewrite_skips_titles_and_connectors() -> None:
    history = [
        (
            "Who is the US Secretary of State in the reports?",
            "However, US Secretary of State Antony Blinken, speaking in Kiev, said so [1]",
        )
    ]
    assert rewrite_followup("Where was he when he spoke?", history) == (
        "Where was Antony Blinken when he spoke?"
    )
