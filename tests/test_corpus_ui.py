"""The Articles tab in a real browser: Debian's Chromium driven by Playwright against the app on
127.0.0.1, over a temporary copy of the corpus and a temporary store, with the real embedding
model and the real local LLM. An article is uploaded, listed, asked about, cited, removed, and
then no longer cited; and with NEWSQA_AUTH set, an upload without the login is refused."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.servers import free_port
from tests.conftest import ARTIFACTS, BUNDLED_CORPUS
from tests.test_manage import FACT as ARTICLE
from tests.test_manage import QUESTION
from tests.test_web_chat import BOT_SELECTOR, _ask, _serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTICLE_NAME = "varnesk-ferry.txt"
CHANGE_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from index.ingest import ingest
    from index.settings import load_settings

    root = tmp_path_factory.mktemp("corpus-ui")
    corpus = root / "articles"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    settings = load_settings(corpus_dir=corpus, store_dir=root / "store")
    ingest(settings)
    app, url = _serve(settings)
    yield url, corpus
    app.close()


def _open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(300)


def _table_files(page: Any) -> list[str]:
    return page.locator("#newsqa-articles td code").all_inner_texts()


def _choose_files(page: Any, paths: list[Path]) -> None:
    """Pick files in the upload control and wait until each one has been sent to the app."""
    page.locator("#newsqa-upload input[type=file]").set_input_files([str(p) for p in paths])
    for path in paths:
        page.wait_for_selector(
            f'#newsqa-upload td.filename[aria-label="{path.name}"]', timeout=30_000
        )


def _status_says(page: Any, text: str) -> None:
    page.wait_for_function(
        "(text) => (document.querySelector('#newsqa-manage-status') || {}).innerText"
        "?.includes(text)",
        arg=text,
        timeout=CHANGE_TIMEOUT_MS,
    )
    page.wait_for_timeout(500)  # the progress display fades out


def test_upload_ask_remove_ask(browser: Any, served: tuple[str, Path], tmp_path: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url, corpus = served
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
    _open_tab(page, "Articles")
    page.wait_for_selector("#newsqa-articles table")
    assert sorted(_table_files(page)) == sorted(p.name for p in BUNDLED_CORPUS.iterdir())
    header = page.locator("#newsqa-articles thead").inner_text()
    assert all(h in header for h in ("Title", "Outlet", "Date", "File", "Chunks"))
    page.wait_for_selector(".pending", state="detached", timeout=30_000)  # the load's redraw
    page.screenshot(path=str(ARTIFACTS / "corpus-articles-tab.png"), full_page=True)

    article = tmp_path / ARTICLE_NAME
    article.write_text(ARTICLE, encoding="utf-8")
    _choose_files(page, [article])
    page.locator("#newsqa-add").click()
    try:  # the progress display, when the page is quick enough to catch it
        page.get_by_text(re.compile(r"reading articles|embedding and storing")).first.wait_for(
            timeout=20_000
        )
        page.screenshot(path=str(ARTIFACTS / "corpus-upload-progress.png"), full_page=True)
    except PlaywrightTimeout:  # a fast ingest can finish before the first poll
        print("the ingest finished before its progress could be captured")
    _status_says(page, "Added 1 article(s)")
    assert ARTICLE_NAME in _table_files(page)
    row = page.locator("#newsqa-articles tr", has_text=ARTICLE_NAME).inner_text()
    assert "Lake Varnesk ferry resumes" in row and "The Northern Ledger" in row
    assert "2025-03-03" in row
    assert "6 articles" in page.locator("#newsqa-corpus").inner_text()
    assert (corpus / ARTICLE_NAME).read_text(encoding="utf-8") == ARTICLE
    page.screenshot(path=str(ARTIFACTS / "corpus-upload-done.png"), full_page=True)

    _open_tab(page, "Chat")
    answer = _ask(page, QUESTION)
    assert "Solberg" in answer.inner_text()
    sources = page.locator("#newsqa-sources").inner_text()
    assert ARTICLE_NAME in sources and "Lake Varnesk ferry resumes" in sources
    page.screenshot(path=str(ARTIFACTS / "corpus-answer-uploaded.png"), full_page=True)
    dated = _ask(page, "When was the Northern Ledger story published?")
    assert dated.inner_text().startswith("3 March 2025")
    assert "Published: 3 March 2025" in page.locator("#newsqa-sources mark").first.inner_text()
    page.locator("#newsqa-filter-outlets input").click()  # the new outlet is a filter choice
    assert page.get_by_role("option", name="The Northern Ledger", exact=True).count() == 1
    page.keyboard.press("Escape")
    page.screenshot(path=str(ARTIFACTS / "corpus-answer-uploaded-date.png"), full_page=True)

    _open_tab(page, "Articles")
    page.locator("#newsqa-remove-choice input").click()
    page.get_by_role("option", name=ARTICLE_NAME, exact=False).click()
    page.locator("#newsqa-remove").click()
    _status_says(page, f"Removed {ARTICLE_NAME}")
    assert ARTICLE_NAME not in _table_files(page)
    assert len(_table_files(page)) == 5
    assert not (corpus / ARTICLE_NAME).exists()
    page.screenshot(path=str(ARTIFACTS / "corpus-removed.png"), full_page=True)

    _open_tab(page, "Chat")
    page.locator("#newsqa-new").click()
    page.wait_for_timeout(500)
    again = _ask(page, QUESTION)
    assert "Solberg" not in again.inner_text()
    assert ARTICLE_NAME not in page.locator("#newsqa-sources").inner_text()
    assert page.locator(BOT_SELECTOR).count() == 1
    page.screenshot(path=str(ARTIFACTS / "corpus-answer-after-removal.png"), full_page=True)
    page.close()


def test_a_refused_file_is_named_and_the_rest_goes_in(
    browser: Any, served: tuple[str, Path], tmp_path: Path
) -> None:
    url, corpus = served
    existing = sorted(p.name for p in BUNDLED_CORPUS.iterdir())[0]
    clash = tmp_path / existing
    clash.write_text("Replacement\nThis must not replace the article.\n", encoding="utf-8")
    fine = tmp_path / "harbour-note.md"
    fine.write_text("Harbour note\nThe Varnesk harbour office opens at nine.\n", encoding="utf-8")
    before = (corpus / existing).read_bytes()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_selector("#newsqa-question textarea", timeout=60_000)
    _open_tab(page, "Articles")
    _choose_files(page, [clash, fine])
    page.locator("#newsqa-add").click()
    _status_says(page, "Added 1 article(s)")
    status = page.locator("#newsqa-manage-status").inner_text()
    assert f"{existing}: not added, a file of that name is already in the corpus folder" in status
    assert (corpus / existing).read_bytes() == before
    assert "harbour-note.md" in _table_files(page)
    page.screenshot(path=str(ARTIFACTS / "corpus-upload-refusal.png"), full_page=True)
    page.locator("#newsqa-remove-choice input").click()
    page.get_by_role("option", name="harbour-note.md", exact=False).click()
    page.locator("#newsqa-remove").click()
    _status_says(page, "Removed harbour-note.md")
    page.close()


@pytest.mark.server
def test_an_upload_without_the_login_is_refused(tmp_path: Path) -> None:
    from index.ingest import ingest
    from index.settings import load_settings
    from qa.app import serve

    corpus = tmp_path / "articles"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    settings = load_settings(corpus_dir=corpus, store_dir=tmp_path / "store", auth="ed:s3cret")
    ingest(settings)
    port = free_port()
    app = serve(settings, host="127.0.0.1", port=port, block=False)
    before = sorted(p.name for p in corpus.iterdir())
    files = {"files": (ARTICLE_NAME, ARTICLE.encode(), "text/plain")}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.post("/gradio_api/upload", files=files).status_code == 401
            join = {"data": [[]], "fn_index": 0, "session_hash": "x", "event_data": None}
            assert client.post("/gradio_api/queue/join", json=join).status_code == 401
            for api, data in (("add_articles", [[]]), ("remove_article", [before[0]])):
                called = client.post(f"/gradio_api/call/{api}", json={"data": data})
                assert called.status_code == 401, (api, called.status_code)
            assert sorted(p.name for p in corpus.iterdir()) == before
            logged = client.post("/login", data={"username": "ed", "password": "s3cret"})
            assert logged.status_code == 200
            assert client.post("/gradio_api/upload", files=files).status_code == 200
    finally:
        app.close()
    assert sorted(p.name for p in corpus.iterdir()) == before  # an upload alone adds nothing
