"""Answer latency for `newsqa bench`, the `answers` and `stock` steps.

- `answers`: newsqa's streamed answers with the configured LLM on bundled-corpus questions
  of `eval/gold.jsonl`: latency, time to the first token, generated tokens per second.
- `stock`: the first few of those questions through the stock llama-index pipeline
  (`eval.baseline`), which costs two LLM calls of 800-1,500 prompt tokens per question here;
  `eval.bench_report.with_stock_ratio` compares its p50 with newsqa's on the same questions.

Loading the model is left out of every latency. It does not judge the answers (that is
`newsqa eval`): an abstention counts as an answer, and is only counted in a note.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_config import BenchConfig, gold_questions, step_settings
from eval.bench_report import Row, StepResult, latency_rows
from eval.metrics import percentile
from index.settings import load_settings


def time_answer(engine: Any, question: str) -> tuple[float, float | None, Any]:
    """(seconds to the final answer, seconds to the first Token or None, the Answer)."""
    from qa.answer import stream_answer
    from qa.types import Final, Token

    began = time.perf_counter()
    first: float | None = None
    answer = None
    for event in stream_answer(question, engine=engine):
        if isinstance(event, Token) and first is None:
            first = time.perf_counter() - began
        elif isinstance(event, Final):
            answer = event.answer
    return time.perf_counter() - began, first, answer


def measure_answers(engine: Any, questions: Sequence[str], *, compare_first: int = 0) -> StepResult:
    """newsqa's streamed answers: latency p50/p95, first token p50, tokens per second, and
    the latency p50 of the first `compare_first` questions (those the stock pipeline gets)."""
    _ = engine.llm  # loading the model is a one-off cost, not any answer's latency
    totals, firsts, tokens, generation = [], [], 0, 0.0
    abstained = 0
    for question in questions:
        total, first, answer = time_answer(engine, question)
        totals.append(total)
        if first is not None:
            firsts.append(first)
        tokens += answer.timings.generated_tokens
        generation += answer.timings.generation_s
        abstained += bool(answer.abstained)
    step = "answers"
    rows = [*latency_rows(step, "answer", totals, unit="s")]
    if 0 < compare_first < len(totals):
        rows.append(
            Row(
                step,
                f"answer p50, first {compare_first} (s)",
                round(percentile(totals[:compare_first], 50), 3),
            )
        )
    if firsts:
        rows.append(Row(step, "first token p50 (s)", round(percentile(firsts, 50), 3)))
    if generation > 0:
        rows.append(Row(step, "generated tokens/s", round(tokens / generation, 2)))
    note = (
        f"answers: {len(questions)} questions, {abstained} abstained, {len(firsts)} "
        "streamed tokens; tokens/s counts prompt reading in the generation time"
    )
    return StepResult(tuple(rows), (note,))


def measure_stock(engine: Any, questions: Sequence[str]) -> StepResult:
    """The stock llama-index pipeline (eval.baseline) on the same questions and models."""
    from eval.baseline import StockPipeline
    from eval.runner import load_texts

    _ = engine.llm
    began = time.perf_counter()
    stock = StockPipeline(engine, load_texts(engine.settings))
    built = time.perf_counter() - began
    totals = []
    for question in questions:
        began = time.perf_counter()
        stock.answer(question)
        totals.append(time.perf_counter() - began)
    step = "stock"
    rows = [
        Row(step, "index build (s)", round(built, 2)),
        *latency_rows(step, "answer", totals, unit="s"),
    ]
    return StepResult(tuple(rows), (f"stock: the first {len(questions)} of those questions",))


def _bundled_engine(work: Path) -> Any:
    from qa.engine import load_engine

    return load_engine(step_settings(work, load_settings().corpus_dir, "bundled-store"))


def step_answers(work: Path, config: BenchConfig) -> StepResult:
    questions = gold_questions(config.questions, answerable_only=True)
    return measure_answers(_bundled_engine(work), questions, compare_first=config.stock_questions)


def step_stock(work: Path, config: BenchConfig) -> StepResult:
    questions = gold_questions(min(config.stock_questions, config.questions), answerable_only=True)
    return measure_stock(_bundled_engine(work), questions)
