"""Word-level helpers shared by evidence ranking, citation checks and metrics (pure).

>>> content_terms("Who said Russia doesn't want an 'eternal war'?")
['said', 'russia', 'doesn', 'want', 'eternal', 'war']
>>> stem("negotiations"), stem("freezing"), stem("sources")
('negotiation', 'freez', 'source')
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from as into about over
    under between through during before after above below up down out off again further
    is are was were be been being am do does did doing have has had having will would shall
    should can could may might must i me my we our you your he him his she her it its they
    them their this that these those what which who whom whose when where why how all any
    both each few more most other some such no nor not only own same so than too very s t
    just also there here one ones said says say tell told according because among while
    whether although though until since within without via per""".split()
) - {"said"}
_WORD = re.compile(r"[A-Za-z0-9]+(?:[%.,][0-9]+)*%?")


def fold_accents(text: str) -> str:
    """The text with accents taken off letters: "Côte Basque" -> "Cote Basque".

    >>> fold_accents("Côte Zelenskyy Pelé")
    'Cote Zelenskyy Pele'
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
    return decomposed.translate(marks) if marks else decomposed


def words(text: str) -> list[str]:
    """Lower-cased word tokens; numbers keep their decimal point and percent sign.

    >>> words("Russia holds 18% (about 20.5 percent).")
    ['russia', 'holds', '18%', 'about', '20.5', 'percent']
    """
    return [w.lower() for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A light suffix stripper, enough to match 'freeze'/'freezing', 'talks'/'talk'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            if suffix == "ies":
                return word[: -len(suffix)] + "y"
            if suffix in ("ations", "ation"):
                return word[: -len(suffix)] + "ation"
            if suffix == "es" and not word.endswith(("ses", "xes", "ches", "shes")):
                return word[:-1]
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> list[str]:
    """Words of `text` that carry meaning: no stop words, no single letters."""
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_terms(text)}


def idf_table(documents: Iterable[str]) -> dict[str, float]:
    """Smoothed inverse document frequency of each stem over `documents`.

    >>> {t: round(v, 3) for t, v in sorted(idf_table(["red cat", "red dog"]).items())}
    {'cat': 0.693, 'dog': 0.693, 'red': 0.182}
    """
    counts: Counter[str] = Counter()
    total = 0
    for document in documents:
        total += 1
        counts.update(stems(document))
    return {term: math.log((total + 1) / (n + 0.5)) for term, n in counts.items()}


def related(a: str, b: str) -> bool:
    """Whether two stems are forms of one word: equal, or the shorter (5+ letters) is the
    start of the longer but for its last letter ('russia'/'russian', 'ukraine'/'ukrainian',
    'negotiation'/'negotiate', 'mobilization'/'mobiliz').

    >>> related("russia", "russian"), related("ukraine", "ukrainian"), related("war", "ward")
    (True, True, False)
    """
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 5 and long.startswith(short[:-1])


def covers_stem(term: str, text_stems: set[str]) -> bool:
    return term in text_stems or any(related(term, other) for other in text_stems)


def weighted_overlap(query: str, text: str, idf: dict[str, float], *, unknown: float) -> float:
    """Share of the query's stems (IDF-weighted) that `text` contains, in [0, 1]; forms of
    one word count as the same (see `related`).

    Stems the corpus never saw weigh `unknown` (high): a question about something absent
    from every article cannot be covered by any sentence.
    """
    query_stems = stems(query)
    if not query_stems:
        return 0.0
    text_stems = stems(text)
    weights = {s: idf.get(s, unknown) for s in query_stems}
    covered = sum(w for s, w in weights.items() if covers_stem(s, text_stems))
    return covered / sum(weights.values())
