"""The same archive cut into short passages: does newsqa judge it as it judges whole pages?

Users bring archives in many cuts: whole pages, extracts, search snippets. A signal that reads
the cut instead of the news (where in its file a line stands) makes the same questions about
the same text come out differently. `python -m eval.passages CORPUS QUESTIONS OUT` writes
`OUT/corpus`, every article cut into passages of about `--words` words (whole sentences), each
its own file (title, blank line, passage), and `OUT/questions.jsonl`, the questions with their
gold files mapped to the passages that hold an answer; then
`newsqa eval --corpus OUT/corpus --questions OUT/questions.jsonl` scores it. Only the cut
differs from the source corpus, so the two runs' differences are the cut's. The outside sets
stay outside the repository: OUT is a scratch folder (`make eval` uses ~/.cache/newsqa).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from qa.lexical import fold_accents

_SENTENCE_END = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])")


def passages(body: str, words: int) -> list[str]:
    """`body` as runs of whole sentences of at least `words` words (the last may be shorter).

    >>> passages("One two three. Four five.\\nSix seven eight nine. Ten.", 4)
    ['One two three. Four five.', 'Six seven eight nine.', 'Ten.']
    """
    sentences = [
        s for line in body.split("\n") for s in _SENTENCE_END.split(line.strip()) if s.strip()
    ]
    cut: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= words:
            cut.append(" ".join(current))
            current = []
    if current:
        cut.append(" ".join(current))
    return cut


def folded(text: str) -> str:
    """Accents dropped, lower case, single spaces: how an answer string is looked up.

    >>> folded("Côte  Basque")
    'cote basque'
    """
    ascii_text = fold_accents(text).encode("ascii", "ignore").decode()  # and no other non-ASCII
    return re.sub(r"\s+", " ", ascii_text.lower())


def cut_corpus(source: Path, out: Path, words: int) -> dict[str, str]:
    """Write every article of `source` (title, blank line, text) as passage files in `out`,
    named `<article stem>__<nnn>.txt`; return each file's name and folded text."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for article in sorted(source.iterdir()):
        title, _, body = article.read_text(encoding="utf-8").partition("\n\n")
        for number, passage in enumerate(passages(body, words)):
            text = f"{title.strip()}\n\n{passage}\n"
            name = f"{article.stem}__{number:03d}.txt"
            (out / name).write_text(text, encoding="utf-8")
            written[name] = folded(text)
    return written


def mapped_questions(
    questions: Sequence[dict[str, Any]], texts: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """Each question with its gold files replaced by the passages of those articles that hold
    one of its answers (all their passages when none does alone).

    >>> q = {"kind": "fact", "answers": ["Kyiv"], "gold": ["a.txt"]}
    >>> texts = {"a__000.txt": "in kyiv", "a__001.txt": "no", "b__000.txt": "kyiv"}
    >>> next(mapped_questions([q], texts))["gold"]
    ['a__000.txt']
    """
    for question in questions:
        question = dict(question)
        if question["kind"] == "fact":
            stems = {str(g).rsplit(".", 1)[0] for g in question["gold"]}
            mine = sorted(n for n in texts if n.split("__")[0] in stems)
            answers = [folded(str(a)) for a in question["answers"]]
            holding = [n for n in mine if any(a in texts[n] for a in answers)]
            question["gold"] = holding or mine
        yield question


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.passages", description=__doc__)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--words", type=int, default=50, help="words a passage has at least")
    args = parser.parse_args(argv)
    texts = cut_corpus(args.corpus, args.out / "corpus", args.words)
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    mapped = mapped_questions([json.loads(line) for line in lines if line.strip()], texts)
    with (args.out / "questions.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(q) + "\n" for q in mapped)
    print(f"{len(texts)} passages in {args.out / 'corpus'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
