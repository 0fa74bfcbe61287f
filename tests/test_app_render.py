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


def test_highlight_window() -> None:
    assert _highlighted("abcdefghij", 4, 6, 2) == "…cd<mark>ef</mark>gh…"
    assert _highlighted("a<b", 1, 2, None) == "a<mark>&lt;</mark>b"
