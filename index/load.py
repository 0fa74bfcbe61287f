"""Find and read the article files of a corpus folder, skipping what cannot be an article.

`.txt` and `.md` files are read as they are. `.html`/`.htm` pages go through trafilatura
(`index.webpage`): the story text it extracts, without menus, cookie banners, related-story
lists or footers, becomes the article's text, and the page's own title, date, site name and
author come with it (`ArticleFile.page`). Offsets and quotes index `ArticleFile.text` in both
cases: the file's characters for a text file, the extracted text for a page (the same each
time the page is read). Unreadable files (not UTF-8, binary, empty, larger than the limit,
links leading out of the folder, a page with no text trafilatura can extract) are skipped with
a warning that names them; the rest of the corpus is still read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError
from index.webpage import PageMetadata, extract_page

log = logging.getLogger(__name__)

HTML_SUFFIXES = frozenset({".html", ".htm"})
ARTICLE_SUFFIXES = frozenset({".txt", ".md"}) | HTML_SUFFIXES
MAX_ARTICLE_BYTES = 5_000_000


@dataclass(frozen=True)
class ArticleFile:
    source: str  # path relative to the corpus folder, e.g. "003_3dab01f474e797b8.txt"
    path: Path
    text: str  # what offsets index: the file's characters, or a page's extracted text
    page: PageMetadata | None = None  # what an HTML page says about itself; None for text files


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str


def _read_article(path: Path, root: Path, max_bytes: int) -> ArticleFile | SkippedFile:
    source = path.relative_to(root).as_posix()
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        return SkippedFile(source, "a link that points outside the corpus folder")
    size = path.stat().st_size
    if size == 0:
        return SkippedFile(source, "empty file")
    if size > max_bytes:
        return SkippedFile(source, f"{size:,} bytes, over the {max_bytes:,}-byte limit")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return SkippedFile(source, "binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SkippedFile(source, f"not UTF-8 (byte {exc.start})")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return SkippedFile(source, "no text")
    if path.suffix.lower() in HTML_SUFFIXES:
        page = extract_page(text)
        if page is None:
            return SkippedFile(source, "no article text that trafilatura could extract")
        return ArticleFile(source, path, page.text, page.metadata)
    return ArticleFile(source, path, text)


def article_paths(corpus_dir: Path) -> list[Path]:
    """Every article file under `corpus_dir`, sorted by name; CorpusError if it is missing."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.suffix.lower() in ARTICLE_SUFFIXES and (p.is_file() or p.is_symlink())
    )


def read_article(
    path: Path, corpus_dir: Path, *, max_bytes: int = MAX_ARTICLE_BYTES
) -> ArticleFile | SkippedFile:
    """One article file read (a web page's story extracted), or why it is skipped."""
    try:
        item = _read_article(path, corpus_dir, max_bytes)
    except OSError as exc:
        item = SkippedFile(path.relative_to(corpus_dir).as_posix(), f"unreadable: {exc}")
    if isinstance(item, SkippedFile):
        log.warning("skipped %s: %s", item.source, item.reason)
    return item


def iter_articles(
    corpus_dir: Path, *, max_bytes: int = MAX_ARTICLE_BYTES
) -> Iterator[ArticleFile | SkippedFile]:
    """Every article file under `corpus_dir`, sorted by name, read one at a time."""
    paths = article_paths(corpus_dir)
    for path in paths:
        yield read_article(path, corpus_dir, max_bytes=max_bytes)


def read_source_text(corpus_dir: Path, source: str) -> str | None:
    """The current text of one article (for showing the whole article), or None if it is gone
    or outside the corpus folder."""
    root = corpus_dir.resolve()
    path = (corpus_dir / source).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    item = _read_article(path, root, MAX_ARTICLE_BYTES)
    return item.text if isinstance(item, ArticleFile) else None
