"""Read a saved news web page with trafilatura: its story text and what the page says about itself.

trafilatura (Apache-2.0) finds the story in the page's markup and leaves out what surrounds it:
menus, cookie banners, "related stories" and "most read" lists, share buttons, footers,
scripts, and reader comments (`include_comments=False`). The title, date, site name (the outlet)
and author come from the page's `<title>`, `og:`/`article:` meta tags and JSON-LD
(`NewsArticle` with `headline`, `datePublished`, `author`, `publisher`), read by trafilatura
and, for the date, htmldate.

The extracted text *is* the article from then on: chunk offsets and citation quotes index it,
so it has to come out the same every time the same file is read, and it does (no network, no
clock, no randomness). When the text does not already open with the page's headline, the
headline is put on the first line, so a web page reads like a `.txt` article (title first)
and its headline can be searched and quoted.

What it deliberately does not do: fetch anything, run scripts, or guess a date from the free
text. htmldate's "extensive" search is off because it reads a footer's "(c) 2024" as
2024-01-01; a page with no date in its markup gets the date cleaning finds in a "Published:"
line, as a `.txt` article does. A story shorter than about 250 characters may come with other
text of the page: trafilatura then falls back to its whole-page rescue.

>>> story = "The council closed the bridge on Thursday after engineers found cracks. " * 4
>>> page = extract_page(
...     '<html><head><meta property="og:site_name" content="The Ledger">'
...     '<meta property="article:published_time" content="2024-05-24T09:30:00Z"></head>'
...     '<body><nav><a href="/">Home</a><a href="/sport">Sport</a></nav>'
...     f"<article><h1>Bridge shut</h1><p>{story}</p></article></body></html>"
... )
>>> page.text == "Bridge shut\\n" + story.strip()
True
>>> page.metadata
PageMetadata(title='Bridge shut', date='2024-05-24', outlet='The Ledger', author=None)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

# trafilatura logs an empty or unparsable page on its own ("discarding data: None"), without
# the file's name; `index.load` reports the skipped file itself, in one line that names it.
_TRAFILATURA_LOG = logging.getLogger("trafilatura")
# Dates from the markup only (meta tags, JSON-LD, <time>, the URL); see the module docstring.
_DATE_PARAMS = {"original_date": True, "extensive_search": False}


@dataclass(frozen=True)
class PageMetadata:
    """What a web page says about itself; None where it says nothing."""

    title: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd, the publication date
    outlet: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class WebPage:
    text: str  # the story text: the article's characters from here on
    metadata: PageMetadata


def extract_page(html: str) -> WebPage | None:
    """The story text and metadata of an HTML page, or None when trafilatura finds no text."""
    import trafilatura
    from trafilatura.settings import Document

    _TRAFILATURA_LOG.setLevel(logging.CRITICAL)
    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        date_extraction_params=dict(_DATE_PARAMS),
    )
    if not isinstance(document, Document) or not (body := (document.text or "").strip()):
        return None
    metadata = PageMetadata(
        title=_field(document.title),
        date=_field(document.date),
        outlet=_field(document.sitename),
        author=_field(document.author),
    )
    return WebPage(headed_text(body, metadata.title), metadata)


def headed_text(body: str, title: str | None) -> str:
    """`body` with `title` as its first line, unless it already opens with it.

    >>> headed_text("Bridge shut\\nThe council met.", "Bridge shut")
    'Bridge shut\\nThe council met.'
    >>> headed_text("The council met.", "Bridge shut")
    'Bridge shut\\nThe council met.'
    """
    if not title or body.split("\n", 1)[0].strip() == title:
        return body
    return f"{title}\n{body}"


def _field(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None
