"""Run the gold questions through newsqa (and optionally the stock llama-index baseline).

`run_eval(settings, questions, baseline=...)` answers every question with the real engine:
newsqa through `stream_answer` with the question's conversation history, the baseline through
`eval.baseline.StockPipeline`. Retrieval is scored on newsqa's chunks for the standalone
question in the order its pipeline uses them (`Engine.reranked_chunks`: hybrid retrieval, then
reordered by each chunk's best evidence sentence), and on the baseline's retrieved nodes.
`main(args)` is what `newsqa eval` calls: it reads the gold file, runs, writes the report
(see `eval.report`) and prints the summary table.

It does not retry or skip failing questions: an error in the engine stops the run, so a
report never silently covers fewer questions than asked for.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.metrics import (
    GoldQuestion,
    Latency,
    QuestionResult,
    Span,
    Summary,
    SystemAnswer,
    locate_spans,
    score_question,
    summarize,
)
from index.errors import NewsQAError
from index.settings import Settings, load_settings

log = logging.getLogger(__name__)

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold.jsonl"
REPORTED_SETTINGS = (
    "corpus_dir",
    "top_k",
    "chunk_tokens",
    "chunk_overlap",
    "llm",
    "local_model",
    "answer_mode",
    "passages",
    "min_evidence_score",
    "min_ranker_score",
    "llm_api",
    "llm_model_path",
    "llm_url",
    "llm_model",
    "max_answer_tokens",
)


OUTSIDE_KINDS = {"fact": "answerable", "abstain": "unanswerable"}


class GoldFileError(NewsQAError):
    """The questions file is missing or a line of it is not a valid gold question."""


@dataclass(frozen=True)
class SystemRun:
    """One system's answers to the questions, scored, and their summary."""

    name: str
    summary: Summary
    results: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class EvalRun:
    """A whole evaluation: newsqa first, then the baseline when it was run."""

    started: str  # UTC, ISO 8601
    settings: dict[str, str]
    systems: tuple[SystemRun, ...]

    def system(self, name: str) -> SystemRun | None:
        return next((s for s in self.systems if s.name == name), None)


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{field!r} must be a list of non-empty strings")
    return tuple(value)


def _pairs(
    value: Any, field: str, keys: tuple[str, str] | None = None
) -> tuple[tuple[str, str], ...]:
    """`[[a, b], ...]`, or `[{keys[0]: a, keys[1]: b}, ...]` when keys are given."""
    if not isinstance(value, list):
        raise ValueError(f"{field!r} must be a list")
    pairs = []
    for item in value:
        pair = [item.get(k) for k in keys] if keys and isinstance(item, dict) else item
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(p, str) and p for p in pair)
        ):
            shape = "{" + ", ".join(f'"{k}": str' for k in keys) + "}" if keys else "[str, str]"
            raise ValueError(f"each item of {field!r} must look like {shape}")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def parse_gold_line(line: str) -> GoldQuestion:
    """One gold question from a JSON line; `ValueError` says what is wrong with it.

    >>> parse_gold_line('{"id": "q1", "question": "Who?", "answers": ["Peskov"]}').kind
    'answerable'
    """
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(item, dict):
        raise ValueError("expected a JSON object")
    for field in ("id", "question"):
        if not isinstance(item.get(field), str) or not item[field].strip():
            raise ValueError(f"{field!r} must be a non-empty string")
    outside = "gold" in item  # the outside sets' format: {"id","question","answers","kind","gold"}
    answers = _strings(item.get("answers", [] if outside else None), "answers")
    kind = item.get("kind", "answerable" if answers else "unanswerable")
    if not isinstance(kind, str):
        raise ValueError("'kind' must be a string")
    kind = OUTSIDE_KINDS.get(kind, kind) if outside else kind
    if outside and (kind == "answerable") != bool(answers):
        raise ValueError("a 'fact' question needs answers and an 'abstain' question none")
    return GoldQuestion(
        id=item["id"],
        question=item["question"],
        answers=answers,
        articles=_strings(item.get("gold" if outside else "articles", []), "articles"),
        evidence=_pairs(item.get("evidence", []), "evidence", ("article", "text")),
        kind=kind,
        history=_pairs(item.get("history", []), "history"),
        by_words=outside,
    )


def load_gold(path: Path) -> list[GoldQuestion]:
    """Every question of a .jsonl gold file (blank lines skipped); errors name file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldFileError(f"questions file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFileError(f"cannot read questions file {path}: {exc}") from None
    questions: list[GoldQuestion] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            question = parse_gold_line(line)
        except ValueError as exc:
            raise GoldFileError(f"{path} line {number}: {exc}") from None
        if question.id in seen:
            raise GoldFileError(f"{path} line {number}: duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise GoldFileError(f"{path} holds no questions")
    return questions


def load_texts(settings: Settings) -> dict[str, str]:
    """Article texts by source name, with the offsets citations refer to."""
    from index.load import ArticleFile, iter_articles

    return {
        a.source: a.text for a in iter_articles(settings.corpus_dir) if isinstance(a, ArticleFile)
    }


def answer_with_newsqa(engine: Any, gold: GoldQuestion) -> SystemAnswer:
    """newsqa's answer (with the question's history) and the chunks it retrieves for it."""
    from qa.answer import stream_answer
    from qa.types import Final

    answer = None
    for event in stream_answer(gold.question, history=list(gold.history), engine=engine):
        if isinstance(event, Final):
            answer = event.answer
    if answer is None:  # pragma: no cover - stream_answer always ends with a Final
        raise RuntimeError(f"no final answer for {gold.id}")
    standalone = answer.standalone_question or answer.question
    chunks = engine.reranked_chunks(standalone)
    timings = answer.timings
    return SystemAnswer(
        text=answer.text,
        abstained=answer.abstained,
        standalone=standalone,
        citations=tuple(answer.citations),
        retrieved=tuple(Span(c.source, c.start, c.end) for c in chunks),
        latency=Latency(
            timings.retrieval_s,
            timings.generation_s,
            timings.total_s,
            timings.generated_tokens,
            timings.first_token_s,
        ),
    )


def run_system(
    name: str,
    answer: Callable[[GoldQuestion], SystemAnswer],
    questions: Sequence[GoldQuestion],
    texts: dict[str, str],
) -> SystemRun:
    """Answer and score every question, with a progress bar on stderr."""
    from tqdm import tqdm

    results = []
    for gold in tqdm(questions, desc=name, unit="question", file=sys.stderr, dynamic_ncols=True):
        results.append(score_question(gold, answer(gold), texts))
    return SystemRun(name, summarize(results), tuple(results))


def _warn_unlocated(questions: Iterable[GoldQuestion], texts: dict[str, str]) -> None:
    for gold in questions:
        found = len(locate_spans(gold.evidence, texts))
        if found < len(gold.evidence):
            log.warning(
                "%s: %d of %d evidence spans not found verbatim in the corpus",
                gold.id,
                len(gold.evidence) - found,
                len(gold.evidence),
            )


def run_eval(settings: Settings, questions: Sequence[GoldQuestion], *, baseline: bool) -> EvalRun:
    """Answer the questions with newsqa and, if asked, the stock llama-index pipeline."""
    from qa.engine import get_engine

    started = datetime.now(UTC).isoformat(timespec="seconds")
    engine = get_engine(settings)
    _ = engine.llm  # load the model now: a one-off cost that is no question's latency
    texts = load_texts(settings)
    _warn_unlocated(questions, texts)
    systems = [
        run_system("newsqa", lambda gold: answer_with_newsqa(engine, gold), questions, texts)
    ]
    if baseline:
        from eval.baseline import StockPipeline

        stock = StockPipeline(engine, texts)
        systems.append(
            run_system("baseline", lambda gold: stock.answer(gold.question), questions, texts)
        )
    shown = settings.model_dump(mode="json", include=set(REPORTED_SETTINGS))
    return EvalRun(started, {k: str(v) for k, v in shown.items()}, tuple(systems))


def spread_sample(questions: Sequence[GoldQuestion], size: int) -> list[GoldQuestion]:
    """`size` questions taken at an even stride through the file (a slice of every week and
    kind, not just the first ones); the same file gives the same sample.

    >>> [q.id for q in spread_sample([parse_gold_line(f'{{"id": "{i}", "question": "q", '
    ...     f'"answers": []}}') for i in range(10)], 3)]
    ['0', '3', '6']
    """
    if size < 1:
        raise GoldFileError(f"--sample must be at least 1, got {size}")
    stride = max(1, len(questions) // size)
    return list(questions[::stride][:size])


def scratch_store(corpus: Path) -> Path:
    """Where `--corpus` runs keep their index: one folder per corpus under the user's cache,
    never the user's own store, kept between runs so an unchanged corpus is not re-embedded.

    >>> scratch_store(Path("/data/news")).parent.name
    'eval-stores'
    """
    import hashlib

    resolved = corpus.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:12]
    name = f"{resolved.parent.name}-{resolved.name}-{digest}"
    return Path.home() / ".cache" / "newsqa" / "eval-stores" / name


def _ingest_scratch(settings: Settings) -> None:
    from index.ingest import ingest

    report = ingest(settings)
    print(
        f"{settings.corpus_dir}: {report.files_seen} articles, {report.chunks_embedded} chunks "
        f"embedded, {report.chunks_total} in the scratch store {settings.store_dir}",
        file=sys.stderr,
    )


def main(args: argparse.Namespace) -> int:
    """`newsqa eval`: run the gold set (or `--questions` over `--corpus`), write
    eval/runs/<UTC time>/, print the summary."""
    from eval.report import format_summary_table, write_report

    if args.limit is not None and args.limit < 1:
        raise GoldFileError(f"--limit must be at least 1, got {args.limit}")
    settings = load_settings()
    if getattr(args, "llm_url", None):  # a hosted model answers (chat API unless configured)
        settings = load_settings(llm="openai", llm_url=args.llm_url)
    if args.corpus:
        corpus = Path(args.corpus)
        if not corpus.is_dir():
            raise GoldFileError(f"--corpus: no folder at {corpus}")
        store = Path(args.store) if args.store else scratch_store(corpus)
        settings = settings.model_copy(update={"corpus_dir": corpus, "store_dir": store})
        _ingest_scratch(settings)
    questions = load_gold(Path(args.questions) if args.questions else DEFAULT_GOLD)
    questions = questions[: args.limit] if args.limit else questions
    questions = spread_sample(questions, args.sample) if args.sample else questions
    run = run_eval(settings, questions, baseline=args.baseline)
    folder = write_report(run, Path(args.out))
    print(format_summary_table(run))
    print(f"\nreport: {folder}")
    return 0
