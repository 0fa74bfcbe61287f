"""Shared fixtures: a real Chroma store in a temp folder, indexed once per test session with
the real embedding model, and settings that point at it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CORPUS = ROOT / "data" / "articles"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def bundled_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings over the bundled corpus with its index built (real model, real Chroma)."""
    from index.ingest import ingest
    from index.settings import load_settings

    store = tmp_path_factory.mktemp("store")
    settings = load_settings(corpus_dir=BUNDLED_CORPUS, store_dir=store)
    ingest(settings)
    return settings


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the bundled corpus."""
    target = tmp_path / "articles"
    shutil.copytree(BUNDLED_CORPUS, target)
    yield target


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()
