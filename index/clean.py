"""Turn a raw news page into body paragraphs with exact offsets, plus title, outlet and date.

Every kept paragraph is a verbatim slice of the raw text (`raw[start:end] == text`), so a quote
cut from it can always be found again in the file. Cleaning only *drops* text (a caption keeps
its words and loses its credit); it never rewrites any. The rules are generic news-page rules
(section labels, donation appeals, comment forms, bylines, photo credits, id/date lines, a
trailing link list), not a list of known sentences. Dropped text stays searchable, ranked down
(`index.chunk.UNSEARCHED_DROPS`). What it deliberately does
not do: guess captions that carry no credit, or fix translation errors.

>>> art = clean_article("a.txt", "Flash News\\nTitle here\\nBody one. Body two.\\nBy Editor\\n")
>>> art.title, [p.text for p in art.paragraphs]
('Title here', ['Title here', 'Body one. Body two.'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = (
    "january february march april may june july august september october november december"
).split()

_SECTION_LABEL = re.compile(
    r"^(?:flash|breaking|latest|other|more|related|top|recommended|popular|trending|world)"
    r"\s+(?:news|stories|articles|posts|reads|headlines)$"
    r"|^(?:read more|see also|advertisement|share(?: this(?: article)?)?|related|tags?|comments?"
    r"(?: \(\d+\))?|most read|you may also like)$",
    re.IGNORECASE,
)
_APPEAL = re.compile(
    r"\b(?:pa[iy]ment methods?|donat(?:e|ion|ions)\b|subscribe\b|support us\b|"
    r"remind me later|not ready to support|become a (?:member|patron|subscriber)|"
    r"small favou?r to ask|your support|we need your help|make a contribution|"
    r"support (?:independent|our) journalism)",
    re.IGNORECASE,
)
_SUPPORT_OUTLET = re.compile(r"^Support ((?:The )?[A-Z][\w'.&-]*(?: [A-Z][\w'.&-]*){0,4})!?$")
_COMMENT_FORM = re.compile(
    r"^(?:leave a (?:reply|comment)|post a comment|add (?:a )?comment|write a comment|"
    r"your (?:name|e-?mail(?: address)?|comment|website)|cancel reply|"
    r"(?:name|e-?mail|website|comment)\s*\*|submit comment)\s*:?$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^By [A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}(?:,? [\w .'-]{0,40})?$")
_CREDIT = re.compile(
    r"(?:^|[.!?]\s+|\s)(?:Image|Photo|Photograph|Picture|Graphics?|Illustration|Credit|Video)"
    r"\s*:\s*\S.{0,40}$"
    r"|(?:^|\.\s+)(?:[A-Z][\w-]*\s)?(?:photo|image|picture)s?\.?$",
)
_ID_LINE = re.compile(
    r"^(?:story code|article id|news id|id|category|categories|keywords?|tags?|source|outlet|"
    r"publisher|site)\s*:\s*\S.{0,60}$",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(
    r"^(?:publish(?:ed)?(?:\s*date|\s*on)?|posted(?:\s*on)?|updated(?:\s*on)?|date)\s*:?\s*(.+)$",
    re.IGNORECASE,
)
_LEAD_OUTLET = re.compile(r"^([A-Z][\w'&.-]*(?: [A-Z][\w'&.-]*){0,5} \([A-Z]{2,6}\)):\s")
_SIGNATURE_OUTLET = re.compile(r"[.!?\"”']\s*/\s*([A-Z][A-Za-z]{1,12})\s*$")
_META_OUTLET = re.compile(r"^(?:source|outlet|publisher|site)\s*:\s*(.{2,60})$", re.IGNORECASE)
# Reasons after which the rest of the page is furniture, when they occur in its second half.
_TAIL_REASONS = frozenset({"appeal", "section label", "comment form"})


@dataclass(frozen=True)
class Paragraph:
    """A verbatim slice of an article file: `raw[start:end] == text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class CleanArticle:
    source: str
    title: str | None
    outlet: str | None
    date: str | None
    paragraphs: tuple[Paragraph, ...]
    dropped: tuple[tuple[Paragraph, str], ...]
    author: str | None = None  # only a web page's metadata names one (`index.webpage`)


def split_paragraphs(raw: str) -> list[Paragraph]:
    """Each non-blank line, stripped, with its offsets.

    >>> [(p.start, p.end, p.text) for p in split_paragraphs(" a b \\n\\nc")]
    [(1, 4, 'a b'), (7, 8, 'c')]
    """
    paragraphs = []
    for match in re.finditer(r"[^\n]+", raw):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + (len(line) - len(line.lstrip()))
        paragraphs.append(Paragraph(start, start + len(stripped), stripped))
    return paragraphs


def parse_date(text: str) -> str | None:
    """The first calendar date in `text`, as ISO `YYYY-MM-DD`.

    >>> parse_date("Publish dateMonday 25 December 2023 - 09:50")
    '2023-12-25'
    >>> parse_date("May 24, 2024"), parse_date("2024-05-24T10:00"), parse_date("no date")
    ('2024-05-24', '2024-05-24', None)
    """
    if iso := re.search(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)", text):
        return f"{iso[1]}-{iso[2]}-{iso[3]}"
    month_names = "|".join(MONTHS)
    if m := re.search(rf"\b(\d{{1,2}})\s+({month_names})\,?\s+(\d{{4}})\b", text, re.IGNORECASE):
        day, month, year = int(m[1]), MONTHS.index(m[2].lower()) + 1, m[3]
        return f"{year}-{month:02d}-{day:02d}"
    if m := re.search(rf"\b({month_names})\s+(\d{{1,2}}),?\s+(\d{{4}})\b", text, re.IGNORECASE):
        day, month, year = int(m[2]), MONTHS.index(m[1].lower()) + 1, m[3]
        return f"{year}-{month:02d}-{day:02d}"
    return None


def classify_paragraph(text: str) -> str | None:
    """Why a paragraph is page furniture rather than story text, or None for story text.

    >>> classify_paragraph("Leave a Reply"), classify_paragraph("Putin said so.")
    ('comment form', None)
    """
    words = text.split()
    short = len(words) <= 12
    if short and _SECTION_LABEL.match(text.rstrip(" :.")):
        return "section label"
    if short and _COMMENT_FORM.match(text):
        return "comment form"
    if _APPEAL.search(text) or (short and _SUPPORT_OUTLET.match(text)):
        return "appeal"
    if len(words) <= 8 and _BYLINE.match(text):
        return "byline"
    if _ID_LINE.match(text):
        return "metadata"
    date_line = _DATE_LINE.match(text)
    if date_line and len(words) <= 10 and parse_date(date_line[1]):
        return "date line"
    if len(words) <= 25 and _CREDIT.search(text):
        return "caption"
    return None


def caption_words(paragraph: Paragraph) -> Paragraph | None:
    """The words of a caption without its photo credit, when they make a sentence (three
    words or more): what a caption says is story text, who took the photo is not.

    >>> caption_words(Paragraph(10, 55, "Putin in Minsk on May 23, 2024. Kremlin photo"))
    Paragraph(start=10, end=41, text='Putin in Minsk on May 23, 2024.')
    >>> caption_words(Paragraph(0, 15, "Photo: Reuters")) is None
    True
    """
    match = _CREDIT.search(paragraph.text)
    if match is None:
        return None
    words = paragraph.text[: match.start()].rstrip()
    if match.group().lstrip().startswith("."):  # the credit began after a full stop
        words += "."
    if len(words.split()) < 3:
        return None
    return Paragraph(paragraph.start, paragraph.start + len(words), words)


def find_outlet(paragraphs: list[Paragraph]) -> str | None:
    """The publishing outlet, when the page names itself: a `Source:` line, a lead like
    `Afghan Voice Agency (AVA): ...`, a `Support The X!` appeal, or a `./VOA` signature.

    >>> find_outlet([Paragraph(0, 9, "Body./VOA")])
    'VOA'
    """
    for paragraph in paragraphs:
        for pattern in (_META_OUTLET, _LEAD_OUTLET, _SUPPORT_OUTLET):
            if match := pattern.match(paragraph.text):
                return match[1].strip()
    for paragraph in reversed(paragraphs):
        if classify_paragraph(paragraph.text) is None:
            match = _SIGNATURE_OUTLET.search(paragraph.text)
            return match[1] if match else None
    return None


def clean_article(source: str, raw: str) -> CleanArticle:
    """Split `raw` into paragraphs, drop page furniture, and read title, outlet and date."""
    paragraphs = split_paragraphs(raw)
    total = sum(len(p.text) for p in paragraphs) or 1
    kept: list[Paragraph] = []
    dropped: list[tuple[Paragraph, str]] = []
    seen: set[str] = set()
    date: str | None = None
    chars_before = 0
    for index, paragraph in enumerate(paragraphs):
        reason = classify_paragraph(paragraph.text)
        if reason == "date line" and date is None:
            date = parse_date(paragraph.text)
        if reason in _TAIL_REASONS and chars_before / total >= 0.5:
            dropped.extend((p, "after end of story") for p in paragraphs[index:])
            break
        chars_before += len(paragraph.text)
        normalized = " ".join(paragraph.text.lower().split())
        if reason is None and normalized in seen:
            reason = "duplicate"
        if reason == "caption" and (words := caption_words(paragraph)):
            kept.append(words)
            credit = raw[words.end : paragraph.end]
            start = words.end + len(credit) - len(credit.lstrip())
            paragraph, reason = Paragraph(start, paragraph.end, credit.strip()), "credit"
        if reason is None:
            kept.append(paragraph)
            seen.add(normalized)
        else:
            dropped.append((paragraph, reason))
    return CleanArticle(
        source=source,
        title=kept[0].text if kept else None,
        outlet=find_outlet(paragraphs),
        date=date,
        paragraphs=tuple(kept),
        dropped=tuple(dropped),
    )
