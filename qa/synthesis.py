"""Synthesis: an instruct model's short answer, every sentence verified and cited verbatim.

Pure logic around one model call. The model sees numbered passages: windows of consecutive
sentences around the best evidence sentences (`sentence_windows`), each with its article's
title, outlet and date, so a referent or a speaker named in the sentence before is in view.
Its reply is split into sentences with their `[n]` markers (`split_claims`); each sentence is
kept only when a passage supports it (`supports`): every figure and name it adds to the
question is in the passage, most of its other new words are, and every year or number the
question names is in the passage or its article's date. A sentence its own passage does not
support is re-cited to another passage that does, else dropped. Each kept sentence cites the
exact sentences of the passage that hold what it says (`quoted_sentences`), so every quote is
the article's text between its offsets. Nothing kept means newsqa abstains.

It deliberately does not judge meaning (no entailment model is available offline): support is
lexical, so a sentence that rewords a passage beyond its words is dropped, not trusted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.cite import MARKER, Composed, citation_of, has_figures_of
from qa.lexical import STOPWORDS, content_terms, covers_stem, stem, stems
from qa.prompts import NOT_STATED
from qa.types import Citation, Evidence

MIN_NEW_SUPPORT = 0.75  # share of what a sentence adds to the question that its passage holds
WINDOW = 1  # sentences either side of an evidence sentence in its passage
SPAN_CLAIM_WORDS = 4  # a claim this short (an answer phrase) must be a run of its passage
_NAME = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?:19|20)\d\d")
_CLAIM_END = re.compile(r"(?<=\])[.!?]?\s+")  # the prompt ends every sentence with markers


@dataclass(frozen=True)
class Passage:
    """Consecutive sentences of one article around one evidence sentence, in file order."""

    sentences: tuple[Evidence, ...]

    @property
    def first(self) -> Evidence:
        return self.sentences[0]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    @property
    def metadata(self) -> str:
        first = self.first
        return " ".join(x for x in (first.title, first.outlet, first.date) if x)

    def shown(self) -> str:
        """How the model sees it: `Title (Outlet, date): text`."""
        first = self.first
        where = ", ".join(x for x in (first.outlet, first.date) if x)
        head = f"{first.title or first.source}" + (f" ({where})" if where else "")
        return f"{head}: {self.text}"


def sentence_windows(
    heads: Sequence[Evidence], sentences: Sequence[Evidence], *, width: int = WINDOW
) -> list[Passage]:
    """A passage per head sentence: it and up to `width` neighbours either side from the same
    article (among `sentences`, every sentence retrieved); a head already inside an earlier
    passage adds none.

    >>> s = [Evidence("a", None, None, None, i * 10, i * 10 + 9, f"S{i}.") for i in range(4)]
    >>> [[e.text for e in p.sentences] for p in sentence_windows([s[2], s[3]], s)]
    [['S1.', 'S2.', 'S3.']]
    """
    by_source: dict[str, list[Evidence]] = {}
    for sentence in sentences:
        by_source.setdefault(sentence.source, []).append(sentence)
    for group in by_source.values():
        group.sort(key=lambda e: e.start)
    passages: list[Passage] = []
    covered: set[tuple[str, int]] = set()
    for head in heads:
        if (head.source, head.start) in covered:
            continue
        group = by_source.get(head.source, [head])
        at = next((i for i, e in enumerate(group) if e.start == head.start), None)
        window = (head,) if at is None else tuple(group[max(0, at - width) : at + width + 1])
        covered.update((e.source, e.start) for e in window)
        passages.append(Passage(window))
    return passages


def is_refusal(reply: str) -> bool:
    """Whether the model said the passages do not answer.

    >>> is_refusal("Not stated."), is_refusal("The passages do not say."), is_refusal("Paris [1]")
    (True, True, False)
    """
    text = reply.strip().lower()
    refusals = (NOT_STATED.lower(), "not in the articles", "the passages do not", "no answer")
    return any(text.startswith(r) for r in refusals) or not MARKER.sub("", text).strip(" .")


def split_claims(reply: str, n_passages: int) -> list[tuple[str, list[int]]]:
    """The reply's claims with the passage numbers each cites (numbers out of range are
    dropped). A claim ends at its markers, so "Martin Luther King Jr. Day [1]" stays whole.

    >>> split_claims("Paris hosts it [1]. Lyon does not [2][9].", 2)
    [('Paris hosts it', [1]), ('Lyon does not', [2])]
    >>> split_claims("Martin Luther King Jr. Day [1].", 1)
    [('Martin Luther King Jr. Day', [1])]
    """
    claims = []
    for piece in _CLAIM_END.split(reply.strip()):
        numbers = [int(n) for n in MARKER.findall(piece) if 1 <= int(n) <= n_passages]
        text = " ".join(MARKER.sub("", piece).split()).replace(" .", ".").rstrip(" .")
        if text.strip(" .,;:"):
            claims.append((text, list(dict.fromkeys(numbers))))
    return claims


def added_terms(claim: str, question: str) -> list[str]:
    """Content words of the claim that the question does not contain: what it asserts.

    >>> added_terms("Damar Hamlin plays for the Buffalo Bills", "Which team is Hamlin on?")
    ['damar', 'plays', 'buffalo', 'bills']
    """
    asked = stems(question)
    return [w for w in content_terms(claim) if stem(w) not in asked]


def names_in(text: str) -> list[str]:
    """Capitalised words that are not a sentence's first word.

    >>> names_in("The Buffalo Bills won. They beat Kansas City.")
    ['Buffalo', 'Bills', 'Kansas', 'City']
    """
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        tokens = sentence.split()
        for token in tokens[1:]:
            word = token.strip(".,;:!?\"'“”()[]’")
            if (word[:1].isupper() and not word.isupper()) or (len(word) > 1 and word.isupper()):
                found.append(word)
    return found


def _has_word(word: str, text_stems: set[str]) -> bool:
    """The word, or another form of it ("China"/"Chinese"), is among the text's stems."""
    return covers_stem(stem(word.lower()), text_stems)


def question_anchors_found(question: str, passage: Passage) -> bool:
    """Every number the question names is in the passage, and every year it names is in the
    passage or its article's title or date, unless they name no year at all: a line about
    another year or another quarter does not answer, a line that names no year may.

    >>> p = Passage((Evidence("a", "T", None, "2023-01-05", 0, 9, "Sales rose in 2021."),))
    >>> question_anchors_found("What rose in 2021?", p), question_anchors_found("In 2018?", p)
    (True, False)
    >>> q = Passage((Evidence("a", "T", None, None, 0, 9, "It rose by $500 this year."),))
    >>> question_anchors_found("By how much in 2023?", q)
    True
    """
    where = f"{passage.text} {passage.metadata}"
    found = set(_FIGURE.findall(where))
    years_there = {f for f in found if _YEAR.fullmatch(f)}
    for figure in _FIGURE.findall(question):
        if figure in found or (_YEAR.fullmatch(figure) and not years_there):
            continue
        return False
    return True


def supports(claim: str, question: str, passage: Passage) -> bool:
    """Whether the passage holds what the claim adds to the question (see the module doc).

    >>> p = Passage((Evidence("a", "T", None, None, 0, 30, "Hamlin plays for the Bills."),))
    >>> supports("Hamlin plays for the Buffalo Bills.", "Which team?", p)
    False
    >>> supports("The Bills.", "Which team is Hamlin on?", p)
    True
    >>> titled = Passage((Evidence("a", "Reuters: talks", None, None, 0, 9, "No reply came."),))
    >>> supports("No reply came, Reuters said.", "Did they reply?", titled)  # a title's name
    False
    """
    where = f"{passage.text} {passage.metadata}"
    where_stems = stems(where)
    # Names and figures must be in the passage's sentences, which are what the citations
    # quote, not only in its article's title, outlet or date.
    text_stems = stems(passage.text)
    if not has_figures_of(claim, passage.text) or not question_anchors_found(question, passage):
        return False
    asked = stems(question)
    new_names = [
        n
        for n in names_in(f"x {claim}")
        if n.lower() not in STOPWORDS and stem(n.lower()) not in asked
    ]
    if not all(_has_word(n, text_stems) for n in new_names):
        return False
    added = added_terms(claim, question)
    if not added:
        return bool(new_names) or bool(_FIGURE.search(claim))
    held = sum(_has_word(w, where_stems) for w in added)
    return held / len(added) >= MIN_NEW_SUPPORT


def quoted_sentences(claim: str, question: str, passage: Passage) -> tuple[Evidence, ...]:
    """The fewest sentences of the passage, in file order, that hold the claim's added words
    (greedy: the sentence holding most, then the one adding most, ...).

    >>> a = Evidence("f", None, None, None, 0, 20, "The company is worth $1 billion.")
    >>> b = Evidence("f", None, None, None, 21, 40, "Microsoft said so.")
    >>> [e.text for e in quoted_sentences("Microsoft is worth $1 billion", "Who?", Passage((a, b)))]
    ['The company is worth $1 billion.', 'Microsoft said so.']
    """
    wanted = {stem(w) for w in added_terms(claim, question)} or stems(claim)
    chosen: list[Evidence] = []
    left = set(wanted)
    while left:
        best = max(passage.sentences, key=lambda e: len(left & stems(e.text)))
        gained = left & stems(best.text)
        if not gained:
            break
        chosen.append(best)
        left -= gained
    if not chosen:
        best = max(passage.sentences, key=lambda e: len(wanted & stems(e.text)))
        chosen = [best]
    return tuple(sorted(chosen, key=lambda e: e.start))


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE_BEFORE = re.compile(rf"(?:{_MONTH}\s+(?:\d{{1,2}},?\s+)?|\d{{1,2}}\s+{_MONTH}\s+)$")
_DATE_AFTER = re.compile(rf"^(?:\s+{_MONTH}(?:\s+\d{{4}})?|,?\s+\d{{4}})")
_UNIT_AFTER = re.compile(
    r"^\s*(?:%|percent|per cent|(?:thousand|million|billion|trillion)\b|"
    r"(?:kilo)?(?:met(?:er|re)s?|grams?|miles?|km|kg|lbs?|pounds|dollars|euros|years?|days?)\b)",
    re.IGNORECASE,
)


def answer_span(claim: str, text: str) -> str | None:
    """The claim as a run of words of `text` (case, punctuation, a leading article and word
    endings aside: "China" finds "Chinese"), widened to keep the day, month, year or unit the
    text gives with it; None when the text has no such run.

    >>> answer_span("2017", "She took office on October 26, 2017, after the vote.")
    'October 26, 2017'
    >>> answer_span("the Buffalo Bills", "He plays for the Buffalo Bills.")
    'Buffalo Bills'
    >>> answer_span("$500", "It rises by $500 million.")
    '$500 million'
    >>> answer_span("Pence", "Biden said so.") is None
    True
    """
    tokens = re.findall(r"\w+(?:[.,'’]\w+)*", claim)
    while tokens and tokens[0].lower() in {"the", "a", "an"}:
        tokens = tokens[1:]
    if not tokens:
        return None
    parts = [
        re.escape(t[:-1]) + r"\w*" if len(t) >= 5 and t.isalpha() else re.escape(t) for t in tokens
    ]
    match = re.search(r"(?<!\w)" + r"\W{1,3}".join(parts) + r"(?!\w)", text, re.IGNORECASE)
    if match is None:
        return None
    start, end = match.span()
    if text[max(0, start - 1) : start] == "$":
        start -= 1
    if before := _DATE_BEFORE.search(text[max(0, start - 24) : start]):
        start -= len(before.group())
    while after := (_DATE_AFTER.match(text[end:]) or _UNIT_AFTER.match(text[end:])):
        end += len(after.group())
    return text[start:end].strip(" ,")


@dataclass(frozen=True)
class Verified:
    """The verified answer: kept sentences with new markers, and what was dropped."""

    composed: Composed | None  # None: nothing survived, abstain
    kept: int
    dropped: tuple[str, ...]
    recited: int  # sentences moved to a passage other than the one they named
    sentences: tuple[str, ...] = ()  # the kept sentences, markers included: `composed.text`


def verify_reply(reply: str, question: str, passages: Sequence[Passage]) -> Verified:
    """Keep each reply sentence a passage supports, cite its exact sentences, renumber.

    >>> e = Evidence("a.txt", "T", None, None, 5, 30, "Kremlin spokesman Dmitry Peskov said.")
    >>> v = verify_reply("Dmitry Peskov [1]. Putin agreed [1].", "Who said it?", [Passage((e,))])
    >>> v.composed.text, v.dropped
    ('Dmitry Peskov [1].', ('Putin agreed',))
    """
    if is_refusal(reply):
        return Verified(None, 0, (), 0)
    citations: list[Citation] = []
    kept_text: list[str] = []
    dropped: list[str] = []
    recited = 0
    for claim, numbers in split_claims(reply, len(passages)):
        order = [*numbers, *(n for n in range(1, len(passages) + 1) if n not in numbers)]
        short = len(claim.split()) <= SPAN_CLAIM_WORDS
        home = next(
            (
                n
                for n in order
                if supports(claim, question, passages[n - 1])
                and (not short or answer_span(claim, passages[n - 1].text))
            ),
            None,
        )
        if home is None:
            dropped.append(claim)
            continue
        if short:  # an answer phrase is the passage's own words, with its date or unit
            span = answer_span(claim, passages[home - 1].text) or claim
            claim = span[:1].upper() + span[1:] if claim[:1].isupper() else span
        recited += home not in numbers
        markers = []
        for sentence in quoted_sentences(claim, question, passages[home - 1]):
            known = next(
                (c for c in citations if (c.source, c.start) == (sentence.source, sentence.start)),
                None,
            )
            if known is None:
                known = citation_of(len(citations) + 1, sentence)
                citations.append(known)
            markers.append(f"[{known.number}]")
        body = claim.rstrip(" .")
        kept_text.append(f"{body} {''.join(markers)}.")
    if not kept_text:
        return Verified(None, 0, tuple(dropped), recited)
    composed = Composed(" ".join(kept_text), citations, True)
    return Verified(composed, len(kept_text), tuple(dropped), recited, tuple(kept_text))
