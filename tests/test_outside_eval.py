"""The outside-set runner on a small slice of ../shared/outside-dev, end to end.

`newsqa eval --corpus DIR --questions FILE` must read the outside format, index the corpus
into a scratch store (never the user's store) and score the same metrics. The slice copies a
handful of articles into a temp folder; nothing of that set is kept in the repository.
Quality is not asserted here (that is `make eval`'s job), only that the runner works.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from eval.metrics import answer_correct
from eval.passages import folded
from eval.passages import main as cut_into_passages
from eval.runner import GoldFileError, main, parse_gold_line, spread_sample

OUTSIDE = Path(__file__).resolve().parents[2] / "shared" / "outside-dev"


def test_outside_format_is_read() -> None:
    fact = parse_gold_line(
        '{"id": "x", "question": "Which team?", "answers": ["Buffalo Bills"], "kind": "fact",'
        ' "gold": ["a.txt"]}'
    )
    assert (fact.kind, fact.answerable, fact.articles, fact.by_words) == (
        "answerable",
        True,
        ("a.txt",),
        True,
    )
    refusal = parse_gold_line(
        '{"id": "y", "question": "Where?", "answers": [], "kind": "abstain", "gold": []}'
    )
    assert (refusal.kind, refusal.answerable) == ("unanswerable", False)
    with pytest.raises(ValueError, match="'fact' question needs answers"):
        parse_gold_line('{"id": "z", "question": "Q?", "answers": [], "kind": "fact", "gold": []}')


def test_outside_answers_match_by_content_words() -> None:
    answer = "Benedict XVI, the former pope, was buried [1]"
    assert answer_correct(answer, ["Pope Benedict XVI"], by_words=True)
    assert not answer_correct(answer, ["Pope Benedict XVI"])
    assert not answer_correct("Benedict XVI was buried [1]", ["Pope Benedict XVI"], by_words=True)
    assert not answer_correct("Pope Francis [1]", ["Pope Benedict XVI"], by_words=True)


def test_spread_sample_refuses_zero() -> None:
    with pytest.raises(GoldFileError, match="--sample must be at least 1"):
        spread_sample([], 0)


def test_the_passage_cut_keeps_every_word_in_order_and_maps_gold_to_passages(
    tmp_path: Path,
) -> None:
    if not (OUTSIDE / "questions.jsonl").is_file():
        pytest.skip(f"the outside set is not beside the checkout ({OUTSIDE})")
    lines = (OUTSIDE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    chosen = [q for q in map(json.loads, lines) if q["kind"] == "fact"][:2]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for item in chosen:
        for name in item["gold"]:
            shutil.copy(OUTSIDE / "corpus" / name, corpus / name)
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in chosen), encoding="utf-8")

    assert cut_into_passages([str(corpus), str(questions), str(tmp_path / "out")]) == 0

    cut = tmp_path / "out" / "corpus"
    for article in corpus.iterdir():
        title, _, body = article.read_text(encoding="utf-8").partition("\n\n")
        files = sorted(cut.glob(f"{article.stem}__*.txt"))
        parts = [f.read_text(encoding="utf-8").partition("\n\n") for f in files]
        assert {head for head, _, _ in parts} == {title.strip()}
        assert " ".join(" ".join(p for _, _, p in parts).split()) == " ".join(body.split())
        assert all(len(p.split()) >= 50 for _, _, p in parts[:-1])
    mapped = (tmp_path / "out" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    for item in map(json.loads, mapped):
        assert item["gold"] and all("__" in name for name in item["gold"])
        for name in item["gold"]:
            text = folded((cut / name).read_text(encoding="utf-8"))
            assert any(folded(answer) in text for answer in item["answers"])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_outside_slice_runs_in_a_scratch_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not (OUTSIDE / "questions.jsonl").is_file():
        pytest.skip(f"the outside set is not beside the checkout ({OUTSIDE})")
    lines = (OUTSIDE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    chosen = [q for q in items if q["kind"] == "fact"][:3] + [
        q for q in items if q["kind"] == "abstain"
    ][:1]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for item in chosen:
        for name in item["gold"][:2]:
            shutil.copy(OUTSIDE / "corpus" / name, corpus / name)
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in chosen), encoding="utf-8")
    args = argparse.Namespace(
        limit=None,
        sample=None,
        questions=str(questions),
        corpus=str(corpus),
        store=str(tmp_path / "scratch"),
        baseline=False,
        out=str(tmp_path / "runs"),
    )

    assert main(args) == 0

    assert (tmp_path / "scratch" / "chroma").is_dir()  # the scratch store, not data/store
    report = json.loads(next((tmp_path / "runs").glob("*/report.json")).read_text())
    summary = report["systems"]["newsqa"]["summary"]
    assert (summary["answerable"], summary["unanswerable"]) == (3, 1)
    assert summary["verbatim_share"] in (None, 1.0)
    assert "answer correct (answerable)" in capsys.readouterr().out
