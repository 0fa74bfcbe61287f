"""The evaluation end to end on a few gold questions: real index, embedding model and LLM.

Floors, not exact values: the 270M model's wording varies with the llama.cpp build. Time is
not asserted (the machine may be shared). The fast tests below cover reading the gold file
and writing the report files from a hand-made run (no model).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eval.metrics import GoldQuestion, Latency, Span, SystemAnswer, score_question, summarize
from eval.report import format_summary_table, format_value, write_report
from eval.runner import DEFAULT_GOLD, EvalRun, GoldFileError, SystemRun, load_gold, run_eval
from index.settings import Settings
from qa.types import Citation

# One of each answerable kind that the bundled model handles, and two it must refuse.
SMOKE_IDS = ("g002", "g014", "g025", "g040", "g045", "g054", "g062", "g063")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_eval_on_a_handful_of_gold_questions(bundled_settings: Settings, tmp_path: Path) -> None:
    by_id = {q.id: q for q in load_gold(DEFAULT_GOLD)}
    questions = [by_id[i] for i in SMOKE_IDS]
    assert {q.kind for q in questions} >= {
        "who",
        "number",
        "date",
        "single_outlet",
        "shared",
        "followup",
        "unanswerable",
    }

    run = run_eval(bundled_settings, questions, baseline=False)

    newsqa = run.system("newsqa")
    assert newsqa is not None and run.system("baseline") is None
    assert [r.id for r in newsqa.results] == list(SMOKE_IDS)
    summary = newsqa.summary
    assert (summary["answerable"], summary["unanswerable"]) == (6, 2)
    assert summary["answer_correct"] is not None and summary["answer_correct"] >= 0.5
    precision = summary["citation_precision_article"]
    assert precision is not None and precision >= 0.8
    followup = next(r for r in newsqa.results if r.id == "g054")
    assert "Peskov" in followup.standalone  # the history was used

    folder = write_report(run, tmp_path)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert len(report["systems"]["newsqa"]["results"]) == len(SMOKE_IDS)
    assert report["systems"]["newsqa"]["summary"] == pytest.approx(summary)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert format_summary_table(run) in markdown
    assert (folder / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------ no model: gold file and report files


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_gold_reads_optional_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "q.jsonl",
        '{"id": "a", "question": "Who?", "answers": ["Peskov"], "kind": "who",'
        ' "articles": ["x.txt"], "evidence": [{"article": "x.txt", "text": "P"}],'
        ' "history": [["q", "a"]]}',
        "",
        '{"id": "b", "question": "Why?", "answers": []}',
    )
    first, second = load_gold(path)
    assert (first.evidence, first.history) == ((("x.txt", "P"),), (("q", "a"),))
    assert (second.kind, second.answerable) == ("unanswerable", False)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ['{"id": "a", "question": "q", "answers": ["x"]}', '{"id": "b",'],
            "q.jsonl line 2: not valid JSON",
        ),
        (['["a"]'], "line 1: expected a JSON object"),
        (['{"id": "a", "question": " ", "answers": []}'], "line 1: 'question' must be"),
        (['{"id": "a", "question": "q", "answers": "x"}'], "line 1: 'answers' must be a list"),
        (
            ['{"id": "a", "question": "q", "answers": [], "evidence": [{"text": "t"}]}'],
            "line 1: each item of 'evidence' must look like",
        ),
        (['{"id": "a", "question": "q", "answers": []}'] * 2, "line 2: duplicate id 'a'"),
        ([""], "holds no questions"),
    ],
)
def test_load_gold_names_file_and_line(tmp_path: Path, lines: list[str], message: str) -> None:
    with pytest.raises(GoldFileError, match=re.escape(message)):
        load_gold(_write(tmp_path / "q.jsonl", *lines))


def test_load_gold_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GoldFileError, match="questions file not found"):
        load_gold(tmp_path / "missing.jsonl")


def _hand_made_run() -> EvalRun:
    gold = GoldQuestion(
        "q1", "Who is the spokesman?", ("Peskov",), ("a.txt",), (("a.txt", "Peskov"),), "who"
    )
    texts = {"a.txt": "Kremlin spokesman Dmitry Peskov said so."}
    latency = Latency(0.1, 1.0, 1.1, 8)
    right = SystemAnswer(
        "Dmitry Peskov [1]",
        False,
        gold.question,
        (Citation(1, "a.txt", None, None, None, "Dmitry Peskov", 18, 31),),
        (Span("a.txt", 0, 40),),
        latency,
    )
    wrong = SystemAnswer("Blinken | Source 2:\nmore", False, gold.question, (), (), latency)
    systems = tuple(
        SystemRun(name, summarize([r]), (r,))
        for name, r in (
            ("newsqa", score_question(gold, right, texts)),
            ("baseline", score_question(gold, wrong, texts)),
        )
    )
    return EvalRun("2024-05-21T10:15:00+00:00", {"top_k": "8"}, systems)


def test_write_report_files(tmp_path: Path) -> None:
    run = _hand_made_run()
    folder = write_report(run, tmp_path, now=datetime(2024, 5, 21, 10, 15, tzinfo=UTC))
    again = write_report(run, tmp_path, now=datetime(2024, 5, 21, 10, 15, tzinfo=UTC))
    assert (folder.name, again.name) == ("20240521T101500Z", "20240521T101500Z-2")
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["systems"]["newsqa"]["summary"]["answer_correct"] == 1.0
    assert report["systems"]["baseline"]["results"][0]["answer"] == "Blinken | Source 2:\nmore"
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "| metric | newsqa | baseline |" in markdown
    assert "| answer correct (answerable) | 100.0% | 0.0% |" in markdown
    assert "## newsqa: 0 of 1 questions failed" in markdown
    assert (
        "- **q1** (who) Who is the spokesman?\n  - answer: Blinken | Source 2: more\n"
        "  - expected: Peskov\n  - cited: (none)" in markdown
    )
    assert (folder / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_format_value() -> None:
    assert format_value(0.5, "share") == "50.0%"
    assert format_value(1.234, "s") == "1.23 s"
    assert format_value(0.6251, "ratio") == "0.625"
    assert format_value(7.55, "rate") == "7.5"
    assert format_value(72, "count") == "72"
    assert format_value(None, "share") == "n/a"
