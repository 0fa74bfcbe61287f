"""Find where sources give different figures for the same thing (pure).

A *figure* is a number with its unit: a percent sign, or the next word the question also asks
about ("four Russian sources" for "how many sources ..."); a year is no figure ("the 2022 World
Cup"), and a unit belongs to the nearest number before it ("in 2018 by 30 seconds" is 30
seconds). Two evidence lines from different articles disagree when they give the same unit
different values (18% of the territory in one report, about 20% in another; four sources or
five) and the other line is about the same thing as far as words can tell: it is evidence
newsqa would answer from on its own (its score passes the answerability gate), and it names
every name of the question that the cited line names. On outside news the unit alone matched
figures of other things ("the first time in 600 years" against a sitting pope who last led a
predecessor's funeral "in over 220 years"; a mission of 371 days against a flight of three).

>>> figures("Russia holds 18% of Ukraine, say five Russian sources.", {"source"})
[('18', '%', '18%'), ('5', 'source', 'five Russian sources')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answer_type import YEAR
from qa.lexical import STOPWORDS, stem, words
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
    r"(?=((?:\s+[\w’'-]+){0,3}))",  # the words after, not consumed: they may hold a figure
    re.IGNORECASE,
)


def figures(text: str, unit_stems: set[str]) -> list[tuple[str, str, str]]:
    """(value, unit, the words that say it) for each figure whose unit is a percentage or a
    word from `unit_stems`. A range is one figure, valued at its first number.

    >>> figures("150 to 300 minutes a week, or 75 minutes", {"minute"})
    [('150', 'minute', '150 to 300 minutes'), ('75', 'minute', '75 minutes')]
    """
    found = []
    said_until = 0  # the end of the last figure's words: a number inside them is no new figure
    for match in _FIGURE.finditer(text):
        if match.start() < said_until:
            continue
        raw_value, percent, after = match.group(1), match.group(2), match.group(3) or ""
        value = _NUMBER_WORDS.get(raw_value.lower(), raw_value.replace(",", ""))
        if percent:
            found.append((value, "%", match.group(0)[: match.end(2) - match.start()].strip()))
            continue
        if YEAR.fullmatch(raw_value):
            continue
        spans = list(re.finditer(r"\S+", after))
        following = [span.group() for span in spans]
        if following and following[0].lower() in _MULTIPLIERS:
            value = f"{value} {following[0].lower()}"
        for index, word in enumerate(following):
            if _FIGURE.match(word) and following[index - 1 : index] != ["to"]:
                break  # another number, not a range's end: the unit after it is that number's
            if stem(word.lower().strip("’'")) in unit_stems:
                phrase = " ".join([raw_value, *following[: index + 1]])
                found.append((value, stem(word.lower()), phrase))
                said_until = match.start(3) + spans[index].end()
                break
    return found


def named(text: str, asked_names: Sequence[str]) -> set[str]:
    """The names of `asked_names` that `text` names: one of a name's words is enough ("Kevin
    McCarthy" is named by "McCarthy"; a possessive counts).

    >>> sorted(named("McCarthy lost three rounds of voting", ["Kevin McCarthy", "US House"]))
    ['Kevin McCarthy']
    """
    spelled = set(words(text))
    return {name for name in asked_names if (set(words(name)) - STOPWORDS) & spelled}


def disagreeing(
    question_stems: set[str],
    cited: Evidence,
    others: list[Evidence],
    *,
    asked_names: Sequence[str] = (),
    min_score: float = 0.0,
) -> list[tuple[Evidence, str]]:
    """Lines from other articles that give a different value for a unit the cited line has,
    with the words that say it; at most one line per article. A line counts only when its
    evidence score is at least `min_score` and it names each of `asked_names` (the
    question's names) that the cited line names.

    >>> a = Evidence("a.txt", None, None, None, 0, 9, "Russia holds 18% of Ukraine.", score=1.2)
    >>> b = Evidence("b.txt", None, None, None, 0, 9, "Russia would control 20% of it.", score=1.0)
    >>> [(e.source, words) for e, words in disagreeing({"ukrain"}, a, [b], min_score=0.79)]
    [('b.txt', '20%')]
    >>> disagreeing({"ukrain"}, a, [b], asked_names=["Ukraine"])  # b does not name Ukraine
    []
    >>> disagreeing({"ukrain"}, a, [b], min_score=1.1)  # b is not close enough to the question
    []
    """
    mine = {(unit, value) for value, unit, _ in figures(cited.text, question_stems)}
    units = {unit for unit, _ in mine}
    required = named(cited.text, asked_names)
    found: list[tuple[Evidence, str]] = []
    seen_sources = {cited.source}
    for other in others:
        if other.source in seen_sources or other.score < min_score:
            continue
        if not required <= named(other.text, asked_names):
            continue
        for value, unit, phrase in figures(other.text, question_stems):
            if unit in units and (unit, value) not in mine:
                found.append((other, phrase))
                seen_sources.add(other.source)
                break
    return found
