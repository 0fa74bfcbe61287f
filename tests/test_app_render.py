"""The web chat's HTML rendering: escaped text, marker links, highlighted passages (pure)."""

from qa.app import _highlighted, _marker_links, render_answer, render_source
from qa.types import Answer, Citation

CITATION = Citation(1, "a.txt", "<b>Title</b>", "Outlet", "2024-05-24", "Peskov said no.", 6, 21)


def test_marker_links_and_escaping() -> None:
    answer = Answer(
        "q",
        "<script>alert(1)</script> Peskov [1]",
        [CITATION],
        standalone_question="What <i>else</i>?",
    )
    shown = render_answer(answer, 3)
    assert "<script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert '<a href="#src-3-1" class="cite">[1]</a>' in shown
    assert "Understood as: What &lt;i&gt;else&lt;/i&gt;?" in shown
    assert _marker_links("x [12] y", 1) == 'x <a href="#src-1-12" class="cite">[12]</a> y'


def test_source_entry_highlights_the_quote_in_context() -> None:
    article = "Intro Peskov said no. <img src=x onerror=alert(1)> tail"
    entry = render_source(CITATION, 2, article)
    assert 'id="src-2-1"' in entry
    assert "<mark>Peskov said no.</mark>" in entry
    assert "&lt;img src=x onerror=alert(1)&gt;" in entry and "<img" not in entry
    assert "&lt;b&gt;Title&lt;/b&gt;" in entry
    assert "Outlet · 2024-05-24 · a.txt" in entry
    assert "<details><summary>Whole article</summary>" in entry


def test_source_entry_when_the_file_changed_shows_the_stored_quote() -> None:
    entry = render_source(CITATION, 1, "something else entirely")
    assert "<mark>Peskov said no.</mark>" in entry and "<details>" not in entry


def test_a_written_answer_marks_each_verified_sentence_and_lists_the_dropped() -> None:
    answer = Answer(
        "q",
        "Peskov said no [1]. Talks <b>stalled</b> [1].",
        [CITATION],
        verified_sentences=("Peskov said no [1].", "Talks <b>stalled</b> [1]."),
        dropped_sentences=("Putin <i>agreed</i>",),
    )
    shown = render_answer(answer, 1)
    assert shown.count('<span class="verified"') == 2
    assert "✓ Talks &lt;b&gt;stalled&lt;/b&gt; " in shown
    assert '<a href="#src-1-1" class="cite">[1]</a>' in shown
    assert "1 sentence(s) the model wrote were dropped" in shown
    assert "<s>Putin &lt;i&gt;agreed&lt;/i&gt;</s>" in shown
    extractive = render_answer(Answer("q", "Peskov [1]", [CITATION]), 1)
    assert "verified" not in extractive and "dropped" not in extractive


def test_a_metadata_citation_is_labelled_as_the_articles_metadata() -> None:
    citation = Citation(
        1, "a.html", "T", "Ledger", "2024-05-24", "Published: 2024-05-24", 0, 0, True
    )
    entry = render_source(citation, 1, "Story text.")
    assert "<mark>Published: 2024-05-24</mark> (from the article's metadata)" in entry
    assert "Whole article" not in entry


def test_highlight_window() -> None:
    assert _highlighted("abcdefghij", 4, 6, 2) == "…cd<mark>ef</mark>gh…"
    assert _highlighted("a<b", 1, 2, None) == "a<mark>&lt;</mark>b"


def test_articles_table_escapes_every_cell() -> None:
    from index.manage import ArticleEntry
    from qa.app import render_articles

    entry = ArticleEntry(
        "a<b>.txt", "<script>x()</script>", "O&O", "2024-05-24", 7, "2024-05-25T10:00", "complete"
    )
    table = render_articles([entry])
    assert "<script>" not in table and "a<b>" not in table
    assert (
        "<tr><td>&lt;script&gt;x()&lt;/script&gt;</td><td>O&amp;O</td><td>2024-05-24</td>"
        '<td><code>a&lt;b&gt;.txt</code></td><td class="n">7</td></tr>'
    ) in table
    assert "<th>Title</th><th>Outlet</th><th>Date</th><th>File</th><th>Chunks</th>" in table


def test_add_report_lists_what_went_in_and_each_refusal() -> None:
    from index.manage import AddReport
    from index.uploads import Refusal
    from qa.app import render_add_report

    report = AddReport(("ok.txt",), (Refusal("<x>.txt", "the name holds '<'"),), 3)
    assert render_add_report(report) == (
        '<p class="manage-ok">Added 1 article(s), 3 chunks: ok.txt</p>\n'
        '<p class="manage-refused">&lt;x&gt;.txt: not added, the name holds &#x27;&lt;&#x27;</p>'
    )
    assert render_add_report(AddReport((), (), 0)) == "<p>No files were chosen.</p>"
