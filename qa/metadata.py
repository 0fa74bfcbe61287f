"""Questions about an article itself: when it was published, by which outlet, who wrote it.

Every indexed article has a metadata record (title, outlet, date, author: read from a web
page's markup, or from a `.txt` article's own lines by `index.clean`). "When was the Afghan
Voice Agency story published?" is answered from that record, not from the story text:

- `metadata_question` says whether a question asks for one of those fields *of a story*:
  the question must ask for a date, outlet or author with publishing words ("when was ...
  published", "which outlet ran ...", "who wrote the article ...") and be about a story (it
  names a story word such as "story" or "article", an indexed outlet, or a quoted headline;
  not "report", which in the news is as often a document the story is about).
  "On what day did Reuters publish its story, according to The Moscow Times?" is not: Reuters
  is not an outlet of the corpus, so that is a question about what an article reports.
- `named_sources` finds the articles a question names by outlet or by quoted headline; the
  rest is left to retrieval (the best evidence sentence's article).
- `metadata_line` finds the line of a `.txt` article the value was read from (its date line,
  the line that names its outlet), so the answer quotes the article verbatim; a web page's
  values come from its markup and are cited as the page's metadata.

These few patterns are generic English about publishing, not about any corpus; on the 72
gold, 292 outside-dev and 5,076 train questions they fire on none (no question there asks for
an article's own metadata), so they change no answer there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from index.clean import MONTHS, classify_paragraph, parse_date
from index.store import FileRecord
from qa.filters import outlet_names
from qa.lexical import stems
from qa.types import Evidence

Field = Literal["date", "outlet", "author"]
WEB_PAGE_SUFFIXES = (".html", ".htm")
TITLE_MATCH = 0.6  # share of a quoted headline's words that a title must share
FIELD_WORDS: dict[Field, str] = {
    "date": "publication date",
    "outlet": "outlet",
    "author": "author",
}

_STORY = re.compile(
    r"\b(?:story|stories|article|articles|piece|column|headline|op-ed|editorial)\b",
    re.IGNORECASE,
)
_WHEN = r"(?:when|on what (?:date|day)|(?:what|which) (?:date|day)|what is the date)"
_PUBLISHED = r"(?:published|posted|released|put out|dated|run|filed)"
_DATE_PASSIVE = re.compile(rf"^{_WHEN}\b.*\b(?:was|were|is|has been)\b.*\b{_PUBLISHED}\b", re.I)
_DATE_ACTIVE = re.compile(
    rf"^{_WHEN}\s+did\s+(.+?)\s+(?:publish|post|release|put out|run|carry|file)\b", re.I
)
_DATE_NOUN = re.compile(r"\b(?:publication date|date of publication|publish(?:ing)? date)\b", re.I)
_OUTLET = re.compile(
    r"^(?:which|what)\s+(?:news\s+)?(?:outlet|newspaper|paper|agency|site|website|"
    r"publication|media(?:\s+outlet)?|organi[sz]ation|publisher)\b.*\b"
    r"(?:published|posted|ran|carried|put out|publishes|runs|carries)\b"
    r"|^who\s+(?:published|posted|ran|carried|put out)\b"
    r"|\b(?:outlet|publisher)\s+(?:of|behind)\b",
    re.IGNORECASE,
)
_AUTHOR = re.compile(
    r"^who\s+(?:wrote|authored|penned)\b|\b(?:author|byline|writer)\s+of\b", re.IGNORECASE
)
# A headline in double quotes, or in single quotes that are not an apostrophe ("Putin's").
_QUOTED = re.compile(r"[\"“]([^\"”]{8,})[\"”]|(?<!\w)['‘]([^'’]{8,})['’](?!\w)")
_PUBLISHER_BEFORE_STORY = re.compile(
    r"\b((?:[A-Z][\w.&-]*\s+)*[A-Z][\w.&-]*)(?:'s|’s|')?\s+" + _STORY.pattern
)


@dataclass(frozen=True)
class MetadataQuestion:
    field: Field
    named: frozenset[str]  # articles the question names by outlet or headline; empty: none


def _mentions(name: str, folded_question: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded_question) is not None


def named_sources(question: str, records: Mapping[str, FileRecord]) -> frozenset[str]:
    """Articles the question names: by an outlet's name, or by a quoted headline.

    >>> r = {"a": FileRecord("a", "d", "complete", 1, "Bridge shut", "The Ledger", None, "")}
    >>> sorted(named_sources("When was the Ledger story published?", r))
    ['a']
    >>> sorted(named_sources("When was 'Bridge shut today' published?", r))
    ['a']
    >>> _QUOTED.findall("Who ran Putin's story on Ukraine's war?")  # apostrophes, no quote
    []
    """
    folded = question.casefold()
    found = {
        source
        for source, record in records.items()
        if record.outlet and any(_mentions(n, folded) for n in outlet_names(record.outlet))
    }
    for double, single in _QUOTED.findall(question):
        words = stems(double or single)
        for source, record in records.items():
            if words and record.title:
                shared = len(words & stems(record.title)) / len(words)
                if shared >= TITLE_MATCH:
                    found.add(source)
    return frozenset(found)


def may_ask_for_metadata(question: str) -> bool:
    """A cheap first look (no records needed): could the question ask for a story's date,
    outlet or author? Most questions end here, before the catalog is read.

    >>> may_ask_for_metadata("Who wrote the article?"), may_ask_for_metadata("Who said it?")
    (True, False)
    """
    text = question.strip()
    patterns = (_AUTHOR, _OUTLET, _DATE_ACTIVE, _DATE_PASSIVE, _DATE_NOUN)
    return any(p.search(text) for p in patterns)


def _asked_field(question: str, records: Mapping[str, FileRecord]) -> Field | None:
    text = question.strip()
    if _AUTHOR.search(text):
        return "author"
    if _OUTLET.search(text):
        return "outlet"
    if active := _DATE_ACTIVE.search(text):  # "when did X publish": only when X is an outlet
        publisher = active[1].casefold().removeprefix("the ")
        outlets = {n for r in records.values() if r.outlet for n in outlet_names(r.outlet)}
        return "date" if publisher in outlets else None
    if _DATE_PASSIVE.search(text) or _DATE_NOUN.search(text):
        return "date"
    return None


def metadata_question(question: str, records: Mapping[str, FileRecord]) -> MetadataQuestion | None:
    """The field the question asks of a story, and the stories it names; None for a question
    about what the articles report.

    >>> r = {"a": FileRecord("a", "d", "complete", 1, "T", "Afghan Voice Agency (AVA)", None, "")}
    >>> metadata_question("When was the Afghan Voice Agency story published?", r)
    MetadataQuestion(field='date', named=frozenset({'a'}))
    >>> metadata_question("On what day did Reuters publish its story?", r) is None
    True
    >>> metadata_question("When was the study published?", r) is None
    True
    """
    field = _asked_field(question, records)
    if field is None:
        return None
    named = named_sources(question, records)
    if not named:
        if not _STORY.search(question):
            return None  # "when was the study published" asks about the news, not a story
        publisher = _PUBLISHER_BEFORE_STORY.search(question)
        if publisher and publisher.start(1) > 0:
            return None  # "the Reuters story": a story the articles report on
    return MetadataQuestion(field, named)


def spelled_day(iso: str) -> str:
    """`2023-12-25` as `25 December 2023` (as given when not a full date).

    >>> spelled_day("2023-12-25"), spelled_day("2023")
    ('25 December 2023', '2023')
    """
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso) and 1 <= int(iso[5:7]) <= 12:
        return f"{int(iso[8:])} {MONTHS[int(iso[5:7]) - 1].title()} {iso[:4]}"
    return iso


def field_value(record: FileRecord, field: Field) -> str | None:
    value = {"date": record.date, "outlet": record.outlet, "author": record.author}[field]
    return value or None


def metadata_line(field: Field, value: str, sentences: Sequence[Evidence]) -> Evidence | None:
    """The line of a text article the value was read from: its date line for the date, the
    first line that names the outlet for the outlet. None for a web page (its values come
    from its markup) and when no line says it.

    >>> line = Evidence("a.txt", None, None, None, 0, 27, "Published: 3 May 2024 09:50")
    >>> metadata_line("date", "2024-05-03", [line]).text
    'Published: 3 May 2024 09:50'
    >>> metadata_line("date", "2024-05-04", [line]) is None
    True
    """
    for sentence in sorted(sentences, key=lambda s: s.start):
        if sentence.source.lower().endswith(WEB_PAGE_SUFFIXES):
            return None
        text = sentence.text
        if field == "date" and classify_paragraph(text) == "date line":
            if parse_date(text) == value:
                return sentence
        elif field in ("outlet", "author") and _mentions(value.casefold(), text.casefold()):
            return sentence
    return None
