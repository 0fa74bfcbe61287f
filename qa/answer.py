"""Answer a question from the articles: one code path for streamed and blocking answers.

`stream_answer` yields events: `Rewritten` (when a follow-up was made standalone), `Token`s as
the model writes, and one `Final` with the verified `Answer`. `ask` runs the same generator
and returns that answer. Steps: check the question, rewrite a follow-up, retrieve evidence
sentences and order them (the learned ranker, `qa.ranker`), set aside those about another
year than the question's, abstain when none is close enough (the gate, `qa.answerability`)
or when the ranker is too unsure of its first line, generate from the top sentences (or take
a sure first line without the model), verify the claim and cite (see `qa.cite`), then check
that the cited line supplies the kind of answer asked for and fits the question, abstaining
when no shown line does, and shape the answer from its lines. Names of the question that no
article mentions are said, truly, in the abstention or as a note on the answer; on their own
they do not make newsqa abstain (on outside news they only ever hit answerable questions).

Two more things a question can carry: a filter (`outlets`, `since`, `until`; `qa.filters`)
that limits retrieval to the articles it admits, and a question about a story itself ("when
was the AVA story published?"; `qa.metadata`), answered from the article's metadata record
and quoting the line that value was read from.

This module is the flow: which step runs when, and when to abstain. It deliberately holds
none of the per-line checks and answer shaping it calls (the year check, the unsure and sure
first line, the answer-kind and fit checks, the phrase-or-line rule, the sentence before, the
disagreement note): those are pure functions in `qa.line_checks`, measured one at a time by
`eval.rule_replay` and `eval.ablation`. Retrieval and ranking are `qa.engine`; citation
parsing and claim verification are `qa.cite`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date

from llama_index.core.base.llms.types import ChatMessage

from index.errors import QuestionError
from index.settings import Settings, load_settings
from qa.absence import named_as_written
from qa.answerability import worth_answering
from qa.cite import Composed, compose_answer
from qa.engine import Engine, get_engine
from qa.filters import ArticleFilter, filter_note, filtered_sources, make_filter
from qa.line_checks import (
    answers_the_kind,
    chooser_declined,
    first_line_is_sure,
    names_the_question_years,
    phrase_or_its_line,
    too_unsure_to_answer,
    with_disagreements,
    with_the_sentence_before,
    without_repeats,
)
from qa.llm import stream_text
from qa.metadata import (
    FIELD_WORDS,
    MetadataQuestion,
    field_value,
    may_ask_for_metadata,
    metadata_line,
    metadata_question,
    spelled_day,
)
from qa.prompts import (
    STOP,
    build_answer_prompt,
    build_choice_messages,
    build_condense_messages,
    build_synthesis_messages,
)
from qa.ranker import gate_for
from qa.rewrite import condensed, rewrite_followup
from qa.synthesis import sentence_windows, verify_reply
from qa.types import Answer, AnswerEvent, Citation, Evidence, Final, Rewritten, Timings, Token

# It says what newsqa found, not what the articles hold: an answerable question is refused
# too when no line passes the gate and the checks, and "the articles do not answer" would
# then be false.
ABSTAIN_TEXT = "No answer to this was found in the articles."
EVIDENCE_SHOWN = 3
CHOICE_SHOWN = 4  # lines an instruct model chooses among (extractive mode)
EVIDENCE_MARGIN = 0.15  # lines scoring this far below the best are not shown to the model


def check_question(question: str, settings: Settings) -> str:
    """The question stripped, or a `QuestionError` saying why it cannot be asked."""
    text = question.strip() if isinstance(question, str) else ""
    if not text:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(text) > settings.max_question_chars:
        raise QuestionError(
            f"the question is {len(text):,} characters long; "
            f"the limit is {settings.max_question_chars:,} (NEWSQA_MAX_QUESTION_CHARS)"
        )
    return text


@dataclass
class Generation:
    """What the model wrote while its tokens streamed out, and when the first one came."""

    text: str = ""
    pieces: int = 0
    first_token_s: float | None = None
    done: float = 0.0

    def stream(
        self, engine: Engine, prompt: str | list[ChatMessage], *, stop: list[str], began: float
    ) -> Iterator[Token]:
        """Yield the model's tokens (a completion prompt or chat messages), recording them."""
        for delta in stream_text(
            engine.llm,
            prompt,
            max_tokens=engine.settings.max_answer_tokens,
            stop=stop,
            where=engine.llm_where,
        ):
            self.text, self.pieces = self.text + delta, self.pieces + 1
            self.first_token_s = self.first_token_s or time.perf_counter() - began
            yield Token(delta)
        self.done = time.perf_counter()

    def timings(self, began: float, retrieved: float) -> Timings:
        return Timings(
            retrieved - began,
            self.done - retrieved,
            self.done - began,
            self.pieces,
            self.first_token_s,
        )


def _abstained(
    asked: str, rewritten: str | None, timings: Timings, missing: Sequence[str] = ()
) -> Final:
    """An abstention; it says which of the question's names no article mentions (true of
    every file's text, see `qa.absence`)."""
    never = (
        f" They never mention {named_as_written(rewritten or asked, missing)}." if missing else ""
    )
    text = ABSTAIN_TEXT + never
    return Final(Answer(asked, text, [], True, rewritten, timings=timings))


def _notes(
    question: str,
    composed: Composed,
    disagreement: tuple[str, ...],
    missing: Sequence[str] = (),
) -> tuple[str, ...]:
    outlets = len({c.source for c in composed.citations})
    notes = disagreement or ((f"reported by {outlets} articles",) if outlets > 1 else ())
    if missing:
        notes = (*notes, f"no article mentions {named_as_written(question, missing)}")
    return notes


def standalone_question(question: str, history: Sequence[tuple[str, str]], engine: Engine) -> str:
    """The follow-up made standalone: by a hosted chat model (condensing the conversation),
    else by the rule (`qa.rewrite.rewrite_followup`). A first question is left as it is."""
    settings = engine.settings
    if not history or settings.llm != "openai" or settings.llm_api != "chat":
        return rewrite_followup(question, list(history))
    messages = [
        ChatMessage(role=role, content=content)
        for role, content in build_condense_messages(question, list(history))
    ]
    reply = "".join(
        stream_text(engine.llm, messages, max_tokens=96, stop=[], where=engine.llm_where)
    )
    return condensed(reply, question, history)


_METADATA_LABELS = {"date": "Published", "outlet": "Outlet", "author": "Author"}


def _timings_since(began: float) -> Timings:
    """Timings of an answer that generated nothing: all of it was retrieval."""
    spent = time.perf_counter() - began
    return Timings(spent, 0.0, spent)


def metadata_answer(
    asked: str,
    standalone: str,
    rewritten: str | None,
    wanted: MetadataQuestion,
    engine: Engine,
    sources: frozenset[str] | None,
    began: float,
) -> Final:
    """The date, outlet or author of the article a question names (or else of the best
    evidence sentence's article), quoting the line it was read from (`qa.metadata`)."""
    pool = wanted.named & sources if sources is not None else wanted.named
    if wanted.named and not pool:  # the named articles are outside the filter
        return _abstained(asked, rewritten, _timings_since(began))
    evidence = engine.find_evidence(standalone, sources=pool or sources)
    timings = _timings_since(began)
    threshold = engine.settings.min_evidence_score
    if not evidence or not (pool or worth_answering(evidence, threshold=threshold)):
        return _abstained(asked, rewritten, timings)
    source = evidence[0].source
    record = engine.catalog().get(source)
    if record is None:  # removed while the question was answered
        return _abstained(asked, rewritten, timings)
    value = field_value(record, wanted.field)
    what = FIELD_WORDS[wanted.field]
    if value is None:
        title = record.title or source
        text = f"{ABSTAIN_TEXT} No {what} was found for the closest article, “{title}” ({source})."
        return Final(Answer(asked, text, [], True, rewritten, timings=timings))
    line = metadata_line(wanted.field, value, engine.article_sentences(source))
    about = (record.source, record.title, record.outlet, record.date)
    if line is not None:
        citation = Citation(1, *about, line.text, line.start, line.end)
        note = f"the article's {what}, from its text"
    else:
        label = _METADATA_LABELS[wanted.field]
        citation = Citation(1, *about, f"{label}: {value}", 0, 0, from_metadata=True)
        note = f"the article's {what}, from its metadata"
    shown = spelled_day(value) if wanted.field == "date" else value
    return Final(Answer(asked, f"{shown} [1]", [citation], False, rewritten, (note,), timings))


def stream_answer(
    question: str,
    *,
    history: Sequence[tuple[str, str]] = (),
    settings: Settings | None = None,
    engine: Engine | None = None,
    filters: ArticleFilter | None = None,
) -> Iterator[AnswerEvent]:
    """The answer as events; raises `QuestionError` for a bad question before any work, and
    for a filter that admits no article (`qa.filters`) before any retrieval. A filtered
    answer carries a note saying how many articles it was answered from."""
    settings = settings or (engine.settings if engine else load_settings())
    asked = check_question(question, settings)
    began = time.perf_counter()
    engine = engine or get_engine(settings)
    if not filters:
        yield from _answer_events(asked, history, engine, None, began)
        return
    catalog = engine.catalog()
    sources = filtered_sources(filters, catalog)
    note = filter_note(filters, sources, len(catalog))
    for event in _answer_events(asked, history, engine, sources, began):
        if isinstance(event, Final):
            answer = event.answer
            event = Final(replace(answer, notes=(*answer.notes, note)))
        yield event


def _answer_events(
    asked: str,
    history: Sequence[tuple[str, str]],
    engine: Engine,
    sources: frozenset[str] | None,
    began: float,
) -> Iterator[AnswerEvent]:
    """`stream_answer` after its checks, from `sources` only when they are given."""
    settings = engine.settings
    standalone = standalone_question(asked, history, engine)
    rewritten = standalone if standalone != asked else None
    if rewritten:
        yield Rewritten(standalone)
    wanted = None
    if may_ask_for_metadata(standalone):
        wanted = metadata_question(standalone, engine.catalog())
    if wanted is not None:
        yield metadata_answer(asked, standalone, rewritten, wanted, engine, sources, began)
        return
    # Names of the question that no article mentions do not make it unanswerable (the rest of
    # the question can still be): they are said, truly, in the abstention or as a note.
    missing = engine.absent_entities(standalone)
    heads, sentences = engine.gather(standalone, sources=sources)
    heads = [line for line in heads if names_the_question_years(standalone, line)]
    evidence = without_repeats(standalone, heads, history)
    retrieved = time.perf_counter()
    gate = gate_for(settings)
    if not worth_answering(evidence, threshold=settings.min_evidence_score, ranker_threshold=gate):
        timings = Timings(retrieved - began, 0.0, retrieved - began)
        yield _abstained(asked, rewritten, timings, missing)
        return
    if settings.synthesis:
        yield from _synthesized(
            asked, standalone, rewritten, evidence, sentences, engine, began, retrieved, missing
        )
        return
    if too_unsure_to_answer(
        evidence[0],
        sentences,
        unsure_line=settings.unsure_line,
        sure_score=settings.sure_evidence_score,
    ):
        timings = Timings(retrieved - began, 0.0, retrieved - began)
        yield _abstained(asked, rewritten, timings, missing)
        return
    generation = Generation()
    if settings.instruct_model:  # a chat model chooses among more lines: it reads them all
        shown = evidence[:CHOICE_SHOWN]
        prompt: str | list[ChatMessage] = [
            ChatMessage(role=role, content=content)
            for role, content in build_choice_messages(standalone, [e.text for e in shown])
        ]
        stop: list[str] = []
    else:
        best = evidence[0].score
        shown = [e for e in evidence[:EVIDENCE_SHOWN] if e.score >= best - EVIDENCE_MARGIN]
        prompt, stop = build_answer_prompt(standalone, [e.text for e in shown]), STOP
    if first_line_is_sure(evidence[0], sentences, settings.sure_line):
        generation.text, generation.done = "[1]", time.perf_counter()  # no model runs
    else:
        yield from generation.stream(engine, prompt, stop=stop, began=began)
    timings = generation.timings(began, retrieved)
    if settings.instruct_model and chooser_declined(generation.text):
        yield _abstained(asked, rewritten, timings, missing)
        return
    composed = answers_the_kind(
        standalone,
        compose_answer(generation.text, shown),
        shown,
        engine.word_similarity,
    )
    if composed is None:  # neither the model nor any line gives what the question asks for
        yield _abstained(asked, rewritten, timings, missing)
        return
    composed = phrase_or_its_line(standalone, composed, shown)
    composed, disagreement = with_disagreements(
        standalone, composed, evidence, min_score=settings.min_evidence_score
    )
    composed = with_the_sentence_before(standalone, composed, sentences)
    notes = _notes(standalone, composed, disagreement, missing)
    yield Final(Answer(asked, composed.text, composed.citations, False, rewritten, notes, timings))


def _synthesized(
    asked: str,
    standalone: str,
    rewritten: str | None,
    evidence: list[Evidence],
    sentences: list[Evidence],
    engine: Engine,
    began: float,
    retrieved: float,
    missing: Sequence[str] = (),
) -> Iterator[AnswerEvent]:
    """An instruct model writes the answer from sentence windows; `qa.synthesis` keeps only
    the sentences a passage supports, each citing its exact sentences."""
    passages = sentence_windows(evidence[: engine.settings.passages], sentences)
    messages = [
        ChatMessage(role=role, content=content)
        for role, content in build_synthesis_messages(standalone, [p.shown() for p in passages])
    ]
    generation = Generation()
    yield from generation.stream(engine, messages, stop=[], began=began)
    timings = generation.timings(began, retrieved)
    verified = verify_reply(generation.text, standalone, passages)
    if verified.composed is None:
        yield _abstained(asked, rewritten, timings, missing)
        return
    composed = verified.composed
    checked = f"each sentence checked against the passages it cites ({verified.kept} kept"
    checked += f", {len(verified.dropped)} unsupported dropped)" if verified.dropped else ")"
    notes = (*_notes(standalone, composed, (), missing), checked)
    yield Final(
        Answer(
            asked,
            composed.text,
            composed.citations,
            False,
            rewritten,
            notes,
            timings,
            verified_sentences=verified.sentences,
            dropped_sentences=verified.dropped,
        )
    )


def ask(
    question: str,
    *,
    history: Sequence[tuple[str, str]] | None = None,
    settings: Settings | None = None,
    outlets: Sequence[str] | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
) -> Answer:
    """Answer `question` from the indexed articles, with citations; see the module doc.
    `outlets`, `since` and `until` (`YYYY-MM-DD`, inclusive) limit which articles answer it
    (`qa.filters`)."""
    filters = make_filter(outlets, since, until)
    events = stream_answer(
        question, history=history or (), settings=settings, filters=filters or None
    )
    for event in events:
        if isinstance(event, Final):
            return event.answer
    raise RuntimeError("the answer stream ended without a final answer")  # pragma: no cover
