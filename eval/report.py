"""Write an evaluation run to eval/runs/<UTC time>/: report.json, report.md and chart.png.

- report.json: the settings, then per system its summary and every per-question result;
- report.md: one table with a row per metric and a column per system, then the questions
  each system got wrong with its answer, the expected answers and the sources it cited;
- chart.png: a grouped bar chart of the main metrics (matplotlib, Agg backend: no display).

Formatting is pure (`format_summary_table`, `report_markdown`); only `write_report` and
`draw_chart` touch files.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from eval.metrics import QuestionResult, Summary

if TYPE_CHECKING:
    from eval.runner import EvalRun

# (summary key, label, unit): "share" prints as a percentage, "s" as seconds.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("questions", "questions", "count"),
    ("answer_correct", "answer correct (answerable)", "share"),
    ("answer_f1", "answer token F1 (answerable)", "share"),
    ("abstention_accuracy", "abstains when unanswerable", "share"),
    ("false_abstention_rate", "abstains when answerable", "share"),
    ("article_hit@1", "retrieval article hit@1", "share"),
    ("article_hit@3", "retrieval article hit@3", "share"),
    ("article_hit@5", "retrieval article hit@5", "share"),
    ("article_mrr", "retrieval article MRR", "ratio"),
    ("evidence_hit@1", "retrieval evidence hit@1", "share"),
    ("evidence_hit@3", "retrieval evidence hit@3", "share"),
    ("evidence_hit@5", "retrieval evidence hit@5", "share"),
    ("evidence_mrr", "retrieval evidence MRR", "ratio"),
    ("citation_precision_article", "citation precision (article)", "share"),
    ("citation_recall_article", "citation recall (article)", "share"),
    ("citation_precision_evidence", "citation precision (evidence)", "share"),
    ("citation_recall_evidence", "citation recall (evidence)", "share"),
    ("verbatim_share", "citations quoted verbatim", "share"),
    ("answers_with_verbatim_quote", "answers with a verbatim quote", "share"),
    ("sentence_support", "answer sentences whose names and figures their quotes hold", "share"),
    ("retrieval_p50_s", "retrieval p50", "s"),
    ("retrieval_p95_s", "retrieval p95", "s"),
    ("generation_p50_s", "generation p50", "s"),
    ("generation_p95_s", "generation p95", "s"),
    ("total_p50_s", "total p50", "s"),
    ("total_p95_s", "total p95", "s"),
    ("first_token_p50_s", "first token p50 (answers that generated)", "s"),
    ("tokens_per_s", "generated tokens / s", "rate"),
)
CHART_METRICS = (
    "answer_correct",
    "answer_f1",
    "abstention_accuracy",
    "article_hit@3",
    "evidence_mrr",
    "citation_precision_article",
    "citation_recall_article",
    "citation_precision_evidence",
    "verbatim_share",
)


def format_value(value: float | int | None, unit: str) -> str:
    """`0.5, "share"` -> `'50.0%'`; `1.234, "s"` -> `'1.23 s'`; None -> `'n/a'`."""
    if value is None:
        return "n/a"
    match unit:
        case "share":
            return f"{value:.1%}"
        case "s":
            return f"{value:.2f} s"
        case "count":
            return str(value)
        case "ratio":
            return f"{value:.3f}"
    return f"{value:.1f}"


def format_summary_table(run: EvalRun) -> str:
    """A Markdown table: one row per metric, one column per system."""
    names = [s.name for s in run.systems]
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key, label, unit in METRICS:
        cells = [format_value(s.summary.get(key), unit) for s in run.systems]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _one_line(text: str, limit: int = 300) -> str:
    """Text on one line, cut at `limit` characters (rambling answers stay readable)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def failed_questions(name: str, results: tuple[QuestionResult, ...]) -> str:
    """Markdown for the questions a system got wrong (unanswerable: did not abstain)."""
    failed = [r for r in results if not r.correct]
    lines = [f"## {name}: {len(failed)} of {len(results)} questions failed", ""]
    for r in failed:
        lines.append(f"- **{r.id}** ({r.kind}) {_one_line(r.question)}")
        if r.standalone != r.question:
            lines.append(f"  - understood as: {_one_line(r.standalone)}")
        lines.append(
            f"  - answer: {_one_line(r.answer) or '(empty)'}"
            + (" (abstained)" if r.abstained else "")
        )
        expected = " / ".join(r.expected) if r.expected else "(abstain: not in the articles)"
        lines.append(f"  - expected: {expected}")
        cited = ", ".join(f"[{n}] {s}" for n, s in enumerate(r.cited_sources, 1))
        lines.append(f"  - cited: {cited or '(none)'}")
    return "\n".join(lines)


def report_markdown(run: EvalRun) -> str:
    """The whole report.md."""
    settings = ", ".join(f"{k}={v}" for k, v in run.settings.items())
    parts = [
        f"# newsqa evaluation, {run.started}",
        "",
        f"Settings: {settings}",
        "",
        "Answer and retrieval metrics count answerable questions (follow-ups included); "
        "citation precision counts answered questions that cite something. The baseline is "
        "llama-index's stock CitationQueryEngine on the same files, embedding model and "
        "LLM; it sees follow-ups without their history.",
        "",
        format_summary_table(run),
        "",
        "![metrics](chart.png)",
        "",
    ]
    for system in run.systems:
        parts.extend([failed_questions(system.name, system.results), ""])
    return "\n".join(parts)


def report_json(run: EvalRun) -> dict[str, object]:
    return {
        "started": run.started,
        "settings": run.settings,
        "systems": {
            s.name: {"summary": s.summary, "results": [asdict(r) for r in s.results]}
            for s in run.systems
        },
    }


def draw_chart(run: EvalRun, path: Path) -> None:
    """Grouped bars of the main metrics (0-1), one colour per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {key: label for key, label, _ in METRICS}
    width = 0.8 / max(len(run.systems), 1)
    figure, axes = plt.subplots(figsize=(12, 5))
    for n, system in enumerate(run.systems):
        values = [_bar_value(system.summary, key) for key in CHART_METRICS]
        positions = [
            i + (n - (len(run.systems) - 1) / 2) * width for i in range(len(CHART_METRICS))
        ]
        axes.bar(positions, values, width, label=system.name)
    axes.set_xticks(range(len(CHART_METRICS)))
    axes.set_xticklabels([labels[k] for k in CHART_METRICS], rotation=30, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_title(f"newsqa evaluation, {run.started}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _bar_value(summary: Summary, key: str) -> float:
    value = summary.get(key)
    return float(value) if value is not None else 0.0


def run_folder(out_dir: Path, now: datetime | None = None) -> Path:
    """A new folder named by the UTC time, e.g. `20240521T101500Z` (suffixed if taken)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder, n = out_dir / stamp, 1
    while folder.exists():
        n += 1
        folder = out_dir / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def write_report(run: EvalRun, out_dir: Path, *, now: datetime | None = None) -> Path:
    """Write report.json, report.md and chart.png into a new run folder; return it."""
    folder = run_folder(out_dir, now)
    (folder / "report.json").write_text(
        json.dumps(report_json(run), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (folder / "report.md").write_text(report_markdown(run), encoding="utf-8")
    draw_chart(run, folder / "chart.png")
    return folder
