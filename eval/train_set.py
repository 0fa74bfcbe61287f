"""A realistic training set built from `../shared/train/` (never the repository).

The learned evidence ranker and the answerability gate are trained on the pipeline's own
candidates, so the training corpus is built the way outside news looks to a user: a folder of
articles, some of which answer the questions and most of which do not.

- Every search-result page of the train file (June to December 2022), once each.
- The quiz's evidence notes, one file per quiz week ("news quiz notes, <date>"), as in
  outside-dev.
- One week in five (chosen by a hash of its date, so the split is fixed) is held out: its notes
  and pages stay out of the corpus. Its questions whose answer string occurs in no article are
  the unanswerable ones; the other weeks' questions whose answer string is in their own notes
  or pages are the answerable ones.

"Which of the following" questions are dropped: they only make sense with their choices.
The questions file uses the outside format (`{"id","question","answers","kind","gold"}`), so
`newsqa eval --corpus ... --questions ...` runs on it too.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"
TRAIN = SHARED / "train" / "realtimeqa-2020-2022.jsonl"
CHOICE_QUESTION = re.compile(r"\b(which|what) of the (following|these)\b", re.IGNORECASE)
HELD_OUT_SHARE = 5  # one key (week, question) in this many is held out


def slug(text: str) -> str:
    """A file-name-safe slug.

    >>> slug("Pelé: what made him great?")
    'pel-what-made-him-great'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "page"


def held_out(key: str) -> bool:
    """Whether a key falls in the held-out fifth, fixed by its hash: a quiz week held out of
    the corpus here, a question held out of the ranker's fit in `eval.learn_ranker`.

    >>> [held_out(w) for w in ("2022/07/01", "2022/07/08")] in ([True, False], [False, True],
    ...     [False, False], [True, True])
    True
    """
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % HELD_OUT_SHARE == 0


def read_items(train: Path = TRAIN) -> list[dict[str, Any]]:
    return [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines() if line]


def build(folder: Path, train: Path = TRAIN) -> Path:
    """Write `folder`/corpus and `folder`/questions.jsonl; return the questions file."""
    items = read_items(train)
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    pages: dict[str, str] = {}
    bodies: set[str] = set()
    notes: dict[str, list[str]] = {}
    for item in items:
        week = item["date"]
        if held_out(week):
            continue
        for result in item["search_results"]:
            body = f"{result['title']}\n\n{result['text']}"
            if body not in bodies:
                bodies.add(body)
                pages[f"p{len(pages):04d}_{slug(result['title'])}.txt"] = body
        if item["evidence"].strip() and item["evidence"] not in notes.get(week, []):
            notes.setdefault(week, []).append(item["evidence"].strip())
    for week, passages in notes.items():
        title = f"News quiz notes, {week}"
        pages[f"n_{slug(week)}.txt"] = title + "\n\n" + "\n\n".join(passages)
    for name, body in pages.items():
        (corpus / name).write_text(body, encoding="utf-8")
    lowered = {name: body.lower() for name, body in pages.items()}
    questions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        answer = item["answer"].strip()
        if CHOICE_QUESTION.search(item["question"]) or not answer or item["id"] in seen:
            continue
        seen.add(item["id"])
        gold = [name for name, body in lowered.items() if answer.lower() in body]
        own = [item["evidence"], *(r["text"] for r in item["search_results"])]
        if held_out(item["date"]):
            if gold:
                continue
            kind = "abstain"
        elif any(answer.lower() in text.lower() for text in own) and gold:
            kind = "fact"
        else:
            continue
        questions.append(outside_question(item, kind, gold))
    return write_questions(folder / "questions.jsonl", questions)


def outside_question(item: dict[str, Any], kind: str, gold: list[str]) -> dict[str, Any]:
    """A train item as an outside-format question (`kind`: "fact" or "abstain").

    >>> outside_question({"id": "q", "question": "Who?", "answer": "Ana", "date": "2022/07/01"},
    ...     "abstain", [])["answers"]
    []
    """
    answers = [item["answer"].strip()] if kind == "fact" else []
    return {
        "id": item["id"],
        "question": item["question"],
        "answers": answers,
        "kind": kind,
        "gold": gold,
        "week": item["date"],
    }


def write_questions(path: Path, questions: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.home() / ".cache/newsqa/train-set"
    written = build(out)
    lines = written.read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    files = len(list((out / "corpus").iterdir()))
    print(f"{files} articles; {kinds.count('fact')} answerable, {kinds.count('abstain')} not")
