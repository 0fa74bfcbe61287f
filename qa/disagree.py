"""Find where sources give different figures for the same thing (pure).

A *figure* is a number with its unit: a percent sign, or the next word the question also asks
about ("four Russian sources" for "how many sources ..."). Two evidence lines from different
articles disagree when they give the same unit different values: 18% of the territory in one
report, about 20% in another; four sources or five.

>>> figures("Russia holds 18% of Ukraine, say five Russian sources.", {"source"})
[('18', '%', '18%'), ('5', 'source', 'five Russian sources')]
"""

from __future__ import annotations

import re

from qa.lexical import stem
from qa.types import Evidence

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_MULTIPLIERS = frozenset({"thousand", "million", "billion", "trillion"})
_FIGURE = re.compile(
    r"\b(\d+(?:[.,]\d+)*|" + "|".join(_NUMBER_WORDS) + r")\b(\s*(?:%|percent\b|per cent\b))?"
    r"((?:\s+[\w’'-]+){0,3})",
    re.IGNORECASE,
)


def figures(text: str, unit_stems: set[str]) -> list[tuple[str, str, str]]:
    """(value, unit, the words that say it) for each figure whose unit is a percentage or a
    word from `unit_stems`."""
    found = []
    for match in _FIGURE.finditer(text):
        raw_value, percent, after = match.group(1), match.group(2), match.group(3) or ""
        value = _NUMBER_WORDS.get(raw_value.lower(), raw_value.replace(",", ""))
        if percent:
            found.append((value, "%", match.group(0)[: match.end(2) - match.start()].strip()))
            continue
        following = after.split()
        if following and following[0].lower() in _MULTIPLIERS:
            value = f"{value} {following[0].lower()}"
        for index, word in enumerate(following):
            if stem(word.lower().strip("’'")) in unit_stems:
                phrase = " ".join([raw_value, *following[: index + 1]])
                found.append((value, stem(word.lower()), phrase))
                break
    return found


def disagreeing(
    question_stems: set[str], cited: Evidence, others: list[Evidence]
) -> list[tuple[Evidence, str]]:
    """Lines from other articles that give a different value for a unit the cited line has,
    with the words that say it; at most one line per article.

    >>> a = Evidence("a.txt", None, None, None, 0, 9, "Russia holds 18% of Ukraine.")
    >>> b = Evidence("b.txt", None, None, None, 0, 9, "Russia would control about 20% of it.")
    >>> [(e.source, words) for e, words in disagreeing({"ukrain"}, a, [b])]
    [('b.txt', '20%')]
    """
    mine = {(unit, value) for value, unit, _ in figures(cited.text, question_stems)}
    units = {unit for unit, _ in mine}
    found: list[tuple[Evidence, str]] = []
    seen_sources = {cited.source}
    for other in others:
        if other.source in seen_sources:
            continue
        for value, unit, phrase in figures(other.text, question_stems):
            if unit in units and (unit, value) not in mine:
                found.append((other, phrase))
                seen_sources.add(other.source)
                break
    return found
