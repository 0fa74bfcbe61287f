"""The results of `newsqa bench` and how they are reported: a `Row` per measured value,
the rows of latency percentiles, the plain-text table printed on stdout, and the JSON file
saved per run (`bench/results/<UTC start>.json`, keys `started`, `config`, `machine`, `rows`,
`notes`).

Everything here is pure but `write_results`, which writes that file. It measures nothing,
and it asserts no target: targets are printed beside the values, ratios are only computed.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from eval.bench_config import BenchConfig
from eval.metrics import percentile


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
