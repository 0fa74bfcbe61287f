"""The keyword index of a Chroma server's store, kept in that server beside the vectors.

Chroma serves no BM25 outside its cloud ("sparse vector indexing is not enabled in local"),
so the SQLite keyword index (`index.keywords`) is published into the server as a snapshot:
a collection `<name>-keywords` holds the file, compressed, in parts of at most 1 MB, and a
`head` record naming the generation they hold. Each process works on a local copy
(`<store_dir>/keyword-cache/`), which `sync` replaces whenever the head names another
generation; one Chroma call per question tells. A worker with no copy yet takes the
downloaded file itself as its copy. The snapshot is fetched a few parts at a
time and decompressed to a file as it comes, so the download holds a few parts in memory,
not the whole index. Writers (ingest, remove) update their copy incrementally, as the embedded store
does, and `publish` it when they are done: parts first, the head last, so a reader sees the
old snapshot or the new one, never half of one. A writer killed before it published leaves
the server's snapshot behind the chunks; the next ingest syncs that snapshot and adds what
it lacks (`index.store.reconcile_keywords`).

It deliberately does not merge concurrent writers: two ingests into one server at once is
not supported (it was not before either: both would rewrite the manifest).
"""

from __future__ import annotations

import base64
import contextlib
import gc
import logging
import os
import random
import sqlite3
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from index.errors import StoreError
from index.keywords import KeywordIndex

log = logging.getLogger(__name__)
PART_BYTES = 1_000_000
PARTS_PER_REQUEST = 8  # parts fetched at once when a snapshot is downloaded
HEAD = "head"


class SharedKeywordIndex(KeywordIndex):
    """A `KeywordIndex` whose master copy lives in a Chroma collection (see module doc)."""

    def __init__(self, path: Path, collection: Any) -> None:
        self._collection = collection
        if not path.exists():
            self._install_first_copy(path)
        super().__init__(path)
        self.sync()

    def _install_first_copy(self, path: Path) -> None:
        """A worker with no local copy yet takes the downloaded snapshot as its copy, as it
        is: no page-by-page copy into an open database (at 100k chunks that copy wrote the
        141 MB twice, through the WAL, and took about 0.45 s of a fresh start). `os.link`
        puts it in place only if no other process did meanwhile; where it cannot (another
        worker was first, or the folder's file system has no hard links) `sync` copies the
        snapshot in as before."""
        _, remote = self._remote_head()
        if remote == 0:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)  # of a copy deleted by hand: not this snapshot's
        with self._fetched(path, remote) as incoming:
            if incoming is not None:
                with contextlib.suppress(OSError):
                    os.link(incoming, path)

    def _remote_head(self) -> tuple[int, int]:
        """(lineage, generation) of the server's snapshot; (0, 0) when it has none."""
        got = self._collection.get(ids=[HEAD], include=["metadatas"])
        if not got["ids"]:
            return 0, 0
        meta = got["metadatas"][0]
        return int(meta["lineage"]), int(meta["generation"])

    def sync(self) -> int:
        """Replace the local copy with the server's snapshot when that is newer, or of another
        lineage (the server's index was rebuilt); the generation now. A local copy ahead of
        the server is a writer's unpublished work, and is kept."""
        lineage, remote = self._remote_head()
        with self._lock:
            local = self._meta("generation")
            if remote == 0 or (lineage == self._meta("lineage") and remote <= local):
                return local
            with self._fetched(self.path, remote) as incoming:
                if incoming is None:
                    return local  # replaced while we read it: the next question tries again
                source = sqlite3.connect(incoming)
                try:
                    source.backup(self._db)
                finally:
                    source.close()
            return self._meta("generation")

    @contextlib.contextmanager
    def _fetched(self, path: Path, generation: int) -> Iterator[Path | None]:
        """The server's snapshot of `generation` in a file beside the local copy `path`,
        removed afterwards; None when the server no longer holds that generation."""
        incoming = path.with_name(f"{path.name}.incoming-{os.getpid()}")
        try:
            yield incoming if self._download(generation, incoming) else None
        finally:
            incoming.unlink(missing_ok=True)

    def _download(self, generation: int, target: Path) -> bool:
        """Write the server's snapshot of `generation` to `target`, a few parts at a time,
        decompressed as they come (a few parts in memory at once, whatever the index's size);
        False when the server no longer holds that generation."""
        head = self._collection.get(ids=[HEAD], include=["metadatas"])
        if not head["ids"] or int(head["metadatas"][0]["generation"]) != generation:
            return False
        ids = [f"{generation}-{n}" for n in range(int(head["metadatas"][0]["parts"]))]
        batches = [ids[at : at + PARTS_PER_REQUEST] for at in range(0, len(ids), PARTS_PER_REQUEST)]
        unpack = zlib.decompressobj()
        # the next batch is fetched while this one is decompressed and written
        with target.open("wb") as sink, ThreadPoolExecutor(max_workers=1) as fetcher:
            ahead = iter(batches)
            first = next(ahead, None)
            coming = None if first is None else fetcher.submit(self._parts, first)
            while coming is not None:
                got = coming.result()
                following = next(ahead, None)
                coming = None if following is None else fetcher.submit(self._parts, following)
                if got is None:
                    return False
                for document in got:
                    sink.write(unpack.decompress(base64.b64decode(document)))
            sink.write(unpack.flush())
        return unpack.eof

    def _parts(self, wanted: list[str]) -> list[str] | None:
        """The documents of the parts `wanted`, in that order; None when one is missing."""
        got = self._collection.get(ids=wanted, include=["documents"])
        # the httpx response behind `got` sits in a reference cycle with its stream, so its
        # megabytes wait for the cycle collector: collect it now, here, where it has just
        # become garbage (left to the collector, a 100k-chunk download held ~180 MB more)
        gc.collect(1)
        by_id = dict(zip(got["ids"], got["documents"], strict=True))
        return [by_id[part] for part in wanted] if set(by_id) == set(wanted) else None

    def publish(self) -> None:
        """Upload the local copy as the server's snapshot, if the server's is older."""
        with self._lock:
            if self._meta("lineage") == 0:
                with self._transaction():
                    self._set("lineage", random.SystemRandom().randrange(1, 2**52))
            lineage, generation = self._meta("lineage"), self._meta("generation")
            if (lineage, generation) == self._remote_head():
                return
            packed = zlib.compress(self._db.serialize(), 6)
        pieces = [packed[at : at + PART_BYTES] for at in range(0, len(packed), PART_BYTES)]
        ids = [f"{generation}-{n}" for n in range(len(pieces))]
        documents = [base64.b64encode(piece).decode("ascii") for piece in pieces]
        try:
            for at in range(0, len(ids), PARTS_PER_REQUEST):
                batch = slice(at, at + PARTS_PER_REQUEST)
                self._collection.upsert(
                    ids=ids[batch],
                    documents=documents[batch],
                    embeddings=[[1.0]] * len(ids[batch]),
                )
            meta = {"lineage": lineage, "generation": generation, "parts": len(ids)}
            self._collection.upsert(ids=[HEAD], embeddings=[[1.0]], metadatas=[meta])
        except Exception as exc:
            raise StoreError(f"cannot publish the keyword index to the server: {exc}") from None
        old = [i for i in self._collection.get(include=[])["ids"] if i != HEAD and i not in ids]
        if old:
            self._collection.delete(ids=old)
        log.info("published keyword index generation %d (%d parts)", generation, len(ids))
