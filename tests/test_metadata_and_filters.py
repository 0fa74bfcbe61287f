"""Metadata as evidence and filtered questions: "when was the X story published?" answered
from the article's date line or page metadata, and `ask(q, outlets=..., since=..., until=...)`
limited to the articles the filter admits. Pure logic first, then the real pipeline (real
Chroma, real embedding model, the bundled corpus and hand-written news pages)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from index.errors import QuestionError
from index.store import FileRecord
from qa import ask
from qa.filters import ArticleFilter, filtered_sources, make_filter, outlet_names
from qa.metadata import metadata_question, named_sources
from qa.types import Answer


def _record(source: str, title: str, outlet: str | None, day: str | None) -> FileRecord:
    return FileRecord(source, "d", "complete", 3, title, outlet, day, "2026-01-01T00:00:00")


RECORDS = {
    "a.txt": _record("a.txt", "Bridge shut after cracks found", "The Ledger", "2024-05-24"),
    "b.txt": _record("b.txt", "Storm leaves thousands without power", "North Coast News", None),
    "c.txt": _record("c.txt", "Rates held", "Afghan Voice Agency (AVA)", "2023-12-25"),
}


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("When was the Ledger story published?", "date"),
        ("On what date was the article about the bridge published?", "date"),
        ("What is the publication date of the storm article?", "date"),
        ("When did AVA publish its story on rates?", "date"),
        ("Which outlet published the story about the storm?", "outlet"),
        ("Which newspaper ran the article 'Bridge shut after cracks found'?", "outlet"),
        ("Who wrote the North Coast News story?", "author"),
        ("Who is the author of the article on the bridge?", "author"),
    ],
)
def test_questions_about_a_story_ask_for_its_metadata(question: str, field: str) -> None:
    asked = metadata_question(question, RECORDS)
    assert asked is not None and asked.field == field


@pytest.mark.parametrize(
    "question",
    [
        "On what day did Reuters publish its story, according to The Moscow Times?",
        "When was the study on exercise published?",  # no story word: a question about news
        "When was the Reuters story published?",  # a story the articles report on
        "When was the report released?",  # a report in the news, not the story
        "Which newspaper published the leaked documents?",
        "Who wrote the letter to the council?",
        "When did the bridge close?",
        "Who said the bridge would close?",
    ],
)
def test_questions_about_what_the_news_reports_are_left_to_the_reader(question: str) -> None:
    assert metadata_question(question, RECORDS) is None


def test_a_story_is_named_by_its_outlet_or_by_a_quoted_headline() -> None:
    assert named_sources("When was the AVA story published?", RECORDS) == {"c.txt"}
    assert named_sources("Who ran 'Storm leaves thousands without power'?", RECORDS) == {"b.txt"}
    assert named_sources("When was the story published?", RECORDS) == frozenset()


def test_outlet_names_match_without_case_the_or_acronym() -> None:
    assert "afghan voice agency" in outlet_names("Afghan Voice Agency (AVA)")
    assert filtered_sources(ArticleFilter(("ledger",)), RECORDS) == {"a.txt"}
    assert filtered_sources(ArticleFilter(("AVA", "the ledger")), RECORDS) == {"a.txt", "c.txt"}


def test_a_date_range_admits_only_articles_known_to_be_in_it() -> None:
    since_2024 = make_filter(since="2024-01-01")
    assert filtered_sources(since_2024, RECORDS) == {"a.txt"}  # b.txt has no known date
    until_2023 = make_filter(until=date(2023, 12, 31))
    assert filtered_sources(until_2023, RECORDS) == {"c.txt"}
    assert not make_filter() and make_filter(outlets=[" ", ""]) == ArticleFilter()


def test_bad_filters_are_one_line_errors() -> None:
    with pytest.raises(QuestionError, match=r"no indexed article is from 'Reuters' \(outlets: "):
        filtered_sources(ArticleFilter(("Reuters",)), RECORDS)
    with pytest.raises(QuestionError, match="since must be a date like 2024-05-24, got '24/5'"):
        make_filter(since="24/5")
    with pytest.raises(QuestionError, match="is after until"):
        make_filter(since="2024-02-01", until="2024-01-01")
    with pytest.raises(QuestionError, match=r"no indexed article matches the filter \(from The"):
        filtered_sources(make_filter(["The Ledger"], until="2020-01-01"), RECORDS)


# The real pipeline. -------------------------------------------------------------------------

SEED_DATE_LINE = "Publish dateMonday 25 December 2023 - 09:50"


def _quotes_its_file(answer: Answer, corpus: Path) -> None:
    for citation in answer.citations:
        text = (corpus / citation.source).read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.quote


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "When was the Afghan Voice Agency story published?",
        'On what date was "New York Times: Putin has announced his readiness for a ceasefire '
        'in Ukraine" published?',
    ],
)
def test_a_seed_articles_date_is_answered_from_its_date_line(bundled_settings, question) -> None:  # type: ignore[no-untyped-def]
    answer = ask(question, settings=bundled_settings)
    assert answer.text == "25 December 2023 [1]"
    (citation,) = answer.citations
    assert citation.source.startswith("004_") and citation.quote == SEED_DATE_LINE
    assert not citation.from_metadata
    _quotes_its_file(answer, bundled_settings.corpus_dir)


@pytest.mark.slow
def test_a_seed_articles_outlet_is_answered_from_the_line_naming_it(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    question = 'Which outlet published "Putin Ready to Freeze War on Current Battlefield Lines"?'
    answer = ask(question, settings=bundled_settings)
    assert answer.text == "The Moscow Times [1]"
    assert answer.citations[0].quote == "Support The Moscow Times!"
    _quotes_its_file(answer, bundled_settings.corpus_dir)


@pytest.mark.slow
def test_a_missing_date_abstains_and_says_only_what_is_true(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    from index.store import open_store

    answer = ask("When was The Moscow Times article published?", settings=bundled_settings)
    assert answer.abstained and not answer.citations
    assert "No publication date was found for the closest article" in answer.text
    source = answer.text.rsplit("(", 1)[1].rstrip(").")
    assert open_store(bundled_settings).file_records([source])[source].date is None


@pytest.mark.slow
def test_an_outlet_filter_answers_only_from_that_outlet(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    question = 'Who said Russia does not want an "eternal war"?'
    for outlet, prefix in (("VOA", "002_"), ("the moscow times", "003_")):
        answer = ask(question, settings=bundled_settings, outlets=[outlet])
        assert "Peskov" in answer.text, answer
        assert answer.citations and all(c.source.startswith(prefix) for c in answer.citations)


@pytest.mark.slow
def test_a_date_filter_leaves_out_undated_articles(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    question = "What did the New York Times report?"
    answer = ask(question, settings=bundled_settings, since="2023-12-01")
    assert all(c.source.startswith("004_") for c in answer.citations), answer
    with pytest.raises(QuestionError, match="no indexed article matches the filter"):
        ask("Who is Peskov?", settings=bundled_settings, since="2030-01-01")
    with pytest.raises(QuestionError, match="no indexed article is from 'Reuters'"):
        ask("Who is Peskov?", settings=bundled_settings, outlets=["Reuters"])


@pytest.fixture(scope="module")
def pages_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The hand-written news pages of tests/data/html/outlets, indexed."""
    from index.ingest import ingest
    from index.settings import load_settings

    corpus = tmp_path_factory.mktemp("pages")
    for page in ("ledger_jsonld.html", "broadcaster.html", "wire_agency.html"):
        shutil.copy(Path(__file__).parent / "data" / "html" / "outlets" / page, corpus)
    settings = load_settings(corpus_dir=corpus, store_dir=tmp_path_factory.mktemp("store"))
    ingest(settings)
    return settings


@pytest.mark.slow
def test_a_web_pages_date_outlet_and_author_come_from_its_markup(pages_settings) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "When was the Riverside Ledger story published?": ("24 May 2024", "Published: 2024-05-24"),
        "Who wrote the article about Storm Elin?": ("Morag Lennox", "Author: Morag Lennox"),
        "Which outlet published the story about the central bank holding rates?": (
            "Meridian Wire",
            "Outlet: Meridian Wire",
        ),
    }
    for question, (value, quote) in cases.items():
        answer = ask(question, settings=pages_settings)
        assert answer.text == f"{value} [1]", (question, answer)
        (citation,) = answer.citations
        assert citation.from_metadata and citation.quote == quote
        assert (citation.start, citation.end) == (0, 0)
