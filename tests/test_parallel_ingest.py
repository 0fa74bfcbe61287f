"""`ingest(workers=2)` builds the index one worker builds: the same chunk ids in the same
Chroma order, the same manifest, the same BM25 hits; and re-ingesting it changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.ingest import ingest
from index.settings import load_settings
from index.store import open_store
from tests.test_kill_ingest import _make_corpus

pytestmark = pytest.mark.slow


def _state(settings) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    store = open_store(settings)
    records = store.file_records()
    manifest = {s: (r.digest, r.status, r.chunks, r.title) for s, r in records.items()}
    hits = store.keywords.bm25_top("Kremlin eternal war Peskov", 12)
    return store.all_chunk_ids(), manifest, hits


def test_two_workers_build_the_index_one_worker_builds(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _make_corpus(corpus, copies=3)
    one = load_settings(corpus_dir=corpus, store_dir=tmp_path / "one")
    two = load_settings(corpus_dir=corpus, store_dir=tmp_path / "two")
    first = ingest(one)
    second = ingest(two, workers=2)
    assert second.chunks_embedded == first.chunks_embedded > 0
    assert _state(two) == _state(one)
    again = ingest(two, workers=2)
    assert (again.files_unchanged, again.chunks_embedded) == (first.files_indexed, 0)
