"""The Chroma side of newsqa: one collection of chunks and one small manifest of files.

The chunk collection holds the vectors, written through llama-index's `ChromaVectorStore`.
The manifest (`<name>-files`) has one record per article file with the digest of the version
that was indexed (article text and a web page's metadata, chunking parameters,
`PIPELINE_VERSION`) and whether all its chunks were written ("pending" / "complete"). It is
written before a file's chunks and completed after them, so an interrupted ingest is always
resumable and no chunk can lose track of its file. Both live in the same Chroma: an embedded
`PersistentClient` folder, or a `chroma run` server when `chroma_url` is set.

The keyword index (`index.keywords`) follows the chunks: a chunk is added to it after Chroma
holds it and taken out of it before Chroma deletes it, so it never holds a chunk Chroma lacks,
and the next ingest adds whatever a killed one left out (`reconcile_keywords`). The chunk
collection's metadata names the embedding model that wrote it; opening the store with another
one is refused.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from index.errors import StoreError
from index.keywords import BM25_KEYS, KeywordEntry, KeywordIndex, keyword_path
from index.settings import Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_REBUILD_HINT = "rebuild it with `newsqa ingest --rebuild`"


@dataclass(frozen=True)
class FileRecord:
    source: str
    digest: str
    status: str  # "pending" while its chunks are being written, then "complete"
    chunks: int
    title: str | None
    outlet: str | None
    date: str | None
    indexed_at: str
    previous: str = ""  # digest of the last complete version, served while this one is pending
    author: str | None = None  # only a web page's metadata names one

    @property
    def served_digest(self) -> str:
        """The version whose chunks answer questions now."""
        return self.digest if self.status == "complete" else self.previous


def chunk_digest(chunk_id: str) -> str:
    """The file-version digest inside a chunk id `<file>:<digest>:<n>`.

    >>> chunk_digest("a:b.txt:0123abcd:7")
    '0123abcd'
    """
    return chunk_id.rsplit(":", 2)[-2]


@dataclass
class Store:
    client: Any
    chunks: Any  # chromadb Collection
    files: Any  # chromadb Collection
    where: str  # the folder or URL, for messages
    keywords: KeywordIndex

    def file_records(self, sources: list[str] | None = None) -> dict[str, FileRecord]:
        """Manifest records, all of them or those of `sources`."""
        if sources is not None:
            page = self.files.get(ids=sorted(set(sources)), include=["metadatas"])
            return _records(page)
        records: dict[str, FileRecord] = {}
        total = self.files.count()
        for offset in range(0, total, 1000):
            page = self.files.get(include=["metadatas"], limit=1000, offset=offset)
            records.update(_records(page))
        return records

    def put_file_records(self, records: list[FileRecord]) -> None:
        """Write manifest records in one call."""
        if not records:
            return
        metas = [
            {
                "digest": r.digest,
                "status": r.status,
                "chunks": r.chunks,
                "title": r.title or "",
                "outlet": r.outlet or "",
                "date": r.date or "",
                "indexed_at": r.indexed_at,
                "previous": r.previous,
                "author": r.author or "",
            }
            for r in records
        ]
        ids = [r.source for r in records]
        self.files.upsert(ids=ids, embeddings=[[1.0]] * len(ids), metadatas=metas)

    def chunk_ids_by_source(self, sources: list[str]) -> dict[str, set[str]]:
        """The stored chunk ids of each of `sources`, in one call."""
        got = self.chunks.get(
            where={"source": {"$in": sorted(set(sources))}}, include=["metadatas"]
        )
        found: dict[str, set[str]] = {}
        for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True):
            found.setdefault(str(meta["source"]), set()).add(chunk_id)
        return found

    def delete_file(self, source: str) -> int:
        """Remove a file's chunks and then its record; returns how many chunks went."""
        ids = self.chunk_ids(source)
        self.delete_chunks(ids)
        self.files.delete(ids=[source])
        return len(ids)

    def delete_chunks(self, ids: list[str]) -> None:
        """Delete chunks: out of the keyword index first, then out of Chroma."""
        if not ids:
            return
        self.keywords.remove(self.keyword_entries(ids))
        self.chunks.delete(ids=ids)

    def keyword_entries(self, ids: list[str]) -> list[KeywordEntry]:
        """The stored chunks `ids` as the keyword index reads them, in the order given."""
        stored: dict[str, KeywordEntry] = {}
        for offset in range(0, len(ids), 1000):
            got = self.chunks.get(
                ids=ids[offset : offset + 1000], include=["documents", "metadatas"]
            )
            for chunk_id, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            ):
                stored[chunk_id] = KeywordEntry(chunk_id, text, {k: meta[k] for k in BM25_KEYS})
        return [stored[i] for i in ids if i in stored]

    def all_chunk_ids(self) -> list[str]:
        """Every stored chunk id, in Chroma's order."""
        ids: list[str] = []
        for offset in range(0, self.chunks.count(), 5000):
            ids.extend(self.chunks.get(include=[], limit=5000, offset=offset)["ids"])
        return ids

    def chunk_ids(self, source: str) -> list[str]:
        ids: list[str] = self.chunks.get(where={"source": source}, include=[])["ids"]
        return ids

    def vector_store(self) -> Any:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.chunks)


def _records(page: dict[str, Any]) -> dict[str, FileRecord]:
    return {
        source: FileRecord(
            source=source,
            digest=str(meta["digest"]),
            status=str(meta["status"]),
            chunks=int(meta["chunks"]),
            title=str(meta["title"]) or None,
            outlet=str(meta["outlet"]) or None,
            date=str(meta["date"]) or None,
            indexed_at=str(meta["indexed_at"]),
            previous=str(meta.get("previous", "")),
            author=str(meta.get("author", "")) or None,
        )
        for source, meta in zip(page["ids"], page["metadatas"], strict=True)
    }


def _client(settings: Settings) -> tuple[Any, str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        client = chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
        client.heartbeat()
        return client, settings.chroma_url
    path = settings.chroma_path
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings), str(path)


def _check_version(collection: Any, where: str, model_id: str) -> None:
    meta = collection.metadata or {}
    schema, model = meta.get("newsqa_schema"), meta.get("embed_model")
    if schema != SCHEMA_VERSION:
        raise StoreError(
            f"the store at {where} was written by another newsqa version "
            f"(schema {schema}, model {model}); {_REBUILD_HINT}"
        )
    if model != model_id:
        raise StoreError(
            f"the store at {where} holds vectors of the embedding model {model}, not "
            f"{model_id}: set NEWSQA_EMBED/NEWSQA_EMBED_MODEL back, or {_REBUILD_HINT}"
        )


def reconcile_keywords(store: Store) -> int:
    """Bring the keyword index in line with the stored chunks; how many chunks it added.

    Cheap when they agree (two counts). Chunks a killed ingest stored but did not index are
    added; were the index ever to hold chunks Chroma lacks (a file copied from elsewhere), it
    is rebuilt from the stored chunks: there is no text left to take those out by."""
    if store.keywords.count() == store.chunks.count() and store.keywords.generation() > 0:
        return 0
    ids = store.all_chunk_ids()
    held = store.keywords.chunk_ids()
    if held - set(ids):
        log.warning("keyword index %s holds chunks the store lacks; rebuilding it", store.where)
        store.keywords.clear()
        held = set()
    missing = [i for i in ids if i not in held]
    added = 0
    for offset in range(0, len(missing), 2000):
        added += store.keywords.add(store.keyword_entries(missing[offset : offset + 2000]))
    store.keywords.touch()
    return added


def open_store(settings: Settings, *, create: bool = True) -> Store:
    """Open (and with `create`, make) the chunk and manifest collections and the keyword
    index; refused when the store holds another embedding model's vectors."""
    from index.embed import embedder_id

    model_id = embedder_id(settings)
    try:
        client, where = _client(settings)
    except OSError as exc:
        raise StoreError(f"cannot write the store folder {settings.chroma_path}: {exc}") from None
    except Exception as exc:  # chromadb raises many types for a bad folder or server
        target = settings.chroma_url or settings.chroma_path
        raise StoreError(
            f"cannot open the Chroma store at {target}: {exc}; {_REBUILD_HINT}"
        ) from None
    meta = {"hnsw:space": "cosine", "newsqa_schema": SCHEMA_VERSION, "embed_model": model_id}
    try:
        if create:
            chunks = client.get_or_create_collection(
                settings.collection, embedding_function=None, metadata=meta
            )
            files = client.get_or_create_collection(
                f"{settings.collection}-files", embedding_function=None, metadata=meta
            )
        else:
            chunks = client.get_collection(settings.collection, embedding_function=None)
            files = client.get_collection(f"{settings.collection}-files", embedding_function=None)
    except Exception as exc:
        if not create:
            raise StoreError(f"no index at {where} yet; run `newsqa ingest`") from None
        raise StoreError(
            f"cannot open the Chroma store at {where}: {exc}; {_REBUILD_HINT}"
        ) from None
    _check_version(chunks, where, model_id)
    keywords = open_keyword_index(settings, client)
    return Store(client=client, chunks=chunks, files=files, where=where, keywords=keywords)


def open_keyword_index(settings: Settings, client: Any) -> KeywordIndex:
    """The embedded store's keyword index lives in its folder; a Chroma server's in that
    server, with a local working copy under the store folder (`index.keywords_shared`)."""
    if not settings.chroma_url:
        return KeywordIndex(keyword_path(settings.store_dir, settings.collection))
    from index.keywords_shared import SharedKeywordIndex

    collection = client.get_or_create_collection(
        f"{settings.collection}-keywords", embedding_function=None
    )
    return SharedKeywordIndex(_shared_cache_path(settings), collection)


def _shared_cache_path(settings: Settings) -> Any:
    url = urlparse(settings.chroma_url or "")
    where = f"{url.hostname}-{url.port or 8000}"
    return settings.store_dir / "keyword-cache" / f"{where}-{settings.collection}.sqlite3"


def drop_store(settings: Settings) -> None:
    """Delete the index (for `--rebuild`): the whole embedded folder, so that a corrupted one
    goes too, or both collections on a Chroma server."""
    if not settings.chroma_url:
        shutil.rmtree(settings.chroma_path, ignore_errors=True)
        path = keyword_path(settings.store_dir, settings.collection)
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        return
    client, _ = _client(settings)
    cache = _shared_cache_path(settings)
    for stale in (
        cache,
        cache.with_name(cache.name + "-wal"),
        cache.with_name(cache.name + "-shm"),
    ):
        stale.unlink(missing_ok=True)
    for name in (
        settings.collection,
        f"{settings.collection}-files",
        f"{settings.collection}-keywords",
    ):
        try:
            client.delete_collection(name)
        except Exception:  # an absent collection: nothing to drop
            log.debug("no collection %s to drop", name)
