"""Cut a cleaned article into sentence-aware chunks that keep their offsets in the file.

A *section* is a run of kept paragraphs with nothing dropped between them, so no chunk ever
spans a caption or an appeal that cleaning removed. Each section goes through llama-index's
`SentenceSplitter`, sized in the embedding model's own tokens; every chunk is then located in
the raw file, so `raw[chunk.start:chunk.end] == chunk.text` always holds.

Chunk ids are `<file>:<digest>:<n>`, where the digest covers the article text (for a web page
also its metadata, `index.ingest.file_digest`) and the chunking parameters: the same file
chunked the same way always yields the same ids, and a changed file yields new ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from llama_index.core.node_parser import SentenceSplitter

from index.clean import CleanArticle, Paragraph

# Bump when cleaning or chunking changes what a file turns into: every file is then re-chunked
# and re-embedded by the next ingest instead of keeping chunks made by the old rules.
PIPELINE_VERSION = 4


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    start: int
    end: int
    text: str
    furniture: bool = False  # cut from text cleaning dropped: searchable, ranked down


def content_digest(raw: str, *, chunk_tokens: int, chunk_overlap: int) -> str:
    """Hex digest naming one version of a file under one chunking setup.

    >>> content_digest("abc", chunk_tokens=160, chunk_overlap=32)
    '61762c18136d3d20'
    """
    payload = f"{PIPELINE_VERSION}/{chunk_tokens}/{chunk_overlap}\n{raw}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def group_sections(article: CleanArticle, raw: str) -> list[tuple[int, int]]:
    """(start, end) of each run of kept paragraphs that nothing dropped interrupts.

    >>> from index.clean import clean_article
    >>> raw = "T\\nA.\\nPhoto: X\\nB.\\nC."
    >>> group_sections(clean_article("f", raw), raw)
    [(0, 4), (14, 19)]
    """
    dropped_starts = sorted(p.start for p, _ in article.dropped)
    sections: list[list[Paragraph]] = []
    for paragraph in article.paragraphs:
        if sections:
            previous = sections[-1][-1]
            interrupted = any(previous.end <= s < paragraph.start for s in dropped_starts)
            if not interrupted:
                sections[-1].append(paragraph)
                continue
        sections.append([paragraph])
    return [(run[0].start, run[-1].end) for run in sections]


# Dropped text may still hold a fact (a donation appeal that says the outlet was branded a
# "foreign agent", a byline that names the writer): every dropped paragraph but a duplicate is
# chunked apart from the story text, marked, and ranked below it by `qa.evidence`. So it is
# searchable, and "they never mention X" is said only of what no text of any file holds.
UNSEARCHED_DROPS = frozenset({"duplicate"})


def chunk_article(
    article: CleanArticle,
    raw: str,
    *,
    chunk_tokens: int,
    chunk_overlap: int,
    tokenizer: Callable[[str], list[int]],
    digest: str | None = None,
) -> list[Chunk]:
    """Chunks of the article's kept text, in file order, then of its searchable furniture,
    all with verbatim offsets. `digest` names the file version in the chunk ids (default:
    `content_digest` of `raw`; a web page's also covers its metadata)."""
    splitter = SentenceSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap,
        paragraph_separator="\n",
        tokenizer=tokenizer,
    )
    if digest is None:
        digest = content_digest(raw, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap)
    chunks: list[Chunk] = []
    furniture = [(p.start, p.end) for p, why in article.dropped if why not in UNSEARCHED_DROPS]
    sections = [(*span, False) for span in group_sections(article, raw)]
    for section_start, section_end, is_furniture in [*sections, *((*f, True) for f in furniture)]:
        section = raw[section_start:section_end]
        cursor = 0
        for piece in splitter.split_text(section):
            text = piece.strip()
            found = section.find(text, cursor)
            if found < 0:  # the splitter normalised something; fall back to a search from 0
                found = section.find(text)
            if found < 0 or not text:
                continue
            start = section_start + found
            chunks.append(
                Chunk(
                    f"{article.source}:{digest}:{len(chunks)}",
                    article.source,
                    start,
                    start + len(text),
                    text,
                    is_furniture,
                )
            )
            cursor = found + 1
    return chunks
