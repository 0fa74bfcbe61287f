"""HTML pages through trafilatura: story text without page furniture, the page's own title,
date, outlet and author, skipped pages named, and offsets that still index the stored text.

The pages under `tests/data/html/outlets/` were written by hand in the shapes of common news
templates (a cookie banner, navigation menus, "related" and "most read" lists, share buttons,
reader comments, footers, scripts, JSON-LD and `og:` tags). `tests/data/html/trafilatura/`
holds one page of trafilatura's own test resources (Apache-2.0, see its LICENSE there).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.ingest import clean_file, ingest
from index.load import ArticleFile, SkippedFile, iter_articles, read_source_text
from index.settings import load_settings
from index.store import open_store

HTML = Path(__file__).parent / "data" / "html"
OUTLETS = HTML / "outlets"
# A single-page app shell: nothing but a script and an empty mount point.
APP_SHELL = (
    "<!doctype html><html><head><title>Loading</title><script src='/app.js'></script></head>"
    "<body><div id='root'></div></body></html>"
)


@dataclass(frozen=True)
class Expected:
    title: str
    date: str | None
    outlet: str | None
    author: str | None
    story: tuple[str, ...]  # sentences that must be in the text
    furniture: tuple[str, ...]  # page furniture that must not


PAGES = {
    "ledger_jsonld.html": Expected(
        "Council votes to close Old Mill bridge",
        "2024-05-24",
        "The Riverside Ledger",
        "Jane Porter",
        (
            "The town council voted on Thursday to close the Old Mill bridge to all traffic "
            "from June, after engineers found cracks in two of its supporting piers.",
            "A full repair is estimated to cost 4.2 million pounds and could take two years, "
            "according to a report presented to the meeting.",
        ),
        (
            "We use cookies",
            "Accept all cookies",
            "Weather",
            "Opinion",
            "Related stories",
            "Flood warnings issued for the lower valley",
            "Mayor unveils plan for new cycle lanes",
            "Copyright 2024",
            "Privacy policy",
            "dataLayer",
            "Subscribe now",
            "color:red",
        ),
    ),
    "broadcaster.html": Expected(
        "Storm Elin: Thousands without power after record winds",
        "2023-12-25",
        "North Coast News",
        "Morag Lennox",
        (
            "The Met Office said the gust recorded at Cape Harrow was the strongest measured "
            "there since records began in 1962.",
            '"We have never seen anything like it," said Ewan Sutherland',
        ),
        (
            "Let us know you agree to cookies",
            "Yes, I agree",
            "Skip to content",
            "Worklife",
            "Politics",
            "More on this story",
            "Ferry services cancelled across the west coast",
            "Related Topics",
            "Most Read",
            "Pensioner wins lottery twice in one week",
            "Terms of Use",
            "not responsible for the content of external sites",
        ),
    ),
    "wire_agency.html": Expected(
        "Central bank holds rates at 5.25% as inflation cools",
        "2024-03-14",
        "Meridian Wire",
        "Luis Ortega",
        (
            "LIMA, March 14 (Meridian Wire) - The central bank kept its benchmark interest rate "
            "at 5.25% on Thursday",
            "Eleven of the fourteen economists polled last week had expected the bank to hold",
        ),
        (
            "Accept All Cookies",
            "Breakingviews",
            "Sign In",
            "Sign up here for our daily markets briefing.",
            "Read Next",
            "Copper prices hit two-year high on supply fears",
            "Airline shares slump",
            "All quotes delayed",
            "Advertise with Us",
            "ads.example.com",
        ),
    ),
    "wordpress_local.html": Expected(
        "Library reopens after two-year renovation",
        "2022-09-03",
        "Valley Gazette",
        "Priya Natarajan",
        (
            "The Carnegie Library on Elm Street reopened on Saturday after a renovation that "
            "took two years and cost 3.1 million dollars, most of it raised by local donors.",
            "The library will open seven days a week until the end of October",
        ),
        (
            "This website uses cookies",
            "Obituaries",
            "Classifieds",
            "Share this",
            "Facebook",
            "Farmers market moves to Saturday mornings",
            "My kids have been waiting",  # a reader comment
            "Shame about the parking",
            "Leave a Reply",
            "Council approves budget for road repairs",
            "Proudly powered by WordPress",
        ),
    ),
    # No date, outlet or og: tags in the markup: the date comes from its "Published:" line.
    "legacy_no_meta.html": Expected(
        "Rescuers reach miners trapped for three days",
        "2021-01-12",
        None,
        "Sam Okafor",
        ("Rescue teams reached eleven miners trapped underground at the Kessock pit",),
        ("Front page", "Business", "4 Quay Street"),
    ),
    # No date anywhere but a footer's "(c) 2024", which must not become 2024-01-01.
    "copyright_footer.html": Expected(
        "Pit history",
        None,
        None,
        None,
        ("The Kessock pit opened on 3 March 1969 and employed 900 people at its peak",),
        ("All rights reserved", "© 2024"),
    ),
}


def _articles(folder: Path) -> dict[str, ArticleFile | SkippedFile]:
    return {item.source: item for item in iter_articles(folder)}


@pytest.fixture(scope="module")
def outlet_pages() -> dict[str, ArticleFile | SkippedFile]:
    return _articles(OUTLETS)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_outlet_page_keeps_the_story_and_drops_the_furniture(
    name: str, outlet_pages: dict[str, ArticleFile | SkippedFile]
) -> None:
    item, expected = outlet_pages[name], PAGES[name]
    assert isinstance(item, ArticleFile)
    assert item.text.splitlines()[0] == expected.title  # the headline heads the text
    for sentence in expected.story:
        assert sentence in item.text
    for furniture in expected.furniture:
        assert furniture not in item.text


@pytest.mark.parametrize("name", sorted(PAGES))
def test_outlet_page_metadata_wins_over_text_guesses(
    name: str, outlet_pages: dict[str, ArticleFile | SkippedFile]
) -> None:
    item, expected = outlet_pages[name], PAGES[name]
    assert isinstance(item, ArticleFile)
    article = clean_file(item)
    assert (article.title, article.date, article.outlet, article.author) == (
        expected.title,
        expected.date,
        expected.outlet,
        expected.author,
    )
    assert all(item.text[p.start : p.end] == p.text for p in article.paragraphs)


def test_all_outlet_pages_are_read() -> None:
    assert sorted(_articles(OUTLETS)) == sorted(PAGES)


def test_page_text_is_the_same_on_every_read() -> None:
    name = "broadcaster.html"
    first, again = _articles(OUTLETS)[name], _articles(OUTLETS)[name]
    assert isinstance(first, ArticleFile) and first == again
    assert read_source_text(OUTLETS, name) == first.text


def test_trafilatura_sample_page_extracted_at_test_time() -> None:
    item = _articles(HTML / "trafilatura")["http_sample.html"]
    assert isinstance(item, ArticleFile) and item.page is not None
    assert (item.page.title, item.page.date, item.page.author) == (
        "Herman Melville - Moby-Dick",
        None,
        "Herman Melville",
    )
    assert item.text.startswith(
        "Herman Melville - Moby-Dick\nAvailing himself of the mild, summer-cool weather that "
        "now reigned in these latitudes"
    )
    assert item.text.endswith("This is a test paragraph with a link.")
    assert "Novel" not in item.text.splitlines()  # the page's tag list


def test_page_without_extractable_text_is_skipped_and_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "shell.html").write_text(APP_SHELL, encoding="utf-8")
    (corpus / "blank.htm").write_text("<html><body>  </body></html>", encoding="utf-8")
    shutil.copy(OUTLETS / "wire_agency.html", corpus / "wire.html")
    (corpus / "note.txt").write_text("Plain title\nThe plain text body.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        items = _articles(corpus)
    reason = "no article text that trafilatura could extract"
    assert items["shell.html"] == SkippedFile("shell.html", reason)
    assert items["blank.htm"] == SkippedFile("blank.htm", reason)
    assert isinstance(items["wire.html"], ArticleFile)
    assert items["note.txt"] == ArticleFile(
        "note.txt", corpus / "note.txt", "Plain title\nThe plain text body.\n"
    )
    assert [r.getMessage() for r in caplog.records] == [
        f"skipped blank.htm: {reason}",
        f"skipped shell.html: {reason}",
    ]


@pytest.mark.slow
def test_ingested_page_chunks_slice_the_article_text(tmp_path: Path) -> None:
    from eval.runner import load_texts

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(OUTLETS / "broadcaster.html", corpus / "storm.html")
    (corpus / "shell.html").write_text(APP_SHELL, encoding="utf-8")
    settings = load_settings(corpus_dir=corpus, store_dir=tmp_path / "store")
    report = ingest(settings)
    assert (report.files_indexed, report.chunks_total) == (1, report.chunks_embedded)
    assert report.chunks_total > 0
    assert dict(report.skipped) == {"shell.html": "no article text that trafilatura could extract"}

    text = load_texts(settings)["storm.html"]
    assert text == read_source_text(corpus, "storm.html")
    got = open_store(settings).chunks.get(include=["documents", "metadatas"])
    chunks = list(zip(got["documents"], got["metadatas"], strict=True))
    story = [document for document, meta in chunks if not meta["furniture"]]
    assert any("strongest measured there since records began in 1962" in d for d in story)
    for document, meta in chunks:
        assert text[int(meta["start"]) : int(meta["end"])] == document
        assert (meta["source"], meta["title"], meta["date"], meta["outlet"], meta["author"]) == (
            "storm.html",
            "Storm Elin: Thousands without power after record winds",
            "2023-12-25",
            "North Coast News",
            "Morag Lennox",
        )
    again = ingest(settings)  # the same page extracts to the same text: nothing to redo
    assert (again.files_unchanged, again.chunks_embedded, again.chunks_deleted) == (1, 0, 0)
