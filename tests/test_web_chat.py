"""The web chat in a real browser: Debian's Chromium driven by Playwright, against the app
served on 127.0.0.1 with the real index and the real local LLM."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eval.servers import free_port
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ANSWER_TIMEOUT_MS = 120_000
BOT_SELECTOR = '#newsqa-chat [data-testid="bot"]'


def _serve(settings: Any) -> tuple[Any, str]:
    from qa.app import serve

    port = free_port()
    app = serve(settings, host="127.0.0.1", port=port, block=False)
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def chat_url(bundled_settings: Any) -> Iterator[str]:
    app, url = _serve(bundled_settings)
    yield url
    app.close()


def _ask(page: Any, question: str) -> Any:
    """Type a question, send it, and wait until the final answer (with its sources) is shown."""
    before = page.locator(BOT_SELECTOR).count()
    box = page.locator("#newsqa-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        """([selector, n]) => {
            const bots = document.querySelectorAll(selector);
            if (bots.length <= n) return false;
            const last = bots[bots.length - 1];
            return last.querySelector('a.cite') !== null
                || last.innerText.includes('No answer to this was found')
                || last.innerText.includes('Error:');
        }""",
        arg=[BOT_SELECTOR, before],
        timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_timeout(500)
    return page.locator(BOT_SELECTOR).last


def test_answer_streams_names_peskov_and_links_its_sources(browser: Any, chat_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(chat_url)
    page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
    page.evaluate(
        """(selector) => {
        window.__botStates = new Set();
        new MutationObserver(() => {
            const bots = document.querySelectorAll(selector);
            if (bots.length) window.__botStates.add(bots[bots.length - 1].innerText);
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""",
        BOT_SELECTOR,
    )
    started = time.perf_counter()
    answer = _ask(page, 'Who said Russia does not want an "eternal war"?')
    elapsed = time.perf_counter() - started
    assert "Peskov" in answer.inner_text()
    states = page.evaluate("() => [...window.__botStates]")
    assert len(states) >= 2, states  # a placeholder and/or partial text came before the answer
    sources = page.locator("#newsqa-sources")
    marks = sources.locator("mark")
    assert marks.count() >= 1
    assert any("eternal war" in marks.nth(i).inner_text() for i in range(marks.count()))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-chat-answer.png"), full_page=True)

    answer.locator("a.cite").first.click()
    page.wait_for_timeout(300)
    assert page.evaluate("() => location.hash") == "#src-1-1"
    entry = page.locator("#src-1-1")
    assert entry.is_visible() and entry.locator("p mark").count() == 1
    entry.locator("summary").click()  # expand the whole article: the passage is marked there too
    assert entry.locator("details pre mark").is_visible()
    print(f"answer shown after {elapsed:.1f}s")

    follow = _ask(page, "What else did he say?")
    assert "Understood as:" in follow.inner_text()
    assert "Peskov" in follow.inner_text().split("Understood as:", 1)[1].split("\n", 1)[0]
    page.screenshot(path=str(ARTIFACTS / "web-chat-followup.png"), full_page=True)

    page.locator("#newsqa-new").click()
    page.wait_for_timeout(500)
    assert page.locator(BOT_SELECTOR).count() == 0
    page.close()


def test_unanswerable_shows_no_sources(browser: Any, chat_url: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone's width
    page.goto(chat_url)
    page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
    answer = _ask(page, "What is the population of Kazakhstan?")
    assert "No answer to this was found in the articles." in answer.inner_text()
    assert page.locator("#newsqa-sources mark").count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 400
    page.screenshot(path=str(ARTIFACTS / "web-chat-phone.png"), full_page=True)
    page.close()


def test_markup_in_articles_and_questions_is_shown_as_text(browser: Any, tmp_path: Path) -> None:
    from index.ingest import ingest
    from index.settings import load_settings

    corpus = tmp_path / "articles"
    corpus.mkdir()
    (corpus / "hostile.txt").write_text(
        "Harbor <script>window.__pwned = 1</script> report\n"
        'The harbor master said the new pier <img src=x onerror="window.__pwned = 2"> '
        "will open in June after repairs.\n",
        encoding="utf-8",
    )
    settings = load_settings(corpus_dir=corpus, store_dir=tmp_path / "store")
    ingest(settings)
    app, url = _serve(settings)
    try:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
        _ask(page, 'When will the new pier <img src=x onerror="window.__pwned = 3"> open?')
        assert page.evaluate("() => window.__pwned") is None
        text = page.locator("body").inner_text()
        assert "<img src=x" in text  # shown literally, not rendered
        page.close()
    finally:
        app.close()


def test_the_filter_row_limits_answers_to_an_outlet_and_dates(browser: Any, chat_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(chat_url)
    page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
    page.locator("#newsqa-filter-outlets input").click()
    page.get_by_role("option", name="VOA", exact=True).click()
    page.keyboard.press("Escape")
    answer = _ask(page, 'Who said Russia does not want an "eternal war"?')
    assert "Peskov" in answer.inner_text()
    cited = page.locator("#newsqa-sources .src .meta").all_inner_texts()
    assert cited and all("002_ff3a66dc08c7f601.txt" in line for line in cited), cited
    page.screenshot(path=str(ARTIFACTS / "web-chat-filtered.png"), full_page=True)

    page.locator("#newsqa-since :is(input, textarea)").fill("24/5")
    error = _ask(page, "Who is Peskov?")
    assert "since must be a date like 2024-05-24" in error.inner_text()
    page.close()


def test_a_date_question_cites_the_articles_date_line(browser: Any, chat_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(chat_url)
    page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
    answer = _ask(page, "When was the Afghan Voice Agency story published?")
    assert answer.inner_text().startswith("25 December 2023")
    mark = page.locator("#newsqa-sources .src p mark").first
    assert mark.inner_text() == "Publish dateMonday 25 December 2023 - 09:50"
    page.screenshot(path=str(ARTIFACTS / "web-chat-date.png"), full_page=True)
    page.close()


@pytest.mark.server
def test_a_hosted_chat_models_answer_marks_its_verified_sentences(
    browser: Any, bundled_settings: Any
) -> None:
    """The web chat over a real OpenAI-compatible chat server (llama_cpp.server, Qwen 0.5B):
    the written answer streams, and each sentence that survived verification is marked."""
    from qa.engine import forget_engines
    from qa.models import model_path
    from tests.test_servers import _hosted_chat_settings, _start_llama_server, _stop

    llm_port = free_port()
    settings = _hosted_chat_settings(bundled_settings, llm_port)
    process = _start_llama_server(llm_port, model_path("qwen2.5-coder-0.5b-instruct"))
    app, url = _serve(settings)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
        answer = _ask(page, 'Who said Russia does not want an "eternal war"?')
        assert "Peskov" in answer.inner_text()
        verified = answer.locator("span.verified")
        assert verified.count() >= 1
        assert all(verified.nth(i).locator("a.cite").count() >= 1 for i in range(verified.count()))
        assert "each sentence checked against the passages it cites" in answer.inner_text()
        assert page.locator("#newsqa-sources mark").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "web-chat-hosted-verified.png"), full_page=True)
        page.close()
    finally:
        app.close()
        _stop(process)
        forget_engines()
