"""From a model's raw answer and the numbered evidence it saw, to a verified, cited answer.

Pure logic. The model is asked to write a short answer followed by the number of the context
line it used, e.g. `Dmitry Peskov [1]`. Here the markers are parsed (numbers outside the
context are dropped), each claim is checked against the sentence it cites (its content words
must be found there), and a claim nothing supports is replaced by the best evidence sentence
itself, quoted verbatim. The near-duplicate versions of a cited sentence from other outlets
become further citations, so an answer shows how many outlets carry it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.lexical import stems
from qa.types import Citation, Evidence

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
MIN_SUPPORT = 0.75  # share of a claim's content words its quote must contain
SENTENCE_CLAIM_WORDS = 8  # a claim this long is the model re-telling a line: quote the line
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def parse_markers(text: str, n_sources: int) -> tuple[str, list[int]]:
    """The text without markers, and the valid marker numbers in order of first use.

    >>> parse_markers("Peskov [2] said it [7][2].", 3)
    ('Peskov said it.', [2])
    """
    numbers: list[int] = []
    for match in MARKER.finditer(text):
        number = int(match.group(1))
        if 1 <= number <= n_sources and number not in numbers:
            numbers.append(number)
    return MARKER.sub("", text).strip(), numbers


def has_figures_of(claim: str, quote: str) -> bool:
    """Whether every figure of the claim is in the quote.

    >>> has_figures_of("in 2022 [1]", "He signed it in 2022."), has_figures_of("18%", "20%")
    (True, False)
    """
    quote_numbers = set(_NUMBER.findall(quote))
    return all(n in quote_numbers for n in _NUMBER.findall(MARKER.sub("", claim)))


def support(claim: str, quote: str) -> float:
    """Share of the claim's content stems that the quote contains (1.0 for an empty claim);
    0.0 when the claim has a number the quote lacks: figures are never paraphrased.

    >>> support("Dmitry Peskov", "Kremlin spokesman Dmitry Peskov said so.")
    1.0
    >>> support("Antony Blinken", "Kremlin spokesman Dmitry Peskov said so.")
    0.0
    >>> support("a 10-year term", "re-elected for a new six-year term")
    0.0
    """
    if not has_figures_of(claim, quote):
        return 0.0
    claim_stems = stems(claim)
    if not claim_stems:
        return 1.0
    return len(claim_stems & stems(quote)) / len(claim_stems)


def clean_generation(raw: str) -> str:
    """First line of the model output, without a leading 'Answer:' or trailing junk.

    >>> clean_generation(" Answer: Dmitry Peskov [1]\\nQuestion: next")
    'Dmitry Peskov [1]'
    """
    line = raw.strip().split("\n", 1)[0].strip()
    line = re.sub(r"^(?:answer|a)\s*:\s*", "", line, flags=re.IGNORECASE)
    return line.strip(" \"'“”")


@dataclass(frozen=True)
class Composed:
    text: str
    citations: list[Citation]
    used_model_text: bool  # False when the claim was replaced by the evidence sentence


def citation_of(number: int, evidence: Evidence) -> Citation:
    """Citation `number` quoting the evidence sentence at its file offsets."""
    return Citation(
        number,
        evidence.source,
        evidence.title,
        evidence.outlet,
        evidence.date,
        evidence.text,
        evidence.start,
        evidence.end,
    )


def cite_group(
    head: Evidence, first_number: int, max_outlets: int, claim: str = ""
) -> list[Citation]:
    """Citations for a claim: its sentence, then the same claim in other articles. A version
    from another article is cited only when it also supports the claim: it must carry the
    claim's figures, and a short claim's words (another outlet's wording of a sentence can
    leave out the very figure or name the answer gives)."""
    claim = claim or head.text
    short = len(claim.split()) < SENTENCE_CLAIM_WORDS
    chosen = [head]
    for other in head.also:
        if len(chosen) >= max_outlets:
            break
        if any(other.source == c.source for c in chosen):
            continue
        if not has_figures_of(claim, other.text):
            continue
        if short and support(claim, other.text) < MIN_SUPPORT:
            continue
        chosen.append(other)
    return [citation_of(first_number + i, e) for i, e in enumerate(chosen)]


def compose_answer(generated: str, evidence: list[Evidence], *, max_outlets: int = 3) -> Composed:
    """Verify the model's claim against the evidence it was shown and attach citations.

    A claim its line supports is kept as written (a long one as the line itself). Else the
    line the model pointed at, or else the best line, is quoted verbatim. (Quoting the line
    that holds what a reworded claim adds to the question was measured and removed: it
    changed no answer on the gold set or on outside news.)

    >>> ev = [Evidence("a.txt", "T", None, None, 0, 25, "Peskov denied it, he said.")]
    >>> c = compose_answer("Peskov [1]", ev)
    >>> c.text, c.citations[0].quote, c.used_model_text
    ('Peskov [1]', 'Peskov denied it, he said.', True)
    >>> compose_answer("Blinken [1]", ev).text
    'Peskov denied it, he said. [1]'
    >>> compose_answer(" [1]", ev).text
    'Peskov denied it, he said. [1]'
    >>> compose_answer("He said that Peskov had denied it all today [1]", ev).text
    'Peskov denied it, he said. [1]'
    """
    if not evidence:
        raise ValueError("compose_answer needs at least one evidence sentence")
    claim, numbers = parse_markers(clean_generation(generated), len(evidence))
    marked = [evidence[n - 1] for n in numbers]
    ordered = marked + [e for e in evidence if e not in marked]  # the line it named first
    supported = [e for e in ordered if claim and support(claim, e.text) >= MIN_SUPPORT]
    if supported:
        long_claim = len(claim.split()) >= SENTENCE_CLAIM_WORDS
        head, text, used = supported[0], supported[0].text if long_claim else claim, True
    elif not claim and numbers:  # the model only pointed at a line: answer with that line
        head = evidence[numbers[0] - 1]
        text, used = head.text, True
    else:
        head, text, used = evidence[0], evidence[0].text, False
    citations = cite_group(head, 1, max_outlets, text)
    markers = "".join(f"[{c.number}]" for c in citations)
    return Composed(f"{text.rstrip()} {markers}", citations, used)


def add_disagreement(composed: Composed, differing: list[tuple[Evidence, str]]) -> Composed:
    """Append "Other reports differ: 20% [2]." with a citation for each differing line.

    >>> ev = Evidence("b.txt", "B", None, None, 3, 30, "Russia would control about 20%.")
    >>> base = Composed("18% [1]", [citation_of(1, ev)], True)
    >>> add_disagreement(base, [(ev, "20%")]).text
    '18% [1] Other reports differ: 20% [2].'
    """
    if not differing:
        return composed
    citations = list(composed.citations)
    parts = []
    for evidence, words in differing:
        citations.append(citation_of(len(citations) + 1, evidence))
        parts.append(f"{words} [{len(citations)}]")
    text = f"{composed.text} Other reports differ: {'; '.join(parts)}."
    return Composed(text, citations, composed.used_model_text)
