"""Shared fixtures: a real Chroma store in a temp folder, indexed once per test session with
the real embedding model, and settings that point at it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CORPUS = ROOT / "data" / "articles"
ARTIFACTS = ROOT / "test-artifacts"


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
