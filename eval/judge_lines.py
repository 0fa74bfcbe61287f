"""Score the answer-line judge (`eval.learn_line_judge`, exported to int8 ONNX in the user's
cache) on collected candidates, beside the ranker:
`python -m eval.judge_lines FILE.jsonl [--top-k 12]` (files from `eval.learn_ranker collect`).

Prints, for answerable questions with an answer line among their candidates, the share whose
best line holds the answer (top-1) and whose best 3 hold one (top-3): by the learned ranker, by
the judge alone, and by the judge over the ranker's best N. Then how well each question-level
score separates answerable from unanswerable questions (ROC AUC): the gate's best evidence
score, and the judge's best logit over the ranker's best N.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from eval.calibrate import roc_auc as auc
from eval.learn_ranker import rows_of
from index.errors import NewsQAError
from qa.ranker import shipped_ranker

POOLS = (3, 6, 12)
MODEL_FILE = Path.home() / ".cache" / "newsqa" / "line-judge" / "line_judge.onnx"
MAX_TOKENS = 128  # question and sentence together, as in training


@lru_cache(maxsize=1)
def _pair_tokenizer() -> Any:
    from tokenizers import Tokenizer

    from index.embed import _model_files

    tokenizer = Tokenizer.from_file(str(_model_files()[1]))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    return tokenizer


class LineJudge:
    """`scores(question, sentences) -> float32 logits`, higher: more likely an answer."""

    def __init__(self, *, threads: int = 2, model: Path = MODEL_FILE) -> None:
        import onnxruntime as ort

        if not model.is_file():
            raise NewsQAError(f"no answer-line judge at {model}; run `make line-judge`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model), options, ["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        encoded = _pair_tokenizer().encode_batch([(question, s) for s in sentences])
        feeds = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        with self._lock:
            logits = self._session.run(None, feeds)[0]
        return np.asarray(logits, dtype=np.float32).reshape(-1)


def judged(records: list[dict[str, Any]], top_k: int) -> list[dict[str, Any]]:
    """Each question's candidates in ranker order with labels, hand scores and judge logits."""
    judge, ranker = LineJudge(), shipped_ranker()
    out = []
    for record in records:
        kept = [c for c in record["lines"] if c["chunk_rank"] < top_k]
        if not kept:
            out.append({"answerable": record["answerable"], "labels": [], "hand": [], "judge": []})
            continue
        rows, labels, hand = rows_of(record, top_k)
        order = np.argsort(-ranker.scores(rows), kind="stable")
        texts = [kept[i]["text"] for i in order]
        logits = judge.scores(record["question"], texts)
        out.append(
            {
                "answerable": record["answerable"],
                "labels": labels[order].tolist(),
                "hand": hand[order].tolist(),
                "judge": logits.tolist(),
            }
        )
    return out


def report(items: list[dict[str, Any]]) -> str:
    found = [i for i in items if i["answerable"] and any(i["labels"])]
    lines = [f"{len(found)} answerable questions with an answer line among the candidates"]

    def top(k: int, pick: Any) -> float:
        return float(np.mean([max(np.array(i["labels"])[pick(i)[:k]]) for i in found]))

    ranked = lambda i: np.arange(len(i["labels"]))  # noqa: E731
    lines.append(f"  ranker            top-1 {top(1, ranked):.3f}  top-3 {top(3, ranked):.3f}")
    for pool in POOLS:

        def rejudged(i: dict[str, Any], pool: int = pool) -> np.ndarray:
            head = np.argsort(-np.array(i["judge"][:pool]), kind="stable")
            return np.concatenate([head, np.arange(len(head), len(i["labels"]))])

        lines.append(
            f"  judge over top {pool:<2d} "
            f"top-1 {top(1, rejudged):.3f}  top-3 {top(3, rejudged):.3f}"
        )
    answerable = [i for i in items if i["answerable"]]
    unanswerable = [i for i in items if not i["answerable"]]
    gate = lambda i: max(i["hand"], default=-9.0)  # noqa: E731
    lines.append(
        f"  AUC answerable vs not ({len(answerable)} / {len(unanswerable)}): gate score "
        f"{auc([gate(i) for i in answerable], [gate(i) for i in unanswerable]):.3f}"
    )
    for pool in POOLS:
        best = lambda i, pool=pool: max(i["judge"][:pool], default=-9.0)  # noqa: E731
        lines.append(
            f"    judge best of top {pool:<2d} "
            f"{auc([best(i) for i in answerable], [best(i) for i in unanswerable]):.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.judge_lines", description=__doc__)
    parser.add_argument("records", type=Path)
    parser.add_argument("--top-k", type=int, default=12)
    parser.add_argument("--save", type=Path, default=None, help="write the judged candidates")
    args = parser.parse_args(argv)
    records = [json.loads(x) for x in args.records.read_text(encoding="utf-8").splitlines()]
    items = judged(records, args.top_k)
    if args.save:
        args.save.write_text(json.dumps(items), encoding="utf-8")
    print(report(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
