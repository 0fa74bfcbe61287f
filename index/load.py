"""Find and read the article files of a corpus folder, skipping what cannot be an article.

`.txt` and `.md` files are read as they are. `.html`/`.htm` files have their markup blanked out
character for character (tags and scripts become spaces, block tags a line break), so the
text keeps the file's offsets and a quote cut from it is still found at the same place.
Unreadable files (not UTF-8, binary, empty, larger than the limit, links leading out of the
folder) are skipped with a warning that names them; the rest of the corpus is still read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})
MAX_ARTICLE_BYTES = 5_000_000
_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|h[1-6]|li|ul|ol|tr|table|section|article|header|"
    r"footer|title|blockquote|figure|figcaption|nav|aside)\b[^>]*>",
    re.I,
)
_HIDDEN = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_ANY_TAG = re.compile(r"<[^>]*>", re.S)


@dataclass(frozen=True)
class ArticleFile:
    source: str  # path relative to the corpus folder, e.g. "003_3dab01f474e797b8.txt"
    path: Path
    text: str  # same length and offsets as the file's characters


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str


def blank_markup(html: str) -> str:
    """HTML with every tag, script and comment replaced by spaces of the same length; block
    tags start a new line. Character offsets are unchanged.

    >>> blank_markup("<p>Hi <b>you</b></p>")
    '\\n  Hi    you    \\n   '
    """

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group())

    def line_break(match: re.Match[str]) -> str:
        return "\n" + " " * (len(match.group()) - 1)

    text = _HIDDEN.sub(blank, html)
    text = _BLOCK_TAGS.sub(line_break, text)
    return _ANY_TAG.sub(blank, text)


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
    if path.suffix.lower() in {".html", ".htm"}:
        text = blank_markup(text)
    if not text.strip():
        return SkippedFile(source, "no text")
    return ArticleFile(source, path, text)


def iter_articles(
    corpus_dir: Path, *, max_bytes: int = MAX_ARTICLE_BYTES
) -> Iterator[ArticleFile | SkippedFile]:
    """Every article file under `corpus_dir`, sorted by name, read one at a time."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    paths = sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.suffix.lower() in ARTICLE_SUFFIXES and (p.is_file() or p.is_symlink())
    )
    for path in paths:
        try:
            item = _read_article(path, corpus_dir, max_bytes)
        except OSError as exc:
            item = SkippedFile(path.relative_to(corpus_dir).as_posix(), f"unreadable: {exc}")
        if isinstance(item, SkippedFile):
            log.warning("skipped %s: %s", item.source, item.reason)
        yield item


def read_source_text(corpus_dir: Path, source: str) -> str | None:
    """The current text of one article (for showing the whole article), or None if it is gone
    or outside the corpus folder."""
    root = corpus_dir.resolve()
    path = (corpus_dir / source).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    item = _read_article(path, root, MAX_ARTICLE_BYTES)
    return item.text if isinstance(item, ArticleFile) else None
