"""An instruct model as the line chooser, offline: `python -m eval.choose_lines CANDIDATES MODEL`.

Reads a collection of `python -m eval.learn_ranker collect` (every candidate sentence of each
question, labelled), orders each question's candidates of its first 12 chunks by the shipped
ranker, shows the best `--lines` to a local GGUF instruct model with the extractive chat prompt
(`qa.prompts.build_choice_messages`), and writes one JSON line per question: the labels of the
lines shown, the reply, the line it picked, whether it said "Not stated", and the seconds the
call took. The summary compares the model's pick with the ranker's first line on the questions
that have an answer line among those shown. No outside question is fitted on.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.learn_ranker import each_shown
from qa.prompts import NOT_STATED, build_choice_messages


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.choose_lines")
    parser.add_argument("candidates", help="a collection from eval.learn_ranker collect")
    parser.add_argument("model", help="a GGUF instruct model file")
    parser.add_argument("--lines", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="the first N questions")
    parser.add_argument("--out", default="choices.jsonl")
    args = parser.parse_args(argv)
    from llama_cpp import Llama

    llm: Any = Llama(model_path=args.model, n_ctx=2048, n_threads=2, verbose=False, seed=0)
    shown_right = ranker_right = model_right = 0
    seconds = []
    with Path(args.out).open("w", encoding="utf-8") as sink:
        for record, lines in each_shown(Path(args.candidates), args.lines, limit=args.limit):
            shown, shown_labels = lines.texts, lines.labels
            messages = [
                {"role": role, "content": content}
                for role, content in build_choice_messages(record["question"], shown)
            ]
            began = time.perf_counter()
            reply = llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=32)
            seconds.append(time.perf_counter() - began)
            text = reply["choices"][0]["message"]["content"] or ""
            marker = re.search(r"\[(\d+)\]", text)
            pick = int(marker.group(1)) - 1 if marker else None
            pick = pick if pick is not None and 0 <= pick < len(shown) else None
            if record["answerable"] and any(shown_labels):
                shown_right += 1
                ranker_right += shown_labels[0]
                model_right += pick is not None and shown_labels[pick]
            line = {
                "id": record["id"],
                "answerable": record["answerable"],
                "labels": shown_labels,
                "reply": text,
                "pick": pick,
                "not_stated": NOT_STATED.lower() in text.lower(),
                "s": seconds[-1],
            }
            sink.write(json.dumps(line) + "\n")
    print(
        f"{shown_right} questions with an answer line among the {args.lines} shown: ranker's "
        f"first line {ranker_right}, model's pick {model_right}; "
        f"p50 {statistics.median(seconds):.2f} s a call"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
