"""Bad input through the real CLI: one clear line on stderr, exit code 2, no traceback, and
nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.errors import StoreError
from index.settings import load_settings
from index.store import SCHEMA_VERSION, open_store


def _newsqa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("newsqa: error:")]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_missing_corpus_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = _newsqa("ingest", str(missing), env={"NEWSQA_STORE_DIR": str(tmp_path / "s")})
    _assert_one_line_error(result, "corpus folder not found", str(missing))


def test_store_folder_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _newsqa("ingest", env={"NEWSQA_STORE_DIR": str(blocker / "store")})
    _assert_one_line_error(result, "cannot write the store folder", str(blocker))


@pytest.mark.parametrize(
    "name,value",
    [
        ("NEWSQA_LLM", "gpt-9"),
        ("NEWSQA_TOP_K", "-3"),
        ("NEWSQA_LLM_URL", "ftp://x"),
        ("NEWSQA_CHROMA_URL", "localhost:8000"),
    ],
)
def test_bad_settings_are_named(name: str, value: str) -> None:
    _assert_one_line_error(_newsqa("ask", "Who?", env={name: value}), name)


def test_empty_question_is_refused_before_any_work(tmp_path: Path) -> None:
    result = _newsqa("ask", "   ", env={"NEWSQA_STORE_DIR": str(tmp_path / "never")})
    _assert_one_line_error(result, "the question is empty")
    assert not (tmp_path / "never").exists()  # no store opened, no model loaded


def test_a_bad_filter_date_is_refused_before_any_work(tmp_path: Path) -> None:
    never = tmp_path / "never"
    result = _newsqa("ask", "Who?", "--since", "24/5", env={"NEWSQA_STORE_DIR": str(never)})
    _assert_one_line_error(result, "since must be a date like 2024-05-24, got '24/5'")
    result = _newsqa(
        "ask",
        "Who?",
        "--since",
        "2024-02-01",
        "--until",
        "2024-01-01",
        env={"NEWSQA_STORE_DIR": str(never)},
    )
    _assert_one_line_error(result, "is after until")
    assert not never.exists()


def test_store_from_another_version_says_how_to_rebuild(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = load_settings(store_dir=tmp_path)
    client = chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    client.create_collection(
        settings.collection, embedding_function=None, metadata={"newsqa_schema": SCHEMA_VERSION - 1}
    )
    with pytest.raises(StoreError, match=r"another newsqa version.*newsqa ingest --rebuild"):
        open_store(settings)


def test_corrupted_store_says_how_to_rebuild(tmp_path: Path) -> None:
    settings = load_settings(store_dir=tmp_path)
    settings.chroma_path.mkdir(parents=True)
    (settings.chroma_path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    result = _newsqa("ingest", env={"NEWSQA_STORE_DIR": str(tmp_path)})
    _assert_one_line_error(result, str(settings.chroma_path), "newsqa ingest --rebuild")
    rebuilt = _newsqa("ingest", "--rebuild", env={"NEWSQA_STORE_DIR": str(tmp_path)})
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "5 indexed" in rebuilt.stdout
