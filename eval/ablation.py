"""Ablation: a question set answered with one capability of newsqa switched off at a time, so
each row shows what that capability adds. `python -m eval.ablation [--limit N]` on the gold
set; `--corpus DIR --questions FILE [--sample N]` on an outside set.

Switching off is done by swapping one module-level constant or function for the run, then
restoring it; the index is rebuilt in a temp folder for the "no cleaning" row.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

from eval.runner import DEFAULT_GOLD, load_gold, run_eval, scratch_store, spread_sample
from index.settings import Settings, load_settings

METRICS = (
    ("answer correct (answerable)", "answer_correct"),
    ("abstains when unanswerable", "abstention_accuracy"),
    ("false abstentions", "false_abstention_rate"),
    ("citation precision (article)", "citation_precision_article"),
    ("evidence hit@3", "evidence_hit@3"),
    ("total p50 s", "total_p50_s"),
)


def _keep_everything(source: str, raw: str) -> Any:
    from index.clean import CleanArticle, split_paragraphs

    paragraphs = tuple(split_paragraphs(raw))
    title = paragraphs[0].text if paragraphs else None
    return CleanArticle(source, title, None, None, paragraphs, ())


def _variants() -> dict[str, list[tuple[str, Any]]]:
    import qa.retrieve

    dense = partial(qa.retrieve.build_retriever, mode="dense")
    return {
        "newsqa (everything on)": [],
        "no page cleaning": [("index.ingest.clean_article", _keep_everything)],
        "dense retrieval only (no BM25 fusion)": [("qa.engine.build_retriever", dense)],
        "no lexical term in sentence ranking": [("qa.evidence.LEXICAL_WEIGHT", 0.0)],
        "hand-weighted sentence order (no learned ranker)": [
            ("qa.engine.learned_order", lambda question, ranked, ranks, **_: list(ranked))
        ],
        "no near-duplicate folding": [
            ("qa.engine.fold_near_duplicates", lambda ranked: [e for e, _ in ranked])
        ],
        "no claim verification": [
            ("qa.cite.MIN_SUPPORT", 0.0),
            ("qa.cite.SENTENCE_CLAIM_WORDS", 10_000),
        ],
        "no answer-fit checks (subject, role, counted thing)": [
            ("qa.line_checks.line_fits", lambda question, line, similarity: True)
        ],
        "no answer-kind check": [("qa.answer.answers_the_kind", lambda q, c, *rest: c)],
        "one evidence line shown to the model (the learned ranker's first)": [
            ("qa.answer.EVIDENCE_SHOWN", 1)
        ],
        "no year check (a line about another year may answer)": [
            ("qa.answer.names_the_question_years", lambda question, line: True)
        ],
        "no unsure refusal (the ranker's unsure first line is answered)": [
            ("qa.answer.too_unsure_to_answer", lambda first, sentences, **_: False)
        ],
        "no sure first line (the model always chooses)": [
            ("qa.answer.first_line_is_sure", lambda first, sentences, sure_line: False)
        ],
        "no phrase-or-line rule (the model's phrase kept)": [
            ("qa.answer.phrase_or_its_line", lambda question, composed, shown: composed)
        ],
        "no sentence before a restating line": [
            ("qa.answer.with_the_sentence_before", lambda question, composed, sentences: composed)
        ],
        "no answerability gate": [
            ("qa.answer.worth_answering", lambda evidence, **_: bool(evidence))
        ],
    }


@contextmanager
def switched_off(patches: list[tuple[str, Any]]) -> Iterator[None]:
    with ExitStack() as stack:
        for target, value in patches:
            stack.enter_context(mock.patch(target, value))
        yield


# Rows that change what ingest stores; every other row answers from the same index.
REINDEXING = frozenset({"no page cleaning"})


def run_ablation(
    settings: Settings,
    questions: list[Any],
    progress: Callable[[str], None] = print,
    *,
    reuse_store: bool = False,
    only: tuple[str, ...] = (),
    reindex: bool = False,
) -> dict[str, dict[str, float]]:
    """One eval per row. Each row indexes into a temp store, unless `reuse_store`: then rows
    answer from `settings.store_dir` as it is, and the rows that change ingest are skipped
    (a large outside corpus takes minutes to index), or, with `reindex`, index the corpus
    afresh into a temp store."""
    from index.ingest import ingest
    from qa.engine import forget_engines

    rows: dict[str, dict[str, float]] = {}
    for name, patches in _variants().items():
        if reuse_store and name in REINDEXING and not reindex:
            continue
        if only and name != "newsqa (everything on)" and not any(o in name for o in only):
            continue
        progress(f"== {name}")
        with switched_off(patches), tempfile.TemporaryDirectory() as store:
            run_settings = settings
            if not reuse_store or name in REINDEXING:
                run_settings = settings.model_copy(update={"store_dir": Path(store)})
            forget_engines()
            ingest(run_settings)
            summary = run_eval(run_settings, questions, baseline=False).systems[0].summary
            rows[name] = {key: float(summary.get(key) or 0.0) for _, key in METRICS}
        forget_engines()
    return rows


def format_rows(rows: dict[str, dict[str, float]]) -> str:
    header = "| variant | " + " | ".join(label for label, _ in METRICS) + " |"
    lines = [header, "|---|" + "---:|" * len(METRICS)]
    for name, values in rows.items():
        cells = [
            f"{values[key]:.2f}" if key.endswith("_s") else f"{values[key]:.1%}"
            for _, key in METRICS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.ablation", description=__doc__)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--questions", type=Path, default=DEFAULT_GOLD, help="a .jsonl gold file")
    parser.add_argument("--corpus", type=Path, default=None, help="answer from this folder")
    parser.add_argument("--sample", type=int, default=None, help="N questions spread evenly")
    parser.add_argument(
        "--only", action="append", default=[], help="rows whose name holds this (repeatable)"
    )
    parser.add_argument(
        "--reindex",
        action="store_true",
        help="with --corpus, also run the rows that index the corpus afresh (minutes)",
    )
    args = parser.parse_args(argv)
    questions = load_gold(args.questions)[: args.limit]
    questions = spread_sample(questions, args.sample) if args.sample else questions
    settings = load_settings()
    if args.corpus:  # an outside corpus: its scratch store, indexed once, shared by the rows
        update = {"corpus_dir": args.corpus, "store_dir": scratch_store(args.corpus)}
        settings = settings.model_copy(update=update)
    rows = run_ablation(
        settings,
        questions,
        reuse_store=args.corpus is not None,
        only=tuple(args.only),
        reindex=args.reindex,
    )
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
