"""An instruct model as the answerability judge, offline: `python -m eval.judge_answerable
CANDIDATES MODEL`.

Reads a collection of `python -m eval.learn_ranker collect` (every candidate sentence of each
question, labelled), orders each question's candidates of its first 12 chunks by the shipped
ranker, shows the best `--lines` to a local GGUF instruct model (Qwen2.5 chat format) and asks
whether they state the answer; the judge's score is log P("Yes") - log P("No") of its first
token. One JSON line per question: whether it is answerable, the gate's score (the best
hand-weighted evidence score, what `qa.answerability` decides on), the judge's score and the
seconds the call took. `--summary FILE` prints ROC AUC of each score (answerable against
unanswerable) and of their sum after standardising, and what a veto by the judge would do at
the gate's threshold. No outside question is fitted on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.calibrate import roc_auc
from eval.learn_ranker import each_shown
from qa.prompts import numbered_lines

JUDGE_SYSTEM = (
    "You check whether sentences from news articles answer a question. Reply with one word: "
    "Yes if one of the sentences states the answer, No if none does."
)
JUDGE_USER = "Sentences:\n{sentences}\n\nQuestion: {question}\nDoes a sentence state the answer?"


def judge_prompt(question: str, sentences: Sequence[str]) -> str:
    """The Qwen2.5 chat-format prompt, ending where the assistant's first token goes.

    >>> judge_prompt("Who?", ["A said B."]).endswith("<|im_start|>assistant\\n")
    True
    """
    user = JUDGE_USER.format(sentences=numbered_lines(sentences), question=question.strip())
    return (
        f"<|im_start|>system\n{JUDGE_SYSTEM}<|im_end|>\n"
        f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    )


def collect(args: argparse.Namespace) -> None:
    from llama_cpp import Llama

    llm: Any = Llama(model_path=args.model, n_ctx=2048, n_threads=2, verbose=False, seed=0)
    yes, no = (
        llm.tokenize(word.encode(), add_bos=False, special=False)[0] for word in ("Yes", "No")
    )
    seconds = []
    with Path(args.out).open("w", encoding="utf-8") as sink:
        for record, lines in each_shown(Path(args.candidates), args.lines, limit=args.limit):
            prompt = judge_prompt(record["question"], lines.texts)
            began = time.perf_counter()
            tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
            llm.reset()
            llm.eval(tokens)
            last = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            logits = last.astype(np.float64)  # the prompt's last token: the first answer token
            seconds.append(time.perf_counter() - began)
            shifted = logits - logits.max()
            log_probs = shifted - np.log(np.exp(shifted).sum())
            line = {
                "id": record["id"],
                "answerable": record["answerable"],
                "reachable": any(lines.labels),
                "gate": lines.best_hand_score,
                "judge": float(log_probs[yes] - log_probs[no]),
                "p_yes_or_no": float(np.exp(log_probs[yes]) + np.exp(log_probs[no])),
                "s": seconds[-1],
            }
            sink.write(json.dumps(line) + "\n")
            sink.flush()
    print(f"{len(seconds)} questions, p50 {statistics.median(seconds):.2f} s a call")


def summary(path: Path, threshold: float) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    gate = np.array([r["gate"] for r in rows])
    judge = np.array([r["judge"] for r in rows])
    both = (gate - gate.mean()) / gate.std() + (judge - judge.mean()) / judge.std()
    scored = {"gate (best hand score)": gate, "judge (log Yes - log No)": judge, "sum": both}
    print(f"{path}: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
    is_answerable = np.array([r["answerable"] for r in rows])
    for name, values in scored.items():
        auc = roc_auc(values[is_answerable].tolist(), values[~is_answerable].tolist())
        print(f"  ROC AUC {name}: {auc:.3f}")
    passed = gate >= threshold
    print(
        f"  gate at {threshold}: passes {passed[is_answerable].sum()} answerable, "
        f"{passed[~is_answerable].sum()} unanswerable"
    )
    for veto in (-4.0, -2.0, -1.0, 0.0, 1.0):
        kept = passed & (judge >= veto)
        reachable = np.array([r["reachable"] for r in rows])
        print(
            f"  + judge veto below {veto:+.1f}: passes {kept[is_answerable].sum()} answerable "
            f"({(kept & reachable)[is_answerable].sum()} with an answer line shown), "
            f"{kept[~is_answerable].sum()} unanswerable"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.judge_answerable")
    parser.add_argument("candidates", nargs="?", help="a collection from eval.learn_ranker collect")
    parser.add_argument("model", nargs="?", help="a GGUF Qwen2.5 instruct model file")
    parser.add_argument("--lines", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="the first N questions")
    parser.add_argument("--out", default="judged.jsonl")
    parser.add_argument("--summary", default=None, help="summarise a file this wrote")
    parser.add_argument("--threshold", type=float, default=0.79, help="the gate's threshold")
    args = parser.parse_args(argv)
    if args.summary:
        summary(Path(args.summary), args.threshold)
        return 0
    if not (args.candidates and args.model):
        parser.error("CANDIDATES and MODEL are needed unless --summary is given")
    collect(args)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
