"""Incremental ingest against a real Chroma store with the real embedding model."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import CorpusError, SettingsError
from index.ingest import ingest
from index.settings import load_settings
from index.store import open_store

pytestmark = pytest.mark.slow


def _ids_by_source(settings) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    store = open_store(settings)
    got = store.chunks.get(include=["metadatas"])
    by_source: dict[str, set[str]] = {}
    for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True):
        by_source.setdefault(str(meta["source"]), set()).add(chunk_id)
    return by_source


def test_reingest_is_a_no_op_and_changes_touch_only_their_file(
    corpus_copy: Path, tmp_path: Path
) -> None:
    settings = load_settings(corpus_dir=corpus_copy, store_dir=tmp_path / "store")
    first = ingest(settings)
    assert (first.files_indexed, first.chunks_embedded) == (5, first.chunks_total)
    before = _ids_by_source(settings)

    second = ingest(settings)
    assert (second.files_unchanged, second.chunks_embedded, second.chunks_deleted) == (5, 0, 0)
    assert second.chunks_total == first.chunks_total
    assert _ids_by_source(settings) == before

    changed = corpus_copy / "003_3dab01f474e797b8.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nA brand new closing line.\n", encoding="utf-8"
    )
    third = ingest(settings)
    after = _ids_by_source(settings)
    assert third.files_indexed == 1 and third.files_unchanged == 4
    assert third.chunks_embedded == len(after["003_3dab01f474e797b8.txt"])
    assert third.chunks_deleted == len(before["003_3dab01f474e797b8.txt"])
    for source, ids in before.items():
        if source != "003_3dab01f474e797b8.txt":
            assert after[source] == ids
    assert after["003_3dab01f474e797b8.txt"].isdisjoint(before["003_3dab01f474e797b8.txt"])

    (corpus_copy / "001_969080e39b23b744.txt").unlink()
    fourth = ingest(settings)
    assert fourth.files_removed == 1
    assert "001_969080e39b23b744.txt" not in _ids_by_source(settings)
    assert fourth.chunks_total == sum(len(v) for v in _ids_by_source(settings).values())


def test_stored_chunks_are_verbatim_slices(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    store = open_store(bundled_settings)
    got = store.chunks.get(include=["documents", "metadatas"])
    assert len(got["ids"]) == len(set(got["ids"])) > 20
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        raw = (bundled_settings.corpus_dir / str(meta["source"])).read_text(encoding="utf-8")
        assert raw[int(meta["start"]) : int(meta["end"])] == text


def test_bad_files_are_skipped_with_their_reason(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Good title\nThe council met on Monday to vote.\n")
    (corpus / "empty.txt").write_text("")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 au lait\n".encode("latin-1"))
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (corpus / "huge.txt").write_bytes(b"All work and no play. " * 2_400_000)  # 52.8 MB
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret outside the corpus.\n")
    (corpus / "link.txt").symlink_to(outside)
    report = ingest(load_settings(corpus_dir=corpus, store_dir=tmp_path / "store"))
    assert report.files_indexed == 1
    assert dict(report.skipped) == {
        "binary.txt": "binary file",
        "empty.txt": "empty file",
        "huge.txt": "52,800,000 bytes, over the 5,000,000-byte limit",
        "latin1.txt": "not UTF-8 (byte 3)",
        "link.txt": "a link that points outside the corpus folder",
    }


def test_missing_corpus_and_bad_settings_name_the_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(CorpusError, match=f"corpus folder not found: {missing}"):
        ingest(load_settings(corpus_dir=missing, store_dir=tmp_path / "store"))
    with pytest.raises(SettingsError, match="NEWSQA_TOP_K"):
        load_settings(top_k=-1)
    with pytest.raises(SettingsError, match="NEWSQA_LLM"):
        load_settings(llm="gpt")
    with pytest.raises(SettingsError, match="NEWSQA_CHROMA_URL"):
        load_settings(chroma_url="localhost:8000")


def test_vectors_stay_with_their_chunks_across_groups_and_store_calls(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks are embedded length-sorted in batches and stored in slices: every stored
    vector must still be its own chunk's, and the store must hold what one big group does."""
    import numpy as np

    import index.ingest as ingest_module
    from index.embed import OnnxMiniLM

    whole = load_settings(corpus_dir=corpus_copy, store_dir=tmp_path / "whole")
    ingest(whole)
    monkeypatch.setattr(ingest_module, "GROUP_CHUNKS", 10)
    monkeypatch.setattr(ingest_module, "STORE_CHUNKS", 7)
    sliced = load_settings(corpus_dir=corpus_copy, store_dir=tmp_path / "sliced")
    report = ingest(sliced)
    assert report.chunks_embedded > 2 * 10  # several groups, each stored in several calls
    assert _ids_by_source(sliced) == _ids_by_source(whole)

    got = open_store(sliced).chunks.get(include=["documents", "embeddings"])
    every = OnnxMiniLM(threads=2).encode(got["documents"])
    assert (np.sum(every * np.asarray(got["embeddings"]), axis=1) > 0.999).all()


def test_each_vector_is_its_texts_own_whatever_shares_its_run() -> None:
    """`encode` runs texts a few at a time in order of length: the rows still come back in
    the order given, each the very vector that text gets alone."""
    import numpy as np

    from index.embed import ROWS_PER_RUN, OnnxMiniLM

    texts = [
        "Kremlin spokesman Dmitry Peskov said Russia does not want an eternal war.",
        "Talks",
        "The council voted to close the bridge for repairs until June, citing cracks found "
        "in two of its supports during an inspection last month.",
        "Ukraine",
        "Officials said 1,200 civilians were evacuated from the Kharkiv region on Friday.",
        "A",
        "Prices rose 18% over the year.",
    ] * 2
    assert len(texts) % ROWS_PER_RUN  # a last run shorter than the others
    encoder = OnnxMiniLM(threads=2)
    together = encoder.encode(texts)
    alone = np.concatenate([encoder.encode([text]) for text in texts])
    assert together.shape == (len(texts), 384)
    assert np.array_equal(together, alone)
    assert not np.array_equal(together[0], together[1])
    assert encoder.encode([]).shape == (0, 384)
