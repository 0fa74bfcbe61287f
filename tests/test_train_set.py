"""The train-built set: held-out weeks stay out of the corpus, and each question's kind
follows from where its answer string is."""

from __future__ import annotations

import json
from pathlib import Path

from eval.train_set import build, held_out


def _item(qid: str, date: str, question: str, answer: str, evidence: str, pages: list[str]):
    return {
        "id": qid,
        "date": date,
        "source": "quiz",
        "question": question,
        "choices": [],
        "answer": answer,
        "evidence": evidence,
        "search_results": [{"title": f"Page {i}", "text": t} for i, t in enumerate(pages)],
    }


def test_build_splits_weeks_and_labels_questions(tmp_path: Path) -> None:
    weeks = [f"2022/{m:02d}/{d:02d}" for m in (7, 8, 9) for d in (1, 8, 15, 22)]
    kept = next(w for w in weeks if not held_out(w))
    out = next(w for w in weeks if held_out(w))
    items = [
        _item("a", kept, "Which city hosted the games?", "Oslo", "The games went to Oslo.", []),
        _item("b", kept, "Which of the following won?", "Lima", "Lima won.", []),
        _item("c", kept, "Who led the talks?", "Ana Ruiz", "", ["Talks were led by Ana Ruiz."]),
        _item("d", out, "Which river flooded?", "Danube", "The Danube flooded.", []),
        _item("e", out, "Which city hosted the games?", "Oslo", "Oslo again.", []),
    ]
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    questions = build(tmp_path / "set", train)
    rows = {q["id"]: q for q in map(json.loads, questions.read_text().splitlines())}
    corpus = "\n".join(p.read_text() for p in (tmp_path / "set" / "corpus").iterdir())
    assert "Danube" not in corpus  # a held-out week's notes stay out
    assert rows["a"]["kind"] == "fact" and rows["a"]["answers"] == ["Oslo"]
    assert rows["c"]["kind"] == "fact"  # its answer is in its own search page
    assert "b" not in rows  # "which of the following" needs its choices
    assert rows["d"]["kind"] == "abstain" and rows["d"]["answers"] == []
    assert "e" not in rows  # held out, but its answer is in the corpus anyway
