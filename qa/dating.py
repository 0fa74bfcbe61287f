"""Whether a candidate line is about the time the question asks of (pure functions).

Two checks set lines aside before the gate, each about years only, since English news names
them the same way everywhere:

- `names_the_question_years`: a year the question names must be in the line, its article's
  title or its date ("the 2023 Lunar New Year" is not answered from "Lunar New Year 2021").
- `not_older_than_the_present`: a question about the present ("this week", "recently",
  "currently") is not answered from a line whose years, and its article's, are all before the
  year the corpus is written in (`present_year`): "Doomsday clock 2022: ... 100 seconds" does
  not say where the hands were set this week in a 2023 archive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace  # noqa: F401  (the doctests use it)

from qa.answer_type import YEAR
from qa.types import Evidence

ABOUT_THE_PRESENT = re.compile(
    r"\b(?:this (?:past )?(?:week|weekend|month|year)|last (?:week|weekend)|"
    r"recent(?:ly)?|current(?:ly)?|newly|upcoming)\b",
    re.IGNORECASE,
)


def present_year(chunks_naming: Mapping[int, int]) -> int | None:
    """The year a corpus is written in, from how many chunks name each year: the newest year
    named at least half as often as the most-named one (so a few previews of 2024 or 2030 do
    not make it the present, and an archive spread over years gets its last busy one). None
    when no chunk names a year.

    >>> present_year({2020: 250, 2022: 195, 2023: 316, 2024: 87, 2030: 7})
    2023
    >>> present_year({2019: 100, 2020: 90, 2021: 60})
    2021
    >>> present_year({}) is None
    True
    """
    if not chunks_naming:
        return None
    most = max(chunks_naming.values())
    return max(year for year, n in chunks_naming.items() if 2 * n >= most)


def names_the_question_years(question: str, line: Evidence) -> bool:
    """Whether every year the question names is in the line or its article's title or date,
    unless none of these names any year: a line about another year, or from an article about
    one ("Lunar New Year 2021: ..." for "the 2023 Lunar New Year"), does not answer; a line
    that names no year may. The sentence before the line is not asked: in a chunk it is often
    the end of another paragraph (on outside-dev one such sentence's year refused a right
    answer).

    >>> e = Evidence("a", "Lunar New Year 2021: the Ox", None, None, 0, 9, "It began Friday.")
    >>> names_the_question_years("Which animal did 2023 ring in?", e)
    False
    >>> names_the_question_years("Which animal did 2021 ring in?", e)
    True
    >>> names_the_question_years("Which animal did 2023 ring in?", replace(e, title="Ox"))
    True
    >>> names_the_question_years("Which animal is it this year?", e)
    True
    """
    asked = set(YEAR.findall(question))
    if not asked:
        return True
    there = set(YEAR.findall(_dating_text(line)))
    return not there or asked <= there


def not_older_than_the_present(question: str, line: Evidence, present: int | None) -> bool:
    """False only for a question about the present (`ABOUT_THE_PRESENT`) and a line whose
    years, with its article's title and date and leaving out the years the question names
    itself, are all before `present`; a line that names no other year may answer.

    >>> e = Evidence("a", "Doomsday clock 2022: still 100 seconds", None, None, 0, 9, "It moved.")
    >>> not_older_than_the_present("Where was the clock set this week?", e, 2023)
    False
    >>> not_older_than_the_present("Where was the clock set in 2022?", e, 2023)
    True
    >>> not_older_than_the_present("Where was the clock set this week?", e, 2022)
    True
    >>> not_older_than_the_present("Who recently bought the 2022 model?", e, 2023)
    True
    >>> not_older_than_the_present("Where is it this week?", replace(e, title=None), 2023)
    True
    """
    if present is None or not ABOUT_THE_PRESENT.search(question):
        return True
    years = {int(y) for y in YEAR.findall(_dating_text(line))}
    years -= {int(y) for y in YEAR.findall(question)}
    return not years or max(years) >= present


def _dating_text(line: Evidence) -> str:
    return f"{line.text} {line.title or ''} {line.date or ''}"
