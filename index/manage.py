"""Add, list and remove the articles of the corpus folder, keeping the index in step with it.

`add_files` checks each upload (`index.uploads`: name, size, content; zips member by member),
writes the accepted files into the corpus folder, never over an existing one, and ingests;
`list_articles` reads the manifest; `remove_article` deletes an article's file and then its
chunks and manifest record. The corpus folder is the only place written to, and only at its top
level. A running engine sees each change at its next question: it follows the keyword index's
generation, which every change bumps, and serves only chunks whose file has a manifest record, so a
removed article is never cited again (the web chat also drops its cached engine after a change,
see `qa.app`).

Each upload is decided on its own, not as one transaction: the files that pass go in, each
refused one is reported (`Refusal`, one line naming the file and the reason) and leaves nothing
behind. Changes made in this process run one at a time; a store that fails mid-ingest leaves
the files written so far in the folder, where the next ingest indexes them (ingest resumes).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from index.errors import CorpusError
from index.ingest import ingest
from index.load import ARTICLE_SUFFIXES
from index.settings import Settings
from index.store import open_store
from index.uploads import Accepted, Refusal, path_problem, plan_uploads, shown, size_problem

T = TypeVar("T")
Progress = Callable[[float, str], None]  # (fraction done, what is happening)
_CHANGES = threading.Lock()  # one add or remove at a time in this process


@dataclass(frozen=True)
class Upload:
    """A file someone sent: the name they gave it, and where its bytes are now."""

    name: str
    path: Path


@dataclass(frozen=True)
class AddReport:
    added: tuple[str, ...]  # corpus file names written and indexed
    refused: tuple[Refusal, ...]
    chunks_added: int


@dataclass(frozen=True)
class ArticleEntry:
    """One indexed article, as the manifest records it."""

    source: str  # its file, relative to the corpus folder
    title: str | None
    outlet: str | None
    date: str | None
    chunks: int
    indexed_at: str
    status: str  # "complete", or "pending" while an ingest writes it


@dataclass(frozen=True)
class Removal:
    source: str
    chunks_deleted: int
    file_deleted: bool  # False when only its index entry was left (the file had gone)


def _limit_bytes(settings: Settings) -> int:
    return settings.max_upload_mb * 1_000_000


def _read_uploads(
    uploads: Sequence[Upload], limit_bytes: int
) -> tuple[list[tuple[str, bytes]], list[Refusal]]:
    """The bytes of each upload, never reading one that is over the limit already."""
    received, refused = [], []
    for upload in uploads:
        try:
            problem = size_problem(
                upload.path.stat().st_size, limit_bytes=limit_bytes, article=False
            )
            if problem is None:
                received.append((upload.name, upload.path.read_bytes()))
        except OSError as exc:
            problem = f"could not be read ({exc.strerror or exc})"
        if problem:
            refused.append(Refusal(shown(upload.name), problem))
    return received, refused


def _write_new(corpus: Path, item: Accepted) -> None:
    """Write one file into `corpus` under its name; FileExistsError if that name is taken.

    The bytes go to a hidden temporary file first, then are hard-linked under the final name,
    which fails rather than replace anything: no reader ever sees a half-written article."""
    target = corpus / item.name
    if target.parent != corpus or item.name in ("", ".", ".."):
        raise CorpusError(f"{shown(item.name)}: not a file name inside the corpus folder")
    fd, temporary = tempfile.mkstemp(dir=corpus, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(item.data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: exclusive create, then write
            with open(target, "xb") as out:
                out.write(item.data)
    finally:
        os.unlink(temporary)


def _progress_of(progress: Progress, total: int) -> Callable[[Iterable[T]], Iterator[T]]:
    """Wrap ingest's stream of files so that each one read moves `progress` on."""

    def wrap(items: Iterable[T]) -> Iterator[T]:
        for done, item in enumerate(items, 1):
            share = min(done / max(total, 1), 1.0)  # never backwards, even if more turn up
            progress(0.2 + 0.5 * share, f"reading articles ({done} of {total})")
            yield item
        progress(0.75, "embedding and storing the new chunks")

    return wrap


def add_files(
    settings: Settings, uploads: Sequence[Upload], *, progress: Progress | None = None
) -> AddReport:
    """Check `uploads`, write the accepted ones into the corpus folder and index them.

    Each file is decided on its own (see module doc); nothing refused is written, and an
    existing file is never replaced: remove it first to add a new version."""
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus}")
    tell = progress or (lambda fraction, what: None)
    tell(0.0, f"checking {len(uploads)} file(s)")
    with _CHANGES:
        received, refused = _read_uploads(uploads, _limit_bytes(settings))
        existing = frozenset(entry.name for entry in corpus.iterdir())
        accepted, bad = plan_uploads(
            received, existing=existing, limit_bytes=_limit_bytes(settings)
        )
        refused.extend(bad)
        written = []
        for item in accepted:
            try:
                _write_new(corpus, item)
            except FileExistsError:
                refused.append(Refusal(item.name, "a file of that name is already in the corpus"))
            else:
                written.append(item.name)
        if not written:
            tell(1.0, "nothing to add")
            return AddReport((), tuple(refused), 0)
        total = sum(1 for p in corpus.rglob("*") if p.suffix.lower() in ARTICLE_SUFFIXES)
        ingested = ingest(
            settings,
            progress=_progress_of(tell, total),
            on_embedded=lambda n: tell(0.95, f"{n} chunks embedded"),
        )
        records = open_store(settings).file_records(written)
        skipped = dict(ingested.skipped)
        for name in [n for n in written if n in skipped]:  # cannot happen after the checks
            (corpus / name).unlink()
            refused.append(Refusal(name, skipped[name]))
            written.remove(name)
    tell(1.0, f"added {len(written)} article(s)")
    chunks = sum(records[name].chunks for name in written if name in records)
    return AddReport(tuple(written), tuple(refused), chunks)


def list_articles(settings: Settings) -> tuple[ArticleEntry, ...]:
    """Every article in the index, by file name."""
    records = open_store(settings).file_records()
    return tuple(
        ArticleEntry(r.source, r.title, r.outlet, r.date, r.chunks, r.indexed_at, r.status)
        for r in sorted(records.values(), key=lambda r: r.source)
    )


def remove_article(settings: Settings, source: str) -> Removal:
    """Delete the article `source` (a file name as `list_articles` gives it): its file, then
    its chunks and manifest record. Raises CorpusError for an unsafe or unknown name.

    The file goes first: if the process dies between the two steps, the next ingest sees the
    file gone and drops its chunks, so nothing is left half removed."""
    problem = path_problem(source)
    if problem is None and Path(source).suffix.lower() not in ARTICLE_SUFFIXES:
        problem = "not an article file (.txt, .md, .html, .htm)"
    if problem:
        raise CorpusError(f"{shown(source)}: not removed, {problem}")
    corpus = settings.corpus_dir
    path = corpus / source
    with _CHANGES:
        on_disk = path.is_symlink() or path.is_file()
        if on_disk and not path.parent.resolve().is_relative_to(corpus.resolve()):
            raise CorpusError(f"{source}: not removed, its folder is outside the corpus folder")
        store = open_store(settings)
        if not on_disk and source not in store.file_records([source]):
            raise CorpusError(f"{source}: not removed, no such article in the corpus or the index")
        if on_disk:
            path.unlink()  # a link itself, never what it points to
        deleted = store.delete_file(source)
        store.keywords.publish()
    return Removal(source, deleted, on_disk)
