"""Split text into sentences with exact character offsets (pure, no model).

Boundaries are end punctuation (. ! ? …), optionally closed by quotes or brackets, followed by
white space and an upper-case letter, digit or opening quote. Abbreviations (`Mr.`, `U.S.`)
and initials (`J. Smith`) are not boundaries. Line breaks always end a sentence, because a
news page puts each paragraph on its own line.

>>> text = 'Mr. Putin spoke. He said "no war." Then U.S. officials left.'
>>> [text[s:e] for s, e in split_sentences(text)]
['Mr. Putin spoke.', 'He said "no war."', 'Then U.S. officials left.']
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt st jr sr vs etc inc ltd co corp gov sen rep pres "
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos fig approx dept est".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=[ \t]+[\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def _is_abbreviation(text_before: str) -> bool:
    match = _WORD_BEFORE.search(text_before)
    if match is None:
        return False
    word = match.group(1).lower().rstrip(".")
    if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return True
    return "." in word and all(len(part) <= 2 for part in word.split("."))  # u.s, e.g


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of every sentence in `text`, shifted by `offset`, stripped of spaces.

    >>> split_sentences("One. Two!\\nThree", offset=10)
    [(10, 14), (15, 19), (20, 25)]
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        cursor = line.start()
        for match in _BOUNDARY.finditer(text, line.start(), line.end()):
            punct_at = match.start()
            if text[punct_at] == "." and _is_abbreviation(text[cursor:punct_at]):
                continue
            spans.append((cursor, match.end()))
            cursor = match.end()
        spans.append((cursor, line.end()))
    result = []
    for start, end in spans:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            result.append((offset + start + lead, offset + start + lead + len(stripped)))
    return result
