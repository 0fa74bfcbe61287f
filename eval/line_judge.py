"""The answer-line judge at run time (an experiment, not shipped): a MiniLM cross-encoder
that re-scores the learned ranker's best lines.

The learned ranker (`qa.ranker`) scores each candidate sentence from features, one at a time.
The judge reads the question and the sentence together (one MiniLM pass over both, a linear
head on the mean-pooled tokens) and gives a logit: how likely the sentence states the answer.
`judged_order` adds its logit, times a weight, to the ranker's score of each of the ranker's
best `JUDGE_POOL` lines and orders them again; lines beyond the pool get the pool's lowest
logit, so none of them overtakes a line the judge read.

`make line-judge` trains it on ../shared/train only (`eval.learn_line_judge`) and exports it
to the user's cache; `python -m eval.judge_lines` fits the weight and scores it offline.
Wired into newsqa's engine (commit 0b21494) it put the answer line first more often but did
not make outside-dev's answers better end to end, so newsqa does not use it: the card,
`eval/LINE_JUDGE.md`, and the README ("Known gaps": "Tried twice and not shipped") hold the
figures.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import NewsQAError
from qa.types import Evidence

MODEL_FILE = Path.home() / ".cache" / "newsqa" / "line-judge" / "line_judge.onnx"
MAX_TOKENS = 128  # question and sentence together; longer pairs lose the sentence's end
JUDGE_POOL = 12  # the ranker's best lines the judge reads
JUDGE_WEIGHT = 0.7  # fitted on the train-built held-out fifth (`eval.judge_lines`)


@lru_cache(maxsize=1)
def _pair_tokenizer() -> Any:
    from tokenizers import Tokenizer

    from index.embed import _model_files

    tokenizer = Tokenizer.from_file(str(_model_files()[1]))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    return tokenizer


class LineJudge:
    """`logits(question, sentences) -> float32 array`: higher, likelier to state the answer.

    The model is quantised dynamically (int8 weights per channel, activations scaled per
    run), so a sentence's logit moves a little with the batch it is scored in; one
    question's pool is scored as one batch, as every figure in the card was measured."""

    def __init__(self, *, threads: int = 2, model: Path = MODEL_FILE) -> None:
        import onnxruntime as ort

        if not model.is_file():
            raise NewsQAError(f"answer-line judge missing: {model}; run `make line-judge`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model), options, ["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        encoded = _pair_tokenizer().encode_batch([(question, s) for s in sentences])
        feeds = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        with self._lock:  # one session, many threads (Gradio workers): run one at a time
            logits = self._session.run(None, feeds)[0]
        return np.asarray(logits, dtype=np.float32).reshape(-1)


def judged_order(
    ranked: Sequence[tuple[Evidence, np.ndarray]],
    logits: Sequence[float],
    weight: float = JUDGE_WEIGHT,
) -> list[tuple[Evidence, np.ndarray]]:
    """`ranked` (the learned ranker's order) with the judge's `logits` of its first
    `len(logits)` lines, times `weight`, added to their `rank_score`, reordered; the lines
    after them get the lowest of those logits, so they keep their place below the pool.

    >>> line = Evidence("a.txt", None, None, None, 0, 1, "x")
    >>> ranked = [(replace(line, text=t, rank_score=s), np.zeros(1)) for t, s in
    ...     (("first", 2.0), ("second", 1.5), ("third", 1.0))]
    >>> [(e.text, e.rank_score) for e, _ in judged_order(ranked, [-1.0, 0.5], weight=1.0)]
    [('second', 2.0), ('first', 1.0), ('third', 0.0)]
    """
    if not ranked or len(logits) == 0:
        return list(ranked)
    floor = min(logits)
    bonuses = [*logits, *[floor] * (len(ranked) - len(logits))]
    rescored = [
        (replace(line, rank_score=round(line.rank_score + weight * float(bonus), 4)), vector)
        for (line, vector), bonus in zip(ranked, bonuses, strict=True)
    ]
    return sorted(rescored, key=lambda pair: -pair[0].rank_score)
