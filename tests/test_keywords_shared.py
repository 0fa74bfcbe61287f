"""The keyword index of a store on a `chroma run` server lives in that server: a second
machine (another store folder, nothing local) answers with the same BM25 hits, sees a removal
through the server, and a killed writer's unpublished work is made up by the next ingest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.servers import free_port
from index.ingest import ingest
from index.settings import Settings, load_settings
from tests.conftest import BUNDLED_CORPUS
from tests.test_servers import _start_chroma, _stop

pytestmark = [pytest.mark.server, pytest.mark.slow]
QUESTION = "Who is quoted as saying Moscow does not want an eternal war?"


@pytest.fixture()
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = _start_chroma(tmp_path / "chroma", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _machine(tmp_path: Path, name: str, corpus: Path, url: str) -> Settings:
    return load_settings(corpus_dir=corpus, store_dir=tmp_path / name, chroma_url=url)


def _bm25(settings: Settings) -> list[tuple[str, float]]:
    from index.store import open_store

    store = open_store(settings)
    store.keywords.sync()
    return store.keywords.bm25_top(QUESTION, 12)


def test_a_second_machine_reads_the_keyword_index_from_the_server(
    tmp_path: Path, chroma_url: str
) -> None:
    from index.manage import remove_article
    from qa.engine import load_engine

    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    writer = _machine(tmp_path, "writer", corpus, chroma_url)
    ingest(writer)
    reader = _machine(tmp_path, "reader", corpus, chroma_url)
    assert not (tmp_path / "reader").exists()
    engine = load_engine(reader)
    assert engine.keywords.count() == engine.store.chunks.count() > 0
    assert _bm25(reader) == _bm25(writer)
    before = engine.keywords.generation()

    gone = sorted(p.name for p in corpus.iterdir())[3]
    remove_article(writer, gone)
    engine.refresh_if_changed()
    assert engine.keywords.generation() > before
    assert gone not in {cid.split(":")[0] for cid in engine.keywords.chunk_ids()}
    assert _bm25(reader) == _bm25(writer)


def test_an_unpublished_keyword_index_is_made_up_by_the_next_ingest(
    tmp_path: Path, chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer dies after storing chunks but before publishing (publish never runs);
    the next ingest on another machine adds the missing chunks from the server's store."""
    from index.keywords_shared import SharedKeywordIndex
    from index.store import open_store

    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    monkeypatch.setattr(SharedKeywordIndex, "publish", lambda self: None)
    ingest(_machine(tmp_path, "died", corpus, chroma_url))
    monkeypatch.undo()
    second = _machine(tmp_path, "second", corpus, chroma_url)
    report = ingest(second)
    assert report.chunks_embedded == 0
    store = open_store(_machine(tmp_path, "third", corpus, chroma_url))
    assert store.keywords.chunk_ids() == set(store.all_chunk_ids())


def test_a_snapshot_of_many_parts_is_fetched_in_batches_and_leaves_no_file_behind(
    tmp_path: Path, chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of 4 kB make the bundled index's snapshot span many requests of
    `PARTS_PER_REQUEST` parts; the reader's copy gives the writer's BM25 hits and only the
    copy itself stays in the cache folder."""
    from index import keywords_shared
    from index.store import open_store

    monkeypatch.setattr(keywords_shared, "PART_BYTES", 4096)
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    writer = _machine(tmp_path, "writer", corpus, chroma_url)
    ingest(writer)
    collection = open_store(writer).keywords._collection  # type: ignore[attr-defined]
    head = collection.get(ids=[keywords_shared.HEAD], include=["metadatas"])
    assert int(head["metadatas"][0]["parts"]) > 2 * keywords_shared.PARTS_PER_REQUEST
    reader = _machine(tmp_path, "reader", corpus, chroma_url)
    assert _bm25(reader) == _bm25(writer)
    cached = {p.name for p in (tmp_path / "reader" / "keyword-cache").iterdir()}
    assert not [name for name in cached if ".incoming" in name], cached


def test_a_fetched_part_leaves_no_http_response_waiting_for_the_cycle_collector(
    tmp_path: Path, chroma_url: str
) -> None:
    """httpx keeps each response in a reference cycle with its stream; a snapshot part's
    response (megabytes at scale) must be freed as soon as it is read, even with the
    automatic collector off, not when the collector next happens to run."""
    import gc

    import httpx

    from index import keywords_shared
    from index.store import open_store

    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    writer = _machine(tmp_path, "writer", corpus, chroma_url)
    ingest(writer)
    shared = open_store(writer).keywords
    head = shared._collection.get(ids=[keywords_shared.HEAD], include=["metadatas"])  # type: ignore[attr-defined]
    first_part = f"{head['metadatas'][0]['generation']}-0"
    gc.collect()
    gc.disable()
    try:
        documents = shared._parts([first_part])  # type: ignore[attr-defined]
        waiting = [o for o in gc.get_objects() if isinstance(o, httpx.Response)]
    finally:
        gc.enable()
    assert documents and documents[0]
    assert waiting == []


def test_a_fresh_worker_takes_the_downloaded_snapshot_as_its_copy(
    tmp_path: Path, chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker with no local copy installs the server's snapshot file as it is (no
    page-by-page copy into an open database): its copy is byte for byte what the writer
    published, a stale WAL left beside a deleted copy is not applied to it, and it answers
    with the writer's BM25 hits. Where the file cannot be linked into place, the snapshot is
    copied in as before."""
    import base64
    import zlib

    from index import keywords_shared
    from index.store import _shared_cache_path, open_store

    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    writer = _machine(tmp_path, "writer", corpus, chroma_url)
    ingest(writer)
    collection = open_store(writer).keywords._collection  # type: ignore[attr-defined]
    meta = collection.get(ids=[keywords_shared.HEAD], include=["metadatas"])["metadatas"][0]
    ids = [f"{meta['generation']}-{n}" for n in range(int(meta["parts"]))]
    documents = collection.get(ids=ids, include=["documents"])["documents"]
    published = zlib.decompress(b"".join(base64.b64decode(d) for d in documents))

    reader = _machine(tmp_path, "reader", corpus, chroma_url)
    copy = _shared_cache_path(reader)
    copy.parent.mkdir(parents=True)
    Path(f"{copy}-wal").write_bytes(b"not this snapshot's log")
    store = open_store(reader)
    assert copy.read_bytes() == published
    assert _bm25(reader) == _bm25(writer)
    assert store.keywords.generation() == int(meta["generation"])

    def no_hard_links(source: object, target: object) -> None:
        raise PermissionError("no hard links on this file system")

    monkeypatch.setattr(keywords_shared.os, "link", no_hard_links)
    elsewhere = _machine(tmp_path, "elsewhere", corpus, chroma_url)
    assert open_store(elsewhere).keywords.generation() == int(meta["generation"])
    assert _bm25(elsewhere) == _bm25(writer)
