"""`newsqa bench`: speed and memory of newsqa, measured side by side in one run.

Steps, each in a fresh child process (`python -m eval.bench --step NAME`) so that its peak
memory (max RSS, `resource.getrusage` at its end) is its own; the chroma server's peak is
read with `os.wait4` when the bench stops it:

- `ingest`: a synthetic corpus (`eval.synth`) through the newsqa ingest pipeline, against the
  raw `OnnxMiniLM.encode` of the very same chunk texts in batches (sorted by length, the
  encoder's best case); then a re-ingest of that unchanged corpus.
- `reingest`: the bundled corpus ingested into a fresh store, then re-ingested unchanged.
- `retrieval`: dense and hybrid retrieval latency (`qa.retrieve.build_retriever`) over Chroma
  collections of each requested size, embedded and, when `chroma run` starts, served. Only the
  ingest step's chunks are real vectors; the rest are those vectors plus Gaussian noise,
  re-normalised, stored with the real texts and metadata repeated (embedding 100k chunks
  would take one to two hours here).
- `answers`: newsqa's streamed answers with the configured LLM on bundled-corpus questions of
  `eval/gold.jsonl`: latency, time to the first token, generated tokens per second.
- `stock`: the first few of those questions through the stock llama-index pipeline
  (`eval.baseline`), which costs two LLM calls of 800-1,500 prompt tokens per question here;
  its p50 is compared with newsqa's p50 on the very same questions.

What it deliberately does not do: assert targets (it prints them beside the values), or
measure answer quality (that is `newsqa eval`). Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import percentile
from eval.servers import ServerStartError, free_port, wait_until_answering
from index.errors import NewsQAError
from index.settings import Settings, load_settings

STEPS = ("ingest", "reingest", "retrieval", "answers", "stock")
DEFAULT_SIZES = (1000, 10000)
REAL_VECTORS = 400  # real chunk vectors the retrieval collections are derived from
NOISE = 0.05  # standard deviation per dimension of the derivation noise (before re-norming)
INSERT_BATCH = 1000
SERVER_START_S = 60.0
GOLD = Path(__file__).resolve().parent / "gold.jsonl"


class BenchError(NewsQAError):
    """A benchmark option is invalid or a step could not run."""


@dataclass(frozen=True)
class Row:
    """One line of the result table; `ratio` is explained by the metric's name."""

    step: str
    metric: str
    value: float
    target: str = ""
    ratio: float | None = None


@dataclass(frozen=True)
class StepResult:
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BenchConfig:
    sizes: tuple[int, ...] = DEFAULT_SIZES
    articles: int = 100  # synthetic articles ingested by the throughput step
    seed: int = 0
    questions: int = 8  # answered by newsqa
    stock_questions: int = 2  # the first of those, also answered by the stock pipeline
    queries: int = 30  # retrieval queries per collection size
    server: bool = True  # also measure retrieval through a `chroma run` server


@dataclass(frozen=True)
class BaseChunks:
    """Real stored chunks: what the synthetic retrieval collections are derived from."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    metadatas: tuple[dict[str, Any], ...]
    vectors: np.ndarray = field(repr=False)


# ---- pure helpers -----------------------------------------------------------------------------


def parse_sizes(text: str) -> tuple[int, ...]:
    """Chunk counts from `--sizes`.

    >>> parse_sizes("1000, 10000,100000")
    (1000, 10000, 100000)
    """
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise BenchError(f"--sizes must be comma-separated whole numbers, got {text!r}") from None
    if not sizes or any(size < 10 for size in sizes):
        raise BenchError(f"--sizes needs chunk counts of at least 10, got {text!r}")
    return sizes


def parse_steps(text: str | None) -> tuple[str, ...]:
    """Steps to run from `--steps` (all when unset), in their fixed order.

    >>> parse_steps("retrieval,ingest"), len(parse_steps(None))
    (('ingest', 'retrieval'), 5)
    """
    if not text:
        return STEPS
    asked = {part.strip() for part in text.split(",") if part.strip()}
    if unknown := asked - set(STEPS):
        raise BenchError(f"unknown --steps {sorted(unknown)}; choose from {', '.join(STEPS)}")
    return tuple(step for step in STEPS if step in asked)


def ratio(value: float, reference: float) -> float | None:
    """`value / reference`, or None when there is no reference.

    >>> ratio(27.0, 30.0), ratio(1.0, 0.0)
    (0.9, None)
    """
    return round(value / reference, 3) if reference > 0 else None


def latency_rows(step: str, name: str, seconds: Sequence[float], *, unit: str = "ms") -> list[Row]:
    """p50 and p95 of `seconds`, in ms (or s).

    >>> [(r.metric, r.value) for r in latency_rows("r", "dense", [0.01, 0.02, 0.03])]
    [('dense p50 (ms)', 20.0), ('dense p95 (ms)', 29.0)]
    """
    scale = 1000.0 if unit == "ms" else 1.0
    return [
        Row(step, f"{name} p{p} ({unit})", round(percentile(seconds, p) * scale, 3))
        for p in (50, 95)
    ]


def derived_vectors(
    base: np.ndarray, start: int, stop: int, *, noise: float, seed: int
) -> np.ndarray:
    """Rows `start..stop` of an endless table of unit vectors: row i is `base[i]` itself while
    i < len(base), else `base[i % len(base)]` plus Gaussian noise, re-normalised. The noise is
    seeded by (seed, start), so the same call always gives the same rows."""
    rows = np.arange(start, stop)
    vectors = base[rows % len(base)].astype(np.float32)
    derived = rows >= len(base)
    rng = np.random.default_rng([seed, start])
    vectors[derived] += rng.normal(0.0, noise, (int(derived.sum()), base.shape[1]))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


def format_value(value: float) -> str:
    """A table cell: whole numbers from 100 up, else three significant digits.

    >>> format_value(1234.5), format_value(12.345), format_value(0.01234), format_value(0)
    ('1,234', '12.3', '0.0123', '0')
    """
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table with columns step, metric, value, target, ratio."""
    header = ("step", "metric", "value", "target", "ratio")
    cells = [
        (
            r.step,
            r.metric,
            format_value(r.value),
            r.target,
            "" if r.ratio is None else f"{r.ratio:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *cells]) for i in range(5)]

    def line(values: Sequence[str]) -> str:
        left = [v.ljust(w) for v, w in zip(values[:2], widths[:2], strict=True)]
        right = [values[2].rjust(widths[2]), values[3].ljust(widths[3]), values[4].rjust(widths[4])]
        return "  ".join(left + right).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, cells)])


def result_path(out: Path, now: datetime) -> Path:
    """Where a run's results go: one file per run, named by its UTC start.

    >>> result_path(Path("bench/results"), datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)).name
    '20250102T030405Z.json'
    """
    return out / f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.json"


def find_row(rows: Sequence[Row], step: str, metric: str) -> Row | None:
    return next((r for r in rows if r.step == step and r.metric == metric), None)


# ---- questions --------------------------------------------------------------------------------


def gold_questions(count: int, *, answerable_only: bool) -> list[str]:
    """The first `count` questions of the gold set (answerable ones without history, if asked)."""
    questions = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if not answerable_only or (item.get("answers") and not item.get("history")):
                questions.append(str(item["question"]))
    return questions[:count]


# ---- a. ingest throughput, b. re-ingest ------------------------------------------------------


def stored_texts(settings: Settings) -> list[str]:
    from index.store import open_store

    texts: list[str] = open_store(settings).chunks.get(include=["documents"])["documents"]
    return texts


def encode_seconds(encoder: Any, texts: Sequence[str], *, batch: int) -> float:
    """Seconds the bare encoder takes for `texts`, in length-sorted batches of `batch`."""
    ordered = sorted(texts, key=len)
    began = time.perf_counter()
    for offset in range(0, len(ordered), batch):
        encoder.encode(ordered[offset : offset + batch])
    return time.perf_counter() - began


def _import_store_modules() -> None:
    import chromadb  # noqa: F401
    from llama_index.core.node_parser import SentenceSplitter  # noqa: F401
    from llama_index.vector_stores.chroma import ChromaVectorStore  # noqa: F401


class TimedEncoder:
    """An encoder that adds up the seconds spent in `encode`: what of the pipeline's time
    was the model, and what was everything else (cleaning, chunking, Chroma writes)."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.seconds = 0.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        began = time.perf_counter()
        try:
            vectors: np.ndarray = self.encoder.encode(texts)
            return vectors
        finally:
            self.seconds += time.perf_counter() - began


def measure_ingest(settings: Settings, encoder: Any) -> StepResult:
    """Ingest `settings.corpus_dir` into a fresh store, then encode the same chunks raw."""
    from index.ingest import ingest

    _import_store_modules()  # a one-off cost of the process, not of ingesting
    encoder.encode(["warm up the session"])
    timed = TimedEncoder(encoder)
    report = ingest(settings, encoder=timed)  # type: ignore[arg-type]
    texts = stored_texts(settings)
    raw_s = encode_seconds(encoder, texts, batch=settings.embed_batch_size)
    again = ingest(settings, encoder=encoder)
    pipeline_rate = report.chunks_embedded / report.seconds
    raw_rate = len(texts) / raw_s
    step = "ingest"
    return StepResult(
        (
            Row(step, "articles", report.files_indexed),
            Row(step, "chunks embedded", report.chunks_embedded),
            Row(step, "pipeline seconds", round(report.seconds, 2)),
            Row(step, "pipeline seconds in encode", round(timed.seconds, 2)),
            Row(step, "raw encode seconds", round(raw_s, 2)),
            Row(step, "raw encode (chunks/s)", round(raw_rate, 2)),
            Row(
                step,
                "pipeline (chunks/s), ratio ÷ raw",
                round(pipeline_rate, 2),
                ">= 0.9 × raw",
                ratio(pipeline_rate, raw_rate),
            ),
            Row(step, "re-ingest unchanged (s)", round(again.seconds, 3)),
            Row(step, "re-ingest chunks embedded", again.chunks_embedded, "0"),
        )
    )


def measure_reingest(settings: Settings) -> StepResult:
    """Ingest a corpus into a fresh store, then time re-ingesting it unchanged."""
    from index.ingest import ingest

    first = ingest(settings)
    again = ingest(settings)
    step = "reingest"
    return StepResult(
        (
            Row(step, "first ingest (s)", round(first.seconds, 2)),
            Row(step, "first ingest chunks", first.chunks_embedded),
            Row(step, "re-ingest (s)", round(again.seconds, 3), "< 1"),
            Row(step, "re-ingest chunks embedded", again.chunks_embedded, "0"),
        )
    )


# ---- c. retrieval latency ---------------------------------------------------------------------


def load_base_chunks(settings: Settings, *, limit: int = REAL_VECTORS) -> BaseChunks:
    """Up to `limit` stored chunks with their vectors (text and newsqa metadata only)."""
    from index.store import open_store

    got = open_store(settings).chunks.get(
        include=["documents", "metadatas", "embeddings"], limit=limit
    )
    if not got["ids"]:
        raise BenchError(f"no chunks in {settings.chroma_path}; the ingest step must run first")
    keys = ("source", "start", "end", "title", "outlet", "date")
    metadatas = tuple({k: m[k] for k in keys} for m in got["metadatas"])
    return BaseChunks(
        tuple(got["ids"]),
        tuple(got["documents"]),
        metadatas,
        np.asarray(got["embeddings"], dtype=np.float32),
    )


def fill_collection(settings: Settings, base: BaseChunks, size: int, *, seed: int) -> float:
    """Write `size` chunks (real ones first, then derived) through the newsqa store; seconds."""
    from llama_index.core.schema import TextNode

    from index.store import open_store

    vector_store = open_store(settings).vector_store()
    began = time.perf_counter()
    for start in range(0, size, INSERT_BATCH):
        stop = min(size, start + INSERT_BATCH)
        vectors = derived_vectors(base.vectors, start, stop, noise=NOISE, seed=seed)
        nodes = []
        for i, vector in zip(range(start, stop), vectors, strict=True):
            j = i % len(base.ids)
            nodes.append(
                TextNode(
                    id_=base.ids[j] if i == j else f"{base.ids[j]}~{i}",
                    text=base.texts[j],
                    metadata=dict(base.metadatas[j]),
                    embedding=vector.tolist(),
                )
            )
        vector_store.add(nodes)
    return time.perf_counter() - began


def time_queries(retriever: Any, queries: Sequence[str]) -> list[float]:
    """Seconds per `retrieve_chunks` call, after one untimed warm-up query."""
    from qa.retrieve import retrieve_chunks

    retrieve_chunks(retriever, queries[0])
    seconds = []
    for query in queries:
        began = time.perf_counter()
        retrieve_chunks(retriever, query)
        seconds.append(time.perf_counter() - began)
    return seconds


def measure_retrieval(
    settings: Settings,
    encoder: Any,
    base: BaseChunks,
    *,
    size: int,
    queries: Sequence[str],
    label: str,
    seed: int = 0,
) -> StepResult:
    """Fill a collection of `size` chunks, then time dense and hybrid retrieval over it."""
    from index.store import open_store
    from qa.retrieve import build_retriever, load_nodes

    step = f"retrieval {size:,} {label}"
    insert_s = fill_collection(settings, base, size, seed=seed)
    store = open_store(settings)
    began = time.perf_counter()
    nodes = load_nodes(store)
    loaded = time.perf_counter()
    rows = [
        Row(step, "insert (s)", round(insert_s, 2)),
        Row(step, "load nodes (s)", round(loaded - began, 2)),
    ]
    for mode in ("dense", "hybrid"):
        began = time.perf_counter()
        retriever = build_retriever(store, encoder, nodes, top_k=settings.top_k, mode=mode)
        if mode == "hybrid":
            rows.append(Row(step, "hybrid build (s)", round(time.perf_counter() - began, 2)))
        rows.extend(latency_rows(step, mode, time_queries(retriever, queries)))
    real = min(size, len(base.ids))
    note = f"{step}: vectors: {real:,} real + {size - real:,} derived; {len(queries)} queries"
    return StepResult(tuple(rows), (note,))


def wait_for_heartbeat(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        wait_until_answering(f"{url}/api/v2/heartbeat", process, seconds, name="chroma run")
    except ServerStartError as exc:
        raise BenchError(str(exc)) from None


def stop_and_measure(process: subprocess.Popen[bytes]) -> float:
    """Stop a child process; its peak RSS in MB (0 when it was already reaped)."""
    if process.poll() is not None:
        return 0.0
    process.terminate()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_maxrss / 1024
        time.sleep(0.1)
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


@dataclass
class ChromaServer:
    """A `chroma run` on 127.0.0.1; `peak_mb` is filled in once it has stopped."""

    url: str
    peak_mb: float = 0.0


@contextmanager
def chroma_server(path: Path) -> Iterator[ChromaServer]:
    """Start `chroma run` on a free port, wait for its heartbeat, always stop it."""
    binary = Path(sys.executable).parent / "chroma"
    if not binary.exists():
        raise BenchError(f"no chroma command at {binary}")
    port = free_port()
    process = subprocess.Popen(
        [str(binary), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = ChromaServer(f"http://127.0.0.1:{port}")
    try:
        wait_for_heartbeat(server.url, process, SERVER_START_S)
        yield server
    finally:
        server.peak_mb = stop_and_measure(process)


# ---- d. answers, f. stock pipeline ------------------------------------------------------------


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


# ---- steps, each run in its own process -------------------------------------------------------


def _settings(work: Path, corpus: Path, store: str, *, chroma_url: str | None = None) -> Settings:
    """Settings for one step's own store; a NEWSQA_CHROMA_URL of the user is never touched."""
    return load_settings(corpus_dir=corpus, store_dir=work / store, chroma_url=chroma_url)


def step_ingest(work: Path, config: BenchConfig) -> StepResult:
    from eval.synth import write_synthetic_corpus
    from index.embed import OnnxMiniLM

    bundled = load_settings().corpus_dir
    write_synthetic_corpus(bundled, work / "synthetic", articles=config.articles, seed=config.seed)
    settings = _settings(work, work / "synthetic", "synthetic-store")
    return measure_ingest(settings, OnnxMiniLM(threads=settings.llm_threads))


def step_reingest(work: Path, config: BenchConfig) -> StepResult:
    return measure_reingest(_settings(work, load_settings().corpus_dir, "bundled-store"))


def _retrieval_sizes(
    work: Path,
    encoder: Any,
    base: BaseChunks,
    config: BenchConfig,
    *,
    chroma_url: str | None = None,
) -> list[StepResult]:
    """One fresh collection per size, measured, then dropped (100k chunks take room)."""
    from index.store import drop_store

    queries = gold_questions(config.queries, answerable_only=False)
    label = "server" if chroma_url else "embedded"
    results = []
    for size in config.sizes:
        # a folder per size: Chroma caches its client per folder, so one is never reused
        settings = _settings(work, work / "synthetic", f"retrieval-{size}", chroma_url=chroma_url)
        settings = settings.model_copy(update={"collection": f"bench{size}"})
        results.append(
            measure_retrieval(
                settings, encoder, base, size=size, queries=queries, label=label, seed=config.seed
            )
        )
        drop_store(settings)
    return results


def step_retrieval(work: Path, config: BenchConfig) -> StepResult:
    from index.embed import OnnxMiniLM

    base_settings = _settings(work, work / "synthetic", "synthetic-store")
    base = load_base_chunks(base_settings)
    encoder = OnnxMiniLM(threads=base_settings.llm_threads)
    results = _retrieval_sizes(work, encoder, base, config)
    notes = []
    if config.server:
        try:
            with chroma_server(work / "chroma-server") as server:
                results += _retrieval_sizes(work, encoder, base, config, chroma_url=server.url)
            results.append(
                StepResult(
                    (Row("retrieval", "chroma server peak RSS (MB)", round(server.peak_mb, 1)),)
                )
            )
        except Exception as exc:  # best effort: the embedded numbers stand on their own
            notes.append(f"retrieval through a chroma server not measured: {exc}")
    rows = tuple(row for result in results for row in result.rows)
    return StepResult(rows, tuple(n for r in results for n in r.notes) + tuple(notes))


def _bundled_engine(work: Path) -> Any:
    from qa.engine import load_engine

    return load_engine(_settings(work, load_settings().corpus_dir, "bundled-store"))


def step_answers(work: Path, config: BenchConfig) -> StepResult:
    questions = gold_questions(config.questions, answerable_only=True)
    return measure_answers(_bundled_engine(work), questions, compare_first=config.stock_questions)


def step_stock(work: Path, config: BenchConfig) -> StepResult:
    questions = gold_questions(min(config.stock_questions, config.questions), answerable_only=True)
    return measure_stock(_bundled_engine(work), questions)


STEP_FUNCTIONS: dict[str, Callable[[Path, BenchConfig], StepResult]] = {
    "ingest": step_ingest,
    "reingest": step_reingest,
    "retrieval": step_retrieval,
    "answers": step_answers,
    "stock": step_stock,
}


def _stderr_fd() -> int | None:
    """Our stderr for a child's stdout; None (inherit stdout) when stderr is not a file."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def run_step(name: str, work: Path, config: BenchConfig) -> tuple[StepResult, float]:
    """Run one step in a fresh `python -m eval.bench --step` process: (result, peak RSS MB).
    Its output goes to stderr, so stdout keeps only the table."""
    config_json = json.dumps(asdict(config))
    command = [
        sys.executable,
        "-m",
        "eval.bench",
        "--step",
        name,
        "--work",
        str(work),
        "--config",
        config_json,
    ]
    returncode = subprocess.run(command, stdout=_stderr_fd(), check=False).returncode
    result_file = work / f"{name}.json"
    if returncode != 0 or not result_file.exists():
        raise BenchError(f"step {name} failed with exit code {returncode}")
    saved = json.loads(result_file.read_text(encoding="utf-8"))
    rows = tuple(Row(**row) for row in saved["rows"])
    return StepResult(rows, tuple(saved["notes"])), float(saved["peak_rss_mb"])


# ---- the whole run ----------------------------------------------------------------------------


def with_stock_ratio(rows: Sequence[Row]) -> list[Row]:
    """The rows, with newsqa's answer p50 divided by the stock pipeline's on the stock row;
    newsqa's p50 is taken over the questions both answered.

    >>> rows = [Row("answers", "answer p50 (s)", 3.0), Row("stock", "answer p50 (s)", 4.0)]
    >>> marked = with_stock_ratio(rows)[1]
    >>> marked.metric, marked.value, marked.ratio
    ('answer p50 (s), ratio newsqa ÷ stock', 4.0, 0.75)
    """
    stock = find_row(rows, "stock", "answer p50 (s)")
    newsqa = next(
        (r for r in rows if r.step == "answers" and r.metric.startswith("answer p50, first")), None
    ) or find_row(rows, "answers", "answer p50 (s)")
    if newsqa is None or stock is None:
        return list(rows)
    marked = replace(
        stock,
        metric=f"{stock.metric}, ratio newsqa ÷ stock",
        ratio=ratio(newsqa.value, stock.value),
    )
    return [marked if row is stock else row for row in rows]


def run_bench(config: BenchConfig, *, steps: Sequence[str] = STEPS) -> StepResult:
    """Every step in its own process, in a temporary folder removed afterwards."""
    rows: list[Row] = []
    notes: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    try:
        for name in steps:
            print(f"bench: step {name} ...", file=sys.stderr, flush=True)
            began = time.perf_counter()
            try:
                result, peak_mb = run_step(name, work, config)
            except BenchError as exc:
                notes.append(str(exc))
                continue
            rows.extend(result.rows)
            rows.append(Row(name, "peak RSS (MB)", round(peak_mb, 1)))
            rows.append(Row(name, "step wall time (s)", round(time.perf_counter() - began, 1)))
            notes.extend(result.notes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return StepResult(tuple(with_stock_ratio(rows)), tuple(notes))


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """The config from `newsqa bench` arguments; options it lacks keep their defaults."""
    defaults = BenchConfig()
    return BenchConfig(
        sizes=parse_sizes(str(getattr(args, "sizes", None) or "1000,10000")),
        articles=int(getattr(args, "articles", None) or defaults.articles),
        seed=int(getattr(args, "seed", None) or defaults.seed),
        questions=int(getattr(args, "questions", None) or defaults.questions),
        stock_questions=int(getattr(args, "stock_questions", None) or defaults.stock_questions),
        queries=int(getattr(args, "queries", None) or defaults.queries),
        server=not getattr(args, "no_server", False),
    )


def write_results(result: StepResult, config: BenchConfig, out: Path, started: datetime) -> Path:
    path = result_path(out, started)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "started": started.isoformat(timespec="seconds"),
        "config": asdict(config),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rows": [asdict(row) for row in result.rows],
        "notes": list(result.notes),
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(args: argparse.Namespace) -> int:
    """`newsqa bench`: run every step, print the table, save bench/results/<UTC time>.json."""
    config = config_from_args(args)
    started = datetime.now(UTC)
    result = run_bench(config, steps=parse_steps(getattr(args, "steps", None)))
    print(format_table(result.rows))
    for note in result.notes:
        print(f"- {note}")
    path = write_results(
        result, config, Path(getattr(args, "out", None) or "bench/results"), started
    )
    print(f"\nresults: {path}")
    failed = [n for n in result.notes if n.startswith("step ")]
    return 1 if failed else 0


def _child(argv: Sequence[str]) -> int:
    """`python -m eval.bench --step NAME --work DIR --config JSON`: one step, result to a file."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench")
    parser.add_argument("--step", choices=STEPS, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    raw = json.loads(args.config)
    config = BenchConfig(**{**raw, "sizes": tuple(raw["sizes"])})
    result = STEP_FUNCTIONS[args.step](args.work, config)
    # The process's own peak: os.wait4 in the parent would also count the chroma server
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    payload = {
        "rows": [asdict(r) for r in result.rows],
        "notes": list(result.notes),
        "peak_rss_mb": peak_mb,
    }
    (args.work / f"{args.step}.json").write_text(json.dumps(payload), encoding="utf-8")
    return 0


def _standalone(argv: Sequence[str]) -> int:
    """`python -m eval.bench [--sizes ...]`: the whole bench, with every option."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--out", default="bench/results")
    parser.add_argument("--articles", type=int, default=BenchConfig.articles)
    parser.add_argument("--questions", type=int, default=BenchConfig.questions)
    parser.add_argument("--stock-questions", type=int, default=BenchConfig.stock_questions)
    parser.add_argument("--queries", type=int, default=BenchConfig.queries)
    parser.add_argument("--seed", type=int, default=BenchConfig.seed)
    parser.add_argument("--no-server", action="store_true", help="skip the chroma server")
    parser.add_argument("--steps", default=None, help=f"a subset of {','.join(STEPS)}")
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    for name, value in {
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(name, value)
    argv = sys.argv[1:]
    sys.exit(_child(argv) if "--step" in argv else _standalone(argv))
