"""Worked examples for page cleaning and news metadata: exact expected values."""

from index.clean import classify_paragraph, clean_article, find_outlet, parse_date, split_paragraphs

PAGE = """Breaking News
Support The Daily Ledger!
Mayor Opens New Bridge After Delays
By Jane Roe
The mayor opened the bridge on Monday. Officials said it cost $40 million.
The mayor at the ribbon cutting. Photo: City Hall
Mayor Opens New Bridge After Delays
Traffic is expected to ease, a city engineer said.
Published: March 4, 2024
Other News
Ten tips for a perfect barbecue
Leave a Reply
"""


def test_clean_article_drops_page_furniture_and_keeps_offsets() -> None:
    article = clean_article("ledger.txt", PAGE)
    assert [p.text for p in article.paragraphs] == [
        "Mayor Opens New Bridge After Delays",
        "The mayor opened the bridge on Monday. Officials said it cost $40 million.",
        "The mayor at the ribbon cutting.",
        "Traffic is expected to ease, a city engineer said.",
    ]
    assert all(PAGE[p.start : p.end] == p.text for p in article.paragraphs)
    reasons = {p.text: reason for p, reason in article.dropped}
    assert reasons == {
        "Breaking News": "section label",
        "Support The Daily Ledger!": "appeal",
        "By Jane Roe": "byline",
        "Photo: City Hall": "credit",  # a caption keeps its words, loses its credit
        "Mayor Opens New Bridge After Delays": "duplicate",
        "Published: March 4, 2024": "date line",
        "Other News": "after end of story",
        "Ten tips for a perfect barbecue": "after end of story",
        "Leave a Reply": "after end of story",
    }
    assert (article.title, article.outlet, article.date) == (
        "Mayor Opens New Bridge After Delays",
        "The Daily Ledger",
        "2024-03-04",
    )


def test_appeal_early_in_page_is_dropped_alone() -> None:
    raw = "Title line\nPlease donate to keep us going.\nFirst fact here.\nSecond fact here.\n"
    article = clean_article("a.txt", raw)
    assert [p.text for p in article.paragraphs] == [
        "Title line",
        "First fact here.",
        "Second fact here.",
    ]


def test_classify_paragraph_examples() -> None:
    assert classify_paragraph("Your Email Address") == "comment form"
    assert classify_paragraph("Story Code : 282830") == "metadata"
    assert classify_paragraph("Source: The Daily Ledger") == "metadata"
    assert classify_paragraph("Putin at a meeting in Minsk on May 23, 2024. Kremlin photo") == (
        "caption"
    )
    assert classify_paragraph("Remind me later.") == "appeal"
    assert classify_paragraph("By Editor") == "byline"
    assert classify_paragraph("By the end of the year, prices rose.") is None
    assert classify_paragraph("Russia said the photo was fake.") is None


def test_dates_and_outlets() -> None:
    assert parse_date("Publish dateMonday 25 December 2023 - 09:50") == "2023-12-25"
    assert parse_date("Updated 7 Jan 2024") is None  # abbreviated months are not guessed
    paragraphs = split_paragraphs("Afghan Voice Agency (AVA): The paper said so.\nMore text.")
    assert find_outlet(paragraphs) == "Afghan Voice Agency (AVA)"
    assert find_outlet(split_paragraphs("Text.\nLast line of story./VOA\nLatest news")) == "VOA"
    assert find_outlet(split_paragraphs("Reuters: Putin wants talks\nBody.")) is None


def test_bundled_corpus_metadata() -> None:
    from tests.conftest import BUNDLED_CORPUS

    found = {}
    for path in sorted(BUNDLED_CORPUS.iterdir()):
        article = clean_article(path.name, path.read_text(encoding="utf-8"))
        found[path.name[:3]] = (article.title, article.outlet, article.date)
        texts = " ".join(p.text for p in article.paragraphs)
        for furniture in (
            "burger",
            "Leave a Reply",
            "small favor",
            "Your Email",
            "Image: Reuters",
            "Story Code",
            "Flash News",
            "By Editor",
            "Remind me later",
        ):
            assert furniture not in texts, (path.name, furniture)
    assert found["002"] == (
        "Reuters: Putin wants ceasefire with Ukraine along current front lines",
        "VOA",
        None,
    )
    assert found["003"] == (
        "Putin Ready to Freeze War on Current Battlefield Lines – Reuters",
        "The Moscow Times",
        None,
    )
    assert found["004"] == (
        "New York Times: Putin has announced his readiness for a ceasefire in Ukraine",
        "Afghan Voice Agency (AVA)",
        "2023-12-25",
    )
