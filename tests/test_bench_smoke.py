"""The benchmark: worked examples of its pure parts, and its cheap measurements run for real
on tiny data (real model, real Chroma). No timing is asserted, only that results are
well-formed."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eval.bench import config_from_args, parse_sizes, parse_steps, run_step
from eval.bench_config import BenchConfig, BenchError, gold_questions
from eval.bench_ingest import measure_ingest, measure_reingest
from eval.bench_report import (
    Row,
    format_table,
    format_value,
    latency_rows,
    ratio,
    result_path,
    with_stock_ratio,
)
from eval.bench_retrieval import derived_vectors, load_base_chunks, measure_retrieval
from eval.synth import write_synthetic_corpus
from index.settings import load_settings
from tests.conftest import BUNDLED_CORPUS


def test_parse_sizes_and_errors() -> None:
    assert parse_sizes("1000,10000") == (1000, 10000)
    assert parse_sizes(" 200 ,") == (200,)
    for bad in ("", "1k", "5"):
        with pytest.raises(BenchError, match="--sizes"):
            parse_sizes(bad)


def test_parse_steps_keeps_the_fixed_order() -> None:
    assert parse_steps("stock, ingest") == ("ingest", "stock")
    assert parse_steps("") == (
        "ingest",
        "reingest",
        "workers",
        "retrieval",
        "startup",
        "answers",
        "stock",
    )
    with pytest.raises(BenchError, match="unknown --steps"):
        parse_steps("ingest,fly")


def test_ratio_latency_rows_and_values() -> None:
    assert ratio(27.0, 30.0) == 0.9
    assert ratio(5.0, 0.0) is None
    assert latency_rows("r", "dense", [0.04, 0.01, 0.02, 0.03]) == [
        Row("r", "dense p50 (ms)", 25.0),
        Row("r", "dense p95 (ms)", 38.5),
    ]
    assert latency_rows("a", "answer", [2.0], unit="s") == [
        Row("a", "answer p50 (s)", 2.0),
        Row("a", "answer p95 (s)", 2.0),
    ]
    assert [format_value(v) for v in (12345.6, 100.0, 99.94, 1.0, 0.001234)] == [
        "12,346",
        "100",
        "99.9",
        "1",
        "0.00123",
    ]


def test_format_table_worked_example() -> None:
    rows = [
        Row("ingest", "raw encode (chunks/s)", 31.25),
        Row("ingest", "pipeline (chunks/s)", 29.5, ">= 0.9 × raw", 0.944),
        Row("reingest", "re-ingest (s)", 0.0812, "< 1"),
    ]
    assert format_table(rows) == (
        "step      metric                  value  target        ratio\n"
        "--------  ---------------------  ------  ------------  -----\n"
        "ingest    raw encode (chunks/s)    31.2\n"
        "ingest    pipeline (chunks/s)      29.5  >= 0.9 × raw   0.94\n"
        "reingest  re-ingest (s)          0.0812  < 1"
    )


def test_stock_ratio_marks_the_stock_row() -> None:
    rows = [Row("answers", "answer p50 (s)", 3.0), Row("stock", "answer p50 (s)", 4.0)]
    assert with_stock_ratio(rows) == [
        rows[0],
        Row("stock", "answer p50 (s), ratio newsqa ÷ stock", 4.0, "", 0.75),
    ]
    assert with_stock_ratio(rows[:1]) == rows[:1]


def test_derived_vectors_keep_real_rows_and_unit_length() -> None:
    base = np.eye(3, 4, dtype=np.float32)
    rows = derived_vectors(base, 0, 7, noise=0.05, seed=1)
    assert rows.shape == (7, 4) and rows.dtype == np.float32
    assert np.array_equal(rows[:3], base)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-6)
    assert not np.array_equal(rows[3], base[0])
    assert float(rows[3] @ base[0]) > 0.9  # near the vector it was derived from
    assert np.array_equal(
        derived_vectors(base, 3, 7, noise=0.05, seed=1),
        derived_vectors(base, 3, 7, noise=0.05, seed=1),
    )


def test_result_path_config_and_questions() -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert result_path(Path("out"), when) == Path("out/20250102T030405Z.json")
    config = config_from_args(argparse.Namespace(sizes="200,1000", out="x"))
    assert config == BenchConfig(sizes=(200, 1000))
    questions = gold_questions(8, answerable_only=True)
    assert len(questions) == 8 and all(q.endswith("?") for q in questions)


@pytest.fixture(scope="module")
def encoder() -> Any:
    from index.embed import OnnxMiniLM

    return OnnxMiniLM(threads=2)


@pytest.fixture(scope="module")
def tiny_ingest(tmp_path_factory: pytest.TempPathFactory, encoder: Any) -> Any:
    """Five synthetic articles ingested and measured once for the module."""
    root = tmp_path_factory.mktemp("bench")
    write_synthetic_corpus(BUNDLED_CORPUS, root / "corpus", articles=5, seed=0)
    settings = load_settings(corpus_dir=root / "corpus", store_dir=root / "store")
    return settings, measure_ingest(settings, encoder)


def _value(rows: tuple[Row, ...], metric: str) -> float:
    return next(r.value for r in rows if r.metric.startswith(metric))


@pytest.mark.slow
def test_ingest_throughput_on_a_tiny_corpus(tiny_ingest: Any) -> None:
    _, result = tiny_ingest
    assert _value(result.rows, "articles") == 5
    assert _value(result.rows, "chunks embedded") > 0
    assert _value(result.rows, "raw encode") > 0
    assert (
        0
        < _value(result.rows, "pipeline seconds in encode")
        < _value(result.rows, "pipeline seconds")
    )
    pipeline = next(r for r in result.rows if r.metric.startswith("pipeline (chunks/s)"))
    assert pipeline.value > 0 and pipeline.ratio is not None and pipeline.ratio > 0
    assert _value(result.rows, "re-ingest chunks embedded") == 0


@pytest.mark.slow
def test_reingest_of_the_bundled_corpus_embeds_nothing(tmp_path: Path) -> None:
    settings = load_settings(corpus_dir=BUNDLED_CORPUS, store_dir=tmp_path)
    result = measure_reingest(settings)
    assert _value(result.rows, "first ingest chunks") > 0
    assert _value(result.rows, "re-ingest chunks embedded") == 0
    assert _value(result.rows, "re-ingest (s)") > 0


@pytest.mark.slow
def test_retrieval_at_200_chunks_in_the_embedded_store(
    tiny_ingest: Any, encoder: Any, tmp_path: Path
) -> None:
    settings, _ = tiny_ingest
    base = load_base_chunks(settings)
    target = load_settings(corpus_dir=settings.corpus_dir, store_dir=tmp_path)
    queries = gold_questions(5, answerable_only=False)
    result = measure_retrieval(target, encoder, base, size=200, queries=queries, label="embedded")
    assert {r.metric for r in result.rows} >= {
        "dense p50 (ms)",
        "dense p95 (ms)",
        "hybrid p50 (ms)",
        "hybrid p95 (ms)",
    }
    assert all(r.value > 0 for r in result.rows if "p50" in r.metric or "p95" in r.metric)
    from index.store import open_store

    assert open_store(target).chunks.count() == 200
    real = len(base.ids)
    assert result.notes == (
        f"retrieval 200 embedded: vectors: {real} real + {200 - real} derived; 5 queries",
    )


@pytest.mark.slow
def test_a_step_runs_in_its_own_process_with_its_peak_memory(tmp_path: Path) -> None:
    result, peak_mb = run_step("reingest", tmp_path, BenchConfig())
    assert peak_mb > 50  # a Python process with Chroma and onnxruntime loaded
    assert _value(result.rows, "re-ingest chunks embedded") == 0


def test_a_child_reports_its_own_peak_memory_not_its_parents() -> None:
    """A process started from a big one inherits the parent's high-water mark in
    `ru_maxrss`; the bench reads the child's own (`VmHWM`), so a small child started by a
    parent holding 400 MB reports well under it."""
    import subprocess
    import sys

    ballast = bytearray(400 * 2**20)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touch every page
    script = "from eval.bench_memory import own_peak_rss_mb; print(own_peak_rss_mb())"
    got = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert len(ballast) and float(got.stdout) < 200
