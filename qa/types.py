"""The results newsqa hands out: answers, their citations, and the events of a streamed answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: `quote == file_text[start:end]` of `source`, or,
    with `from_metadata`, a value of the article's metadata record that no line of its text
    holds (a web page's date from its markup): then `quote` is "Published: 2024-05-03" and
    `start == end == 0`."""

    number: int
    source: str
    title: str | None
    outlet: str | None
    date: str | None
    quote: str
    start: int
    end: int
    from_metadata: bool = False


@dataclass(frozen=True)
class Evidence:
    """A sentence of a retrieved chunk, scored against the question.

    `also` holds the same claim as other articles word it (near-duplicates), best first;
    `before` is the sentence before it in its chunk (who "he" is, who is speaking).
    """

    source: str
    title: str | None
    outlet: str | None
    date: str | None
    start: int
    end: int
    text: str
    score: float = 0.0
    also: tuple[Evidence, ...] = ()
    before: str = ""
    cosine: float = 0.0  # the embedding part of `score`
    lexical: float = 0.0  # the IDF-weighted word-overlap part of `score`
    furniture: bool = False  # from text that cleaning set apart (an appeal, a trailing list)
    rank_score: float = 0.0  # the learned ranker's score: orders one question's sentences


@dataclass(frozen=True)
class Timings:
    retrieval_s: float = 0.0
    generation_s: float = 0.0
    total_s: float = 0.0
    generated_tokens: int = 0
    first_token_s: float | None = None  # question in, first generated text out


@dataclass(frozen=True)
class Answer:
    """What `ask` returns. `text` carries markers [1], [2] that index `citations`."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    standalone_question: str | None = None  # the follow-up rewritten, when it was
    notes: tuple[str, ...] = ()  # e.g. "sources disagree", "reported by 3 outlets"
    timings: Timings = field(default_factory=Timings)
    # A written (synthesized) answer: its sentences, each checked against the passages it
    # cites (`text` is them joined), and the sentences dropped as unsupported.
    verified_sentences: tuple[str, ...] = ()
    dropped_sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rewritten:
    """Streamed first when a follow-up question was rewritten into a standalone one."""

    question: str


@dataclass(frozen=True)
class Token:
    """A piece of generated text, as the model produces it (before verification)."""

    text: str


@dataclass(frozen=True)
class Final:
    """The last event of a stream: the verified answer."""

    answer: Answer


AnswerEvent = Rewritten | Token | Final
