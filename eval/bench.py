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

# This module is the run only: options, one child process per step, the table and the saved
# results. The measurements are in eval.bench_ingest, eval.bench_retrieval, eval.bench_answers
# and eval.bench_memory; rows and reports in eval.bench_report; config in eval.bench_config.
# (The docstring above is also `python -m eval.bench --help`.)

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from eval.bench_answers import step_answers, step_stock
from eval.bench_config import BenchConfig, BenchError
from eval.bench_ingest import step_ingest, step_reingest, step_workers
from eval.bench_memory import own_peak_rss_mb
from eval.bench_report import Row, StepResult, format_table, with_stock_ratio, write_results
from eval.bench_retrieval import step_retrieval
from eval.bench_startup import step_startup

STEPS = ("ingest", "reingest", "workers", "retrieval", "startup", "answers", "stock")


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
    (('ingest', 'retrieval'), 7)
    """
    if not text:
        return STEPS
    asked = {part.strip() for part in text.split(",") if part.strip()}
    if unknown := asked - set(STEPS):
        raise BenchError(f"unknown --steps {sorted(unknown)}; choose from {', '.join(STEPS)}")
    return tuple(step for step in STEPS if step in asked)


STEP_FUNCTIONS: dict[str, Callable[[Path, BenchConfig], StepResult]] = {
    "ingest": step_ingest,
    "reingest": step_reingest,
    "workers": step_workers,
    "retrieval": step_retrieval,
    "startup": step_startup,
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
    peak_mb = own_peak_rss_mb()
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
