"""Score answers against the gold set and summarise a run (pure: no model, no files).

Three things are measured for each question:

- the answer: does an accepted alias appear in it (`answer_correct`, from a word start,
  after `normalize`), and SQuAD-style token F1 against the best alias (`token_f1`);
- retrieval: the 1-based rank of the first retrieved chunk from a gold article
  (`article_rank`) and of the first chunk overlapping a gold evidence span (`evidence_rank`);
- citations: do they name gold articles and overlap gold spans (`citation_scores`), and is
  each quote the article's text at its offsets (`is_verbatim`).

`score_question` gathers these into a `QuestionResult`; `summarize` averages a run. Nothing
here reads files or calls a model: article texts come in as a mapping `source -> text`.
It deliberately does not judge answers semantically (no LLM judge): an answer counts as
correct only if it contains an accepted wording.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.lexical import STOPWORDS

_UNIFY = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)
_MARKER = re.compile(r"\s*\[\d+\]")
_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = frozenset({"a", "an", "the"})
HIT_KS = (1, 3, 5)


def normalize(text: str) -> str:
    """Lower case, one kind of quote, apostrophe and dash, single spaces.

    >>> normalize("  Russia’s  “eternal\\nwar” — Peskov ")
    'russia\\'s "eternal war" - peskov'
    """
    return " ".join(text.translate(_UNIFY).lower().split())


def strip_markers(text: str) -> str:
    """The text without citation markers: `'Peskov [1][2].'` -> `'Peskov.'`."""
    return _MARKER.sub("", text)


_FUNCTION_WORDS = frozenset({"a", "an", "the", "of", "and", "in", "on", "at", "to", "for", "'s"})


def answer_correct(answer_text: str, accepted: Iterable[str], *, by_words: bool = False) -> bool:
    """Whether some accepted alias occurs in the answer, after `normalize`, starting at a word
    start: "Crimea" is found in "the Crimean peninsula", "two" is not found in "network".
    With `by_words` (the outside sets' rule), an alias also counts when every content word of
    it occurs in the answer, in any order: "Pope Benedict XVI" in "Benedict XVI, the pope".

    >>> answer_correct("Dmitry Peskov [1]", ["Peskov"]), answer_correct("network", ["two"])
    (True, False)
    >>> answer_correct("Benedict XVI, the former pope", ["Pope Benedict XVI"], by_words=True)
    True
    """
    text = normalize(strip_markers(answer_text))
    for alias in accepted:
        wanted = normalize(alias)
        if wanted and re.search(rf"(?<!\w){re.escape(wanted)}", text):
            return True
        if by_words and _has_every_word(text, wanted):
            return True
    return False


def _has_every_word(text: str, alias: str) -> bool:
    words = [w for w in re.findall(r"[\w'%$.-]+", alias) if w.strip(".-") not in _FUNCTION_WORDS]
    words = [w.strip(".-") for w in words if w.strip(".-")]
    return bool(words) and all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) for w in words)


def squad_tokens(text: str) -> list[str]:
    """SQuAD answer normalisation: no punctuation, no a/an/the, split on white space.

    >>> squad_tokens("The Kremlin's spokesman, Peskov [1].")
    ['kremlins', 'spokesman', 'peskov']
    """
    text = normalize(strip_markers(text))
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    return [word for word in text.split() if word not in _ARTICLES]


def _f1(predicted: list[str], gold: list[str]) -> float:
    if not predicted or not gold:
        return float(predicted == gold)
    remaining = list(gold)
    common = 0
    for token in predicted:
        if token in remaining:
            remaining.remove(token)
            common += 1
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, accepted: Iterable[str]) -> float:
    """The best SQuAD token F1 of the prediction against any alias (0.0 without aliases).

    >>> round(token_f1("Dmitry Peskov [1]", ["Peskov"]), 4)
    0.6667
    """
    predicted = squad_tokens(prediction)
    return max((_f1(predicted, squad_tokens(alias)) for alias in accepted), default=0.0)


@dataclass(frozen=True)
class Span:
    """Characters `[start, end)` of one article; `start == -1` means "not located"."""

    source: str
    start: int
    end: int


def overlaps(a: Span, b: Span) -> bool:
    """Same article and intersecting half-open ranges; an unlocated span overlaps nothing."""
    if a.source != b.source or a.start < 0 or b.start < 0:
        return False
    return a.start < b.end and b.start < a.end


def locate_spans(evidence: Iterable[tuple[str, str]], texts: Mapping[str, str]) -> list[Span]:
    """Offsets of each `(article, quoted text)` in its article; quotes not found are left out.

    >>> locate_spans([("a.txt", "fish"), ("a.txt", "dogs")], {"a.txt": "Cats eat fish."})
    [Span(source='a.txt', start=9, end=13)]
    """
    spans = []
    for article, quoted in evidence:
        start = texts.get(article, "").find(quoted)
        if start >= 0 and quoted:
            spans.append(Span(article, start, start + len(quoted)))
    return spans


def first_rank(flags: Iterable[bool]) -> int | None:
    """1-based position of the first true flag, or None: `[False, True]` -> 2."""
    return next((rank for rank, flag in enumerate(flags, 1) if flag), None)


def article_rank(retrieved: Sequence[Span], gold_articles: Iterable[str]) -> int | None:
    """Rank of the first retrieved chunk that comes from a gold article."""
    gold = set(gold_articles)
    return first_rank(chunk.source in gold for chunk in retrieved)


def evidence_rank(retrieved: Sequence[Span], gold_spans: Sequence[Span]) -> int | None:
    """Rank of the first retrieved chunk that overlaps a gold evidence span."""
    return first_rank(any(overlaps(chunk, span) for span in gold_spans) for chunk in retrieved)


def reciprocal_rank(rank: int | None) -> float:
    """`1 / rank`, and 0.0 when nothing relevant was retrieved."""
    return 1.0 / rank if rank else 0.0


class CitationLike(Protocol):
    """What scoring needs of a citation; `qa.types.Citation` has it."""

    @property
    def source(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def quote(self) -> str: ...


def is_verbatim(citation: CitationLike, texts: Mapping[str, str]) -> bool:
    """Whether the quote is exactly the cited article's text at the cited offsets."""
    text = texts.get(citation.source)
    if text is None or citation.start < 0 or citation.end > len(text):
        return False
    return bool(citation.quote) and text[citation.start : citation.end] == citation.quote


_MARKED_SENTENCE = re.compile(r"([^\[\]]+?)((?:\s*\[\d+\])+)\s*(?:[.!?]|$)")
_NAME_OR_FIGURE = re.compile(r"\b(?:[A-Z][\w’'-]+|\w*\d[\w.,%]*)")


def sentence_support(text: str, quotes: Sequence[str]) -> tuple[int, int]:
    """(sentences whose figures and names all appear in the quotes their markers cite,
    sentences with markers): an independent check of what an answer's sentences claim,
    looser than the verifier's (`qa.synthesis.supports`). `quotes[n - 1]` is citation n.

    >>> q = ["Kremlin spokesman Dmitry Peskov said Russia wanted no eternal war."]
    >>> sentence_support("Dmitry Peskov said so [1]. Lavrov agreed [1].", q)
    (1, 2)
    >>> sentence_support("No answer to this was found in the articles.", q)
    (0, 0)
    >>> sentence_support("The Kremlin spokesman [1].", q), sentence_support("2024 [1].", q)
    ((1, 1), (0, 1))
    """
    supported = marked = 0
    for claim, markers in _MARKED_SENTENCE.findall(text):
        numbers = [int(n) for n in re.findall(r"\d+", markers)]
        cited = " ".join(quotes[n - 1] for n in numbers if 1 <= n <= len(quotes))
        words = [  # "The", "A" and other function words that start a sentence are no names
            w for w in _NAME_OR_FIGURE.findall(claim.strip()) if w.lower() not in STOPWORDS
        ]
        found = normalize(cited)
        marked += 1
        supported += bool(cited) and all(normalize(w) in found for w in words)
    return supported, marked


@dataclass(frozen=True)
class CitationScores:
    """Per-answer citation quality; a ratio is None when its denominator is empty."""

    precision_article: float | None  # cited sources that are gold articles
    recall_article: float | None  # gold articles that are cited
    precision_evidence: float | None  # citations overlapping a gold span of their article
    recall_evidence: float | None  # gold spans overlapped by some citation
    verbatim: int  # citations whose quote is the article text at their offsets


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def citation_scores(
    citations: Sequence[CitationLike],
    gold_articles: Sequence[str],
    gold_spans: Sequence[Span],
    texts: Mapping[str, str],
) -> CitationScores:
    """Article- and evidence-level precision and recall of one answer's citations."""
    sources = {c.source for c in citations}
    cited = [Span(c.source, c.start, c.end) for c in citations]
    gold = set(gold_articles)
    return CitationScores(
        precision_article=_ratio(len(sources & gold), len(sources)),
        recall_article=_ratio(len(sources & gold), len(gold)),
        precision_evidence=_ratio(
            sum(any(overlaps(c, s) for s in gold_spans) for c in cited), len(cited)
        ),
        recall_evidence=_ratio(
            sum(any(overlaps(c, s) for c in cited) for s in gold_spans), len(gold_spans)
        ),
        verbatim=sum(is_verbatim(c, texts) for c in citations),
    )


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between closest ranks.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
    (2.5, 3.85)
    """
    ordered = sorted(values)
    if not ordered or not 0 <= p <= 100:
        raise ValueError("percentile needs at least one value and 0 <= p <= 100")
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    fraction = position - low
    return round(ordered[low] + (ordered[high] - ordered[low]) * fraction, 12)


@dataclass(frozen=True)
class GoldQuestion:
    """One line of the gold file; `evidence` holds `(article, verbatim text)` pairs."""

    id: str
    question: str
    answers: tuple[str, ...]
    articles: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...]
    kind: str
    history: tuple[tuple[str, str], ...] = ()
    by_words: bool = False  # an answer also counts when it has every content word of an alias

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class Latency:
    """Seconds spent per stage (None when a system cannot separate them) and tokens made."""

    retrieval_s: float | None
    generation_s: float | None
    total_s: float | None
    generated_tokens: int | None
    first_token_s: float | None = None  # question in, first generated text out


@dataclass(frozen=True)
class QuestionResult:
    """Everything measured for one question by one system."""

    id: str
    kind: str
    question: str
    standalone: str
    answer: str
    abstained: bool
    expected: tuple[str, ...]
    correct: bool  # alias found (answerable) or abstained (unanswerable)
    f1: float | None  # None for unanswerable questions
    article_rank: int | None
    evidence_rank: int | None
    cited_sources: tuple[str, ...]  # in citation order, one per citation
    verbatim_citations: int
    precision_article: float | None
    recall_article: float | None
    precision_evidence: float | None
    recall_evidence: float | None
    retrieval_s: float | None
    generation_s: float | None
    total_s: float | None
    generated_tokens: int | None
    gold_spans: int = 0  # evidence spans the gold question gives (0: evidence is not scored)
    first_token_s: float | None = None
    supported_sentences: int = 0  # `sentence_support` of the answer
    marked_sentences: int = 0
    cited_quotes: tuple[str, ...] = ()  # each citation's quote, in citation order

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


@dataclass(frozen=True)
class SystemAnswer:
    """What a system produced for one question, in the terms scoring needs."""

    text: str
    abstained: bool
    standalone: str  # the question the system actually retrieved for
    citations: tuple[CitationLike, ...]
    retrieved: tuple[Span, ...]  # retrieved chunks, best first
    latency: Latency


def score_question(
    gold: GoldQuestion, produced: SystemAnswer, texts: Mapping[str, str]
) -> QuestionResult:
    """Score one system's answer to one gold question; `texts` maps source -> article text."""
    spans = locate_spans(gold.evidence, texts)
    scores = citation_scores(produced.citations, gold.articles, spans, texts)
    supported, marked = sentence_support(produced.text, [c.quote for c in produced.citations])
    answerable, latency = gold.answerable, produced.latency
    return QuestionResult(
        id=gold.id,
        kind=gold.kind,
        question=gold.question,
        standalone=produced.standalone,
        answer=produced.text,
        abstained=produced.abstained,
        expected=gold.answers,
        correct=(
            answer_correct(produced.text, gold.answers, by_words=gold.by_words)
            if answerable
            else produced.abstained
        ),
        f1=token_f1(produced.text, gold.answers) if answerable else None,
        article_rank=article_rank(produced.retrieved, gold.articles) if answerable else None,
        evidence_rank=evidence_rank(produced.retrieved, spans) if answerable else None,
        cited_sources=tuple(c.source for c in produced.citations),
        verbatim_citations=scores.verbatim,
        precision_article=scores.precision_article,
        recall_article=scores.recall_article,
        precision_evidence=scores.precision_evidence,
        recall_evidence=scores.recall_evidence,
        retrieval_s=latency.retrieval_s,
        generation_s=latency.generation_s,
        total_s=latency.total_s,
        generated_tokens=latency.generated_tokens,
        gold_spans=len(spans),
        first_token_s=latency.first_token_s,
        supported_sentences=supported,
        marked_sentences=marked,
        cited_quotes=tuple(c.quote for c in produced.citations),
    )


Summary = dict[str, float | int | None]


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _answer_summary(
    answerable: list[QuestionResult], unanswerable: list[QuestionResult]
) -> Summary:
    return {
        "answer_correct": _mean(float(r.correct) for r in answerable),
        "answer_f1": _mean(r.f1 for r in answerable),
        "abstention_accuracy": _mean(float(r.abstained) for r in unanswerable),
        "false_abstention_rate": _mean(float(r.abstained) for r in answerable),
    }


def _retrieval_summary(answerable: list[QuestionResult]) -> Summary:
    summary: Summary = {}
    for level in ("article", "evidence"):
        scored = [r for r in answerable if level == "article" or r.gold_spans]
        ranks = [getattr(r, f"{level}_rank") for r in scored]
        for k in HIT_KS:
            summary[f"{level}_hit@{k}"] = _mean(float(bool(rank and rank <= k)) for rank in ranks)
        summary[f"{level}_mrr"] = _mean(reciprocal_rank(rank) for rank in ranks)
    return summary


def _citation_summary(results: list[QuestionResult]) -> Summary:
    """Precision over answered questions with citations (a citation for an unanswerable
    question is never correct); recall over answerable ones (an abstention recalls 0)."""
    answered = [r for r in results if not r.abstained and r.cited_sources]
    answerable = [r for r in results if r.answerable]
    citations = sum(len(r.cited_sources) for r in results)
    not_abstained = [r for r in results if not r.abstained]
    return {
        "citation_precision_article": _mean(r.precision_article for r in answered),
        "citation_recall_article": _mean(r.recall_article for r in answerable),
        "citation_precision_evidence": _mean(
            r.precision_evidence for r in answered if r.gold_spans or not r.answerable
        ),
        "citation_recall_evidence": _mean(r.recall_evidence for r in answerable),
        "verbatim_share": _ratio(sum(r.verbatim_citations for r in results), citations),
        "answers_with_verbatim_quote": _mean(
            float(r.verbatim_citations > 0) for r in not_abstained
        ),
        "sentence_support": _ratio(
            sum(r.supported_sentences for r in results), sum(r.marked_sentences for r in results)
        ),
    }


def _latency_summary(results: list[QuestionResult]) -> Summary:
    """Generation latency counts only answers that generated (an abstention generates nothing)."""
    stages = {
        "retrieval": [r.retrieval_s for r in results if r.retrieval_s is not None],
        "generation": [
            r.generation_s for r in results if r.generation_s is not None and not r.abstained
        ],
        "total": [r.total_s for r in results if r.total_s is not None],
        "first_token": [r.first_token_s for r in results if r.first_token_s is not None],
    }
    summary: Summary = {}
    for stage, values in stages.items():
        for p in (50, 95):
            summary[f"{stage}_p{p}_s"] = percentile(values, p) if values else None
    timed = [r for r in results if r.generated_tokens is not None and r.generation_s]
    seconds = sum(r.generation_s or 0.0 for r in timed)
    tokens = sum(r.generated_tokens or 0 for r in timed)
    summary["tokens_per_s"] = tokens / seconds if seconds else None
    return summary


def summarize(results: Sequence[QuestionResult]) -> Summary:
    """The run's metrics; answer and retrieval metrics over answerable questions (follow-ups
    included), abstention accuracy over unanswerable ones. A metric with no data is None."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        **_answer_summary(answerable, unanswerable),
        **_retrieval_summary(answerable),
        **_citation_summary(list(results)),
        **_latency_summary(list(results)),
    }
