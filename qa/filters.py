"""Which articles a question may be answered from: by outlet, and by publication date.

`ask(question, outlets=[...], since=..., until=...)` and the chat's filter row build an
`ArticleFilter`; `filtered_sources` turns it into the set of article files it admits, read
from the manifest (title, outlet and date of every indexed file), and retrieval is limited to
those files. Outlet names match without regard to case, a leading "The" or a parenthesised
acronym ("Afghan Voice Agency", "AVA" and "afghan voice agency (ava)" all name
"Afghan Voice Agency (AVA)"). An article whose date is unknown is never in a date range: a
filter says what is known, not what might be.

A filter that names an outlet no article has, a date that is not a date, or a range that
admits nothing is refused with a `QuestionError` saying so, before any retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from index.errors import QuestionError
from index.store import FileRecord


@dataclass(frozen=True)
class ArticleFilter:
    """Outlets (any of them) and an inclusive date range; empty fields admit everything."""

    outlets: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def __bool__(self) -> bool:
        return bool(self.outlets) or self.since is not None or self.until is not None

    def describe(self) -> str:
        """The filter in words, for messages and notes.

        >>> ArticleFilter(("VOA",), since=date(2024, 1, 1)).describe()
        'from VOA, dated 2024-01-01 or later'
        """
        parts = []
        if self.outlets:
            parts.append("from " + " or ".join(self.outlets))
        if self.since and self.until:
            parts.append(f"dated {self.since.isoformat()} to {self.until.isoformat()}")
        elif self.since:
            parts.append(f"dated {self.since.isoformat()} or later")
        elif self.until:
            parts.append(f"dated {self.until.isoformat()} or earlier")
        return ", ".join(parts) or "all articles"


def parse_day(value: str | date | None, name: str) -> date | None:
    """A `YYYY-MM-DD` string (or a date) as a date; a clear error otherwise.

    >>> parse_day("2023-12-25", "since"), parse_day("", "since")
    (datetime.date(2023, 12, 25), None)
    """
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QuestionError(f"{name} must be a date like 2024-05-24, got {value!r}") from None


def make_filter(
    outlets: Iterable[str] | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
) -> ArticleFilter:
    """An `ArticleFilter` from what a caller typed; bad dates are a `QuestionError`."""
    names = tuple(dict.fromkeys(o.strip() for o in outlets or () if o and o.strip()))
    start, end = parse_day(since, "since"), parse_day(until, "until")
    if start and end and start > end:
        raise QuestionError(f"since ({start}) is after until ({end}): no date is in that range")
    return ArticleFilter(names, start, end)


def outlet_names(outlet: str) -> frozenset[str]:
    """The ways a user may write an outlet's name, case-folded.

    >>> sorted(outlet_names("Afghan Voice Agency (AVA)"))
    ['afghan voice agency', 'afghan voice agency (ava)', 'ava']
    >>> sorted(outlet_names("The Moscow Times"))
    ['moscow times', 'the moscow times']
    """
    full = " ".join(outlet.split()).casefold()
    names = {full, full.removeprefix("the ")}
    if match := re.fullmatch(r"(.+?)\s*\(([^()]+)\)", full):
        names |= {match[1], match[1].removeprefix("the "), match[2]}
    return frozenset(n for n in names if n)


def _admits_date(record: FileRecord, wanted: ArticleFilter) -> bool:
    if wanted.since is None and wanted.until is None:
        return True
    day = parse_known_day(record.date)
    if day is None:
        return False
    return (wanted.since is None or day >= wanted.since) and (
        wanted.until is None or day <= wanted.until
    )


def parse_known_day(value: str | None) -> date | None:
    """A manifest date (`YYYY-MM-DD` or empty) as a date, None when unknown or malformed."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def known_outlets(outlets: Iterable[str | None]) -> list[str]:
    """The distinct outlets named, sorted (the articles' outlets: the filter's choices).

    >>> known_outlets(["VOA", None, "afp", "VOA"])
    ['afp', 'VOA']
    """
    return sorted({o for o in outlets if o}, key=str.casefold)


def filtered_sources(wanted: ArticleFilter, records: Mapping[str, FileRecord]) -> frozenset[str]:
    """The article files `wanted` admits; a `QuestionError` when it names an unknown outlet
    or admits no article."""
    outlets = known_outlets(r.outlet for r in records.values())
    chosen: set[str] = set()
    for name in wanted.outlets:
        matching = {o for o in outlets if name.casefold().removeprefix("the ") in outlet_names(o)}
        if not matching:
            listed = ", ".join(outlets) or "none"
            raise QuestionError(f"no indexed article is from {name!r} (outlets: {listed})")
        chosen |= matching
    sources = frozenset(
        source
        for source, record in records.items()
        if (not wanted.outlets or record.outlet in chosen) and _admits_date(record, wanted)
    )
    if not sources:
        raise QuestionError(f"no indexed article matches the filter ({wanted.describe()})")
    return sources


def filter_note(wanted: ArticleFilter, sources: Collection[str], total: int) -> str:
    """The note on an answer given from a filtered part of the corpus.

    >>> filter_note(ArticleFilter(("VOA",)), {"a", "b"}, 5)
    'answered from 2 of 5 articles: from VOA'
    """
    return f"answered from {len(sources)} of {total} articles: {wanted.describe()}"
