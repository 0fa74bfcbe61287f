"""Adding, listing and removing articles on a real folder and a real Chroma store: refused
uploads leave every file as it was and write nothing anywhere; accepted ones are indexed; a
removed article leaves the folder and the index, and answers stop citing it at once."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from index.errors import CorpusError
from index.manage import Upload, add_files, list_articles, remove_article
from index.settings import Settings, load_settings
from qa.types import Answer, Final

FACT = (
    "Lake Varnesk ferry resumes\n"
    "Source: The Northern Ledger\n"
    "Published: 3 March 2025\n"
    "The ferry across Lake Varnesk will resume sailings on 14 April, harbour engineer Maren "
    "Solberg said on Monday.\n"
    "Solberg said the new hull was tested for six weeks in the Varnesk dry dock.\n"
)
QUESTION = "Who said the ferry across Lake Varnesk will resume sailings?"


def _upload(folder: Path, name: str, data: bytes) -> Upload:
    """A file as the web chat receives it: bytes in a temp folder, the sender's name apart."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"upload-{len(list(folder.iterdir()))}"
    path.write_bytes(data)
    return Upload(name, path)


def _answer(question: str, engine: Any) -> Answer:
    """The final answer of `engine` (one loaded before the corpus changed, as a running chat's)."""
    from qa.answer import stream_answer

    finals = [e.answer for e in stream_answer(question, engine=engine) if isinstance(e, Final)]
    return finals[-1]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture()
def settings(corpus_copy: Path, tmp_path: Path) -> Settings:
    return load_settings(corpus_dir=corpus_copy, store_dir=tmp_path / "store")


def test_refused_uploads_write_nothing_anywhere(settings: Settings, tmp_path: Path) -> None:
    corpus = settings.corpus_dir
    existing = sorted(corpus.iterdir())[0]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"0" * 30_000_000)
        archive.writestr("../../outside.txt", FACT)
    before, outside_before = _snapshot(corpus), _snapshot(tmp_path)
    uploads = [
        _upload(tmp_path / "in", "../outside.txt", FACT.encode()),
        _upload(tmp_path / "in", "/tmp/abs.txt", FACT.encode()),
        _upload(tmp_path / "in", existing.name, b"Replaced\nThis would overwrite the article."),
        _upload(tmp_path / "in", "binary.txt", b"\x00\x01\x02"),
        _upload(tmp_path / "in", "bomb.zip", bomb.getvalue()),
    ]
    report = add_files(settings, uploads)
    assert report.added == () and report.chunks_added == 0
    assert [str(r).split(": not added, ")[0] for r in report.refused] == [
        "../outside.txt",
        "/tmp/abs.txt",
        existing.name,
        "binary.txt",
        "bomb.zip",
    ]
    assert "already in the corpus folder" in str(report.refused[2])
    assert _snapshot(corpus) == before  # the existing article is untouched, nothing added
    after = _snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("in/")} == {
        k: v for k, v in outside_before.items() if not k.startswith("in/")
    }
    assert not (tmp_path / "store").exists()  # nothing to index: the store is not even opened


def test_a_file_over_the_upload_limit_is_not_read(settings: Settings, tmp_path: Path) -> None:
    small = settings.model_copy(update={"max_upload_mb": 1})
    big = _upload(tmp_path / "in", "big.txt", b"word " * 250_000)
    (refusal,) = add_files(small, [big]).refused
    assert str(refusal) == (
        "big.txt: not added, 1,250,000 bytes, over the 1,000,000-byte upload limit "
        "(NEWSQA_MAX_UPLOAD_MB)"
    )
    assert not (settings.corpus_dir / "big.txt").exists()


def test_a_missing_corpus_folder_is_an_error(tmp_path: Path) -> None:
    settings = load_settings(corpus_dir=tmp_path / "none", store_dir=tmp_path / "store")
    with pytest.raises(CorpusError, match="corpus folder not found"):
        add_files(settings, [])


@pytest.mark.parametrize(
    "source,reason",
    [
        ("../../etc/passwd.txt", "the path climbs out of its folder (..)"),
        ("/etc/hosts.txt", "an absolute path"),
        ("a\\b.txt", "the name holds a backslash"),
        ("pyproject.toml", "not an article file"),
        ("never-there.txt", "no such article in the corpus or the index"),
    ],
)
def test_unsafe_or_unknown_removals_are_refused(
    settings: Settings, source: str, reason: str
) -> None:
    settings.store_dir.mkdir()
    before = _snapshot(settings.corpus_dir)
    with pytest.raises(CorpusError, match=r"not removed, " + reason.replace("(", r"\(")[:20]):
        remove_article(settings, source)
    assert _snapshot(settings.corpus_dir) == before


def test_removal_never_follows_a_folder_link_out(settings: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("Keep me\nThis file is not in the corpus.\n")
    os.symlink(outside, settings.corpus_dir / "linked")
    with pytest.raises(CorpusError, match="outside the corpus folder"):
        remove_article(settings, "linked/keep.txt")
    assert (outside / "keep.txt").exists()


@pytest.mark.slow
def test_add_list_ask_remove_ask(settings: Settings, tmp_path: Path) -> None:
    from index.ingest import ingest
    from qa.engine import load_engine

    ingest(settings)
    engine = load_engine(settings)  # loaded before the change, as in a running chat
    before = _answer(QUESTION, engine)
    assert all(c.source != "varnesk-ferry.txt" for c in before.citations)

    steps: list[tuple[float, str]] = []
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("more/varnesk-dock.md", "Dry dock\nThe Varnesk dry dock reopened in May.\n")
        z.writestr("../bad.txt", FACT)
    report = add_files(
        settings,
        [
            _upload(tmp_path / "in", "varnesk-ferry.txt", FACT.encode()),
            _upload(tmp_path / "in", "notes.pdf", b"%PDF"),
            _upload(tmp_path / "in", "dock.zip", archive.getvalue()),
        ],
        progress=lambda fraction, what: steps.append((fraction, what)),
    )
    assert report.added == ("varnesk-ferry.txt", "varnesk-dock.md")
    assert [str(r).split(",")[0] for r in report.refused] == [
        "notes.pdf: not added",
        "../bad.txt (in dock.zip): not added",
    ]
    assert report.chunks_added >= 2
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] == 1.0
    assert (settings.corpus_dir / "varnesk-ferry.txt").read_text() == FACT
    assert not list(settings.corpus_dir.glob(".upload-*"))  # no temporary file left behind

    entries = {e.source: e for e in list_articles(settings)}
    assert len(entries) == 7
    ferry = entries["varnesk-ferry.txt"]
    assert (ferry.title, ferry.outlet, ferry.date) == (
        "Lake Varnesk ferry resumes",
        "The Northern Ledger",
        "2025-03-03",
    )
    assert ferry.chunks >= 1 and ferry.status == "complete"

    answer = _answer(QUESTION, engine)  # the same engine sees the file
    assert "Solberg" in answer.text
    assert "varnesk-ferry.txt" in {c.source for c in answer.citations}

    removal = remove_article(settings, "varnesk-ferry.txt")
    assert removal.file_deleted and removal.chunks_deleted == ferry.chunks
    assert not (settings.corpus_dir / "varnesk-ferry.txt").exists()
    assert "varnesk-ferry.txt" not in {e.source for e in list_articles(settings)}
    assert engine.store.chunk_ids("varnesk-ferry.txt") == []
    after = _answer(QUESTION, engine)
    assert "varnesk-ferry.txt" not in {c.source for c in after.citations}
    assert "Solberg" not in after.text

    with pytest.raises(CorpusError, match="no such article"):
        remove_article(settings, "varnesk-ferry.txt")


@pytest.mark.slow
def test_removing_an_article_whose_file_already_went(settings: Settings) -> None:
    from index.ingest import ingest

    ingest(settings)
    gone = sorted(settings.corpus_dir.iterdir())[0]
    gone.unlink()
    removal = remove_article(settings, gone.name)
    assert not removal.file_deleted and removal.chunks_deleted > 0
    assert gone.name not in {e.source for e in list_articles(settings)}
