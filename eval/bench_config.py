"""What every `newsqa bench` step is given: the run's options (`BenchConfig`), the error a
bad option or a failed step raises, the gold-set questions the steps ask, and the settings of
a step's own store in the run's work folder.

It measures nothing and runs nothing: the steps are in `eval.bench_ingest`,
`eval.bench_retrieval` and `eval.bench_answers`, the run that starts them in `eval.bench`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.errors import NewsQAError
from index.settings import Settings, load_settings

DEFAULT_SIZES = (1000, 10000)
GOLD = Path(__file__).resolve().parent / "gold.jsonl"


class BenchError(NewsQAError):
    """A benchmark option is invalid or a step could not run."""


@dataclass(frozen=True)
class BenchConfig:
    sizes: tuple[int, ...] = DEFAULT_SIZES
    articles: int = 100  # synthetic articles ingested by the throughput step
    seed: int = 0
    questions: int = 8  # answered by newsqa
    stock_questions: int = 2  # the first of those, also answered by the stock pipeline
    queries: int = 30  # retrieval queries per collection size
    server: bool = True  # also measure retrieval through a `chroma run` server


def gold_questions(count: int, *, answerable_only: bool) -> list[str]:
    """The first `count` questions of the gold set (answerable ones without history, if asked)."""
    questions = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if not answerable_only or (item.get("answers") and not item.get("history")):
                questions.append(str(item["question"]))
    return questions[:count]


def step_settings(
    work: Path, corpus: Path, store: str, *, chroma_url: str | None = None
) -> Settings:
    """Settings for one step's own store; a NEWSQA_CHROMA_URL of the user is never touched."""
    return load_settings(corpus_dir=corpus, store_dir=work / store, chroma_url=chroma_url)
