"""Bring the vector store in line with a corpus folder, embedding only what changed.

For each article file: if the manifest already holds its digest as "complete", nothing is
done (an unchanged corpus re-ingests without loading the embedding model). Otherwise the file
is marked "pending", its chunks whose ids are not stored yet are embedded and added, stale
chunks of its older version are deleted, and the file is marked "complete". Files that left the
folder lose their chunks. Chunk ids are deterministic, so a run killed at any point is finished
by the next run without duplicates or orphans.

Files stream through in groups; only one group's chunks and vectors are held in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.chunk import Chunk, chunk_article, content_digest
from index.clean import CleanArticle, clean_article
from index.embed import Encoder, open_encoder, token_ids
from index.keywords import BM25_KEYS, KeywordEntry
from index.load import ArticleFile, SkippedFile, article_paths, read_article
from index.settings import Settings
from index.store import FileRecord, Store, drop_store, open_store, reconcile_keywords

GROUP_CHUNKS = 1024  # chunks buffered before a flush: bounds memory and the work a killed run
# redoes (about 15 s), amortises model and store calls; length-sorted within it (less padding)
STORE_CHUNKS = 1024  # chunks a Chroma call adds at most (one big file can make a big group)


@dataclass(frozen=True)
class IngestReport:
    files_seen: int
    files_indexed: int
    files_unchanged: int
    files_removed: int
    chunks_embedded: int
    chunks_deleted: int
    chunks_total: int
    skipped: tuple[tuple[str, str], ...]
    seconds: float


@dataclass
class _Pending:
    """One article whose new chunks wait in the current group."""

    article: CleanArticle
    digest: str
    chunks: list[Chunk]
    previous: str = ""  # the version queries keep using until this one is complete
    new: list[Chunk] = field(default_factory=list)


def chunk_metadata(chunk: Chunk, article: CleanArticle) -> dict[str, str | int]:
    """What each stored chunk carries besides its text and vector (no None: Chroma refuses it)."""
    return {
        "source": chunk.source,
        "start": chunk.start,
        "end": chunk.end,
        "title": article.title or "",
        "outlet": article.outlet or "",
        "date": article.date or "",
        "author": article.author or "",
        "furniture": chunk.furniture,
    }


def clean_file(item: ArticleFile) -> CleanArticle:
    """`clean_article` of the file's text; for a web page, what its markup says (title, outlet,
    date, author) wins over what cleaning reads from its text lines, each where it says
    anything.

    >>> from pathlib import Path
    >>> from index.webpage import PageMetadata
    >>> text = "Bridge shut\\nPublished: 3 May 2024\\nThe council met."
    >>> page = PageMetadata(title="Bridge shut", outlet="The Ledger", author="Jane Porter")
    >>> article = clean_file(ArticleFile("a.html", Path("a.html"), text, page))
    >>> article.title, article.outlet, article.date, article.author
    ('Bridge shut', 'The Ledger', '2024-05-03', 'Jane Porter')
    """
    article = clean_article(item.source, item.text)
    page = item.page
    if page is None:
        return article
    return replace(
        article,
        title=page.title or article.title,
        outlet=page.outlet or article.outlet,
        date=page.date or article.date,
        author=page.author or article.author,
    )


def file_digest(item: ArticleFile, *, chunk_tokens: int, chunk_overlap: int) -> str:
    """`content_digest` of the file's text and, for a web page, of its metadata too: a page
    whose date or title was corrected is indexed again even when its story text is not."""
    versioned = item.text if item.page is None else f"{item.text}\n\x00{item.page!r}"
    return content_digest(versioned, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap)


def _keyword_entry(chunk: Chunk, article: CleanArticle) -> KeywordEntry:
    metadata = chunk_metadata(chunk, article)
    return KeywordEntry(chunk.id, chunk.text, {k: metadata[k] for k in BM25_KEYS})


def _embed_and_add(
    store: Store, encoder: Encoder, group: list[_Pending], batch: int, workers: int = 1
) -> int:
    """Embed and store the group's new chunks, then index every chunk of the group that the
    keyword index lacks (new ones in the order Chroma got them: BM25's document order)."""
    todo = [(p, c) for p in group for c in p.new]
    todo.sort(key=lambda pc: len(pc[1].text))  # similar lengths per batch: less padding
    _embed_in_batches(store, encoder, todo, batch, workers)
    entries = [_keyword_entry(c, p.article) for p, c in todo]
    entries += [_keyword_entry(c, p.article) for p in group for c in p.chunks]
    store.keywords.add(entries)  # skips what it holds; a resumed run fills in what it lacks
    return len(todo)


def _embed_in_batches(
    store: Store, encoder: Encoder, todo: list[tuple[_Pending, Chunk]], batch: int, workers: int
) -> None:
    """Embed in batches, `workers` batches in flight at once (a hosted server works on them
    side by side; the in-process model takes them one at a time), then store them in order
    with as few Chroma calls as `STORE_CHUNKS` allows: a call costs about 15 ms however few
    chunks it carries, and calls made while the encoder ran slowed it on two cores."""
    from concurrent.futures import ThreadPoolExecutor

    if not todo:
        return
    parts = [todo[offset : offset + batch] for offset in range(0, len(todo), batch)]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        encoded = list(pool.map(lambda part: encoder.encode([c.text for _, c in part]), parts))
    vectors = np.concatenate(encoded)
    for offset in range(0, len(todo), STORE_CHUNKS):
        end = offset + STORE_CHUNKS
        _store_batch(store, todo[offset:end], vectors[offset:end])


def _store_batch(store: Store, part: list[tuple[_Pending, Chunk]], vectors: Any) -> None:
    from llama_index.core.schema import TextNode

    nodes = [
        TextNode(
            id_=c.id,
            text=c.text,
            metadata=chunk_metadata(c, p.article),
            embedding=vector.tolist(),
        )
        for (p, c), vector in zip(part, vectors, strict=True)
    ]
    store.vector_store().add(nodes)


def _flush(
    store: Store, encoder: Encoder, group: list[_Pending], batch: int, workers: int = 1
) -> tuple[int, int]:
    """Write one group of files with a handful of store calls, not a few per file: mark them
    pending, embed and add their new chunks, delete their stale ones, mark them complete.
    Returns (chunks embedded, stale chunks deleted)."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    store.put_file_records([_record(p, "pending", started) for p in group])
    stored = store.chunk_ids_by_source([p.article.source for p in group])
    for pending in group:
        known = stored.get(pending.article.source, set())
        pending.new = [c for c in pending.chunks if c.id not in known]
    embedded = _embed_and_add(store, encoder, group, batch, workers)
    stale = [
        chunk_id
        for pending in group
        for chunk_id in stored.get(pending.article.source, set()) - {c.id for c in pending.chunks}
    ]
    store.delete_chunks(stale)
    done = datetime.now(UTC).isoformat(timespec="seconds")
    store.put_file_records([_record(p, "complete", done) for p in group])
    return embedded, len(stale)


def _record(pending: _Pending, status: str, now: str) -> FileRecord:
    article = pending.article
    return FileRecord(
        article.source,
        pending.digest,
        status,
        len(pending.chunks),
        article.title,
        article.outlet,
        article.date,
        now,
        previous=pending.previous,
        author=article.author,
    )


@dataclass(frozen=True)
class _Outcome:
    """One file read: skipped, unchanged, or cleaned and chunked (`prepared`)."""

    item: ArticleFile | SkippedFile
    prepared: _Pending | None = None


def _read_and_prepare(
    path: Path, corpus: Path, settings: Settings, record: FileRecord | None
) -> _Outcome:
    """Load, clean and chunk one file unless the manifest holds this version complete: the
    part of ingest that runs in worker processes (no store calls, no model)."""
    item = read_article(path, corpus)
    if isinstance(item, SkippedFile):
        return _Outcome(item)
    digest = file_digest(
        item, chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap
    )
    if record and record.digest == digest and record.status == "complete":
        return _Outcome(item)
    return _Outcome(item, _prepare(item, digest, settings, record))


def _outcomes(
    paths: list[Path],
    corpus: Path,
    settings: Settings,
    records: dict[str, FileRecord],
    *,
    workers: int,
) -> Iterator[_Outcome]:
    """`_read_and_prepare` of every path, in path order whatever the number of workers (so
    groups, chunk ids, Chroma's order and the manifest are those of one worker); at most a
    few files per worker are in flight, so memory does not grow with the corpus."""

    def record_of(path: Path) -> FileRecord | None:
        return records.get(path.relative_to(corpus).as_posix())

    if workers <= 1:
        for path in paths:
            yield _read_and_prepare(path, corpus, settings, record_of(path))
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        window: deque[Future[_Outcome]] = deque()
        for path in paths:
            window.append(pool.submit(_read_and_prepare, path, corpus, settings, record_of(path)))
            if len(window) >= 4 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def ingest(
    settings: Settings,
    *,
    corpus_dir: Path | None = None,
    rebuild: bool = False,
    progress: Callable[[Iterable[Any]], Iterator[Any]] | None = None,
    encoder: Encoder | None = None,
    on_embedded: Callable[[int], None] | None = None,
    workers: int = 1,
) -> IngestReport:
    """Index `corpus_dir` (default: the settings' corpus) into the store; see module doc.
    `progress` wraps the stream of files (a progress bar); `on_embedded` hears how many chunks
    each written group embedded. `workers` processes load, clean and chunk files in parallel
    (and as many embedding requests are in flight at once); the result is the same."""
    began = time.perf_counter()
    corpus = corpus_dir or settings.corpus_dir
    paths = article_paths(corpus)  # raises CorpusError before the store is touched
    if rebuild:
        drop_store(settings)
    store = open_store(settings)
    reconcile_keywords(store)  # what a killed run stored but did not index
    records = store.file_records()
    seen: set[str] = set()
    skipped: list[tuple[str, str]] = []
    group: list[_Pending] = []
    unchanged = embedded = deleted = indexed = 0
    stream = _outcomes(paths, corpus, settings, records, workers=workers)
    for outcome in progress(stream) if progress else stream:
        item = outcome.item
        if isinstance(item, SkippedFile):
            skipped.append((item.source, item.reason))
            continue
        seen.add(item.source)
        if outcome.prepared is None:
            unchanged += 1
            continue
        if encoder is None:
            encoder = open_encoder(settings)
        group.append(outcome.prepared)
        indexed += 1
        if sum(len(p.chunks) for p in group) >= GROUP_CHUNKS:
            e, d = _flush(store, encoder, group, settings.embed_batch_size, workers)
            embedded, deleted, group = embedded + e, deleted + d, []
            if on_embedded:
                on_embedded(e)
    if group and encoder is not None:
        e, d = _flush(store, encoder, group, settings.embed_batch_size, workers)
        embedded, deleted = embedded + e, deleted + d
        if on_embedded:
            on_embedded(e)
    removed = [source for source in records if source not in seen]
    for source in removed:
        deleted += store.delete_file(source)
    store.keywords.publish()  # a Chroma server's readers see the new keyword index from now
    return IngestReport(
        files_seen=len(seen),
        files_indexed=indexed,
        files_unchanged=unchanged,
        files_removed=len(removed),
        chunks_embedded=embedded,
        chunks_deleted=deleted,
        chunks_total=store.chunks.count(),
        skipped=tuple(skipped),
        seconds=time.perf_counter() - began,
    )


def _prepare(
    item: ArticleFile, digest: str, settings: Settings, old: FileRecord | None
) -> _Pending:
    """Clean and chunk one file (no store calls: `_flush` does those for a whole group)."""
    article = clean_file(item)
    chunks = chunk_article(
        article,
        item.text,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        tokenizer=token_ids,
        digest=digest,
    )
    return _Pending(article, digest, chunks, previous=old.served_digest if old else "")
