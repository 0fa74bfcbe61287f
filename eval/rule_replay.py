"""Which of the extractive answer's checks pay for themselves: `python -m eval.rule_replay`.

The checks of `qa.line_checks.answers_the_kind` (the answer kind of `qa.answer_type.supplies`,
and the subject, role and counted-noun checks of `line_fits`) decide, after the model has
written, whether an answer is kept, replaced by another shown line, or refused. They are pure
functions of the question, the model's text and the shown lines, so they can be measured one
at a time without running the model again:

1. `collect` runs every question of a set through the real pipeline (store, retriever, ranker,
   gate, the local model) and saves what the checks see: the standalone question, the model's
   text, the shown lines, and whether the gate refused it.
2. `score` replays the checks on those records with all of them on, then with each switched
   off, and prints for each set: answers right, answers wrong, answerable questions refused,
   unanswerable questions refused. A check pays for itself on a set when switching it off
   lets through more wrong answers and answered unanswerable questions than it gains right
   ones.

The replay leaves out the disagreement note (`with_disagreements`), which only adds other
articles' figures to an answer already kept; it changes no refusal. `collect` always runs
the base model's completion over the shown lines, as `NEWSQA_SURE_LINE=1` does: the checks
see what the model chose even where the pipeline would answer a sure first line unasked.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, get_args
from unittest import mock

import numpy as np

from eval.metrics import answer_correct
from qa.types import Evidence

RULES: dict[str, Callable[[], Any]] = {}


def _rule(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(switch: Callable[[], Any]) -> Callable[[], Any]:
        RULES[name] = switch
        return switch

    return register


def _kind_off(kind: str) -> Any:
    import qa.line_checks
    from qa.answer_type import supplies

    def lenient(question: str, text: str, asked: Any = None) -> bool:
        return True if asked == kind else supplies(question, text, asked)

    return mock.patch.object(qa.line_checks, "supplies", lenient)


for _kind in ("number", "share"):  # `qa.line_checks.VETO_KINDS`
    RULES[f"kind check: {_kind}"] = lambda kind=_kind: _kind_off(kind)  # type: ignore[misc]


@_rule("every kind vetoes (before this check was narrowed)")
def _every_kind() -> Any:
    import qa.line_checks
    from qa.answer_type import Kind

    return mock.patch.object(qa.line_checks, "VETO_KINDS", frozenset(get_args(Kind)))


@_rule("kind check: all kinds")
def _no_kinds() -> Any:
    import qa.line_checks

    return mock.patch.object(qa.line_checks, "supplies", lambda *args, **kwargs: True)


@_rule("subject check")
def _no_subject() -> Any:
    import qa.line_checks

    return mock.patch.object(qa.line_checks, "asked_subject", lambda question: None)


@_rule("role check")
def _no_role() -> Any:
    import qa.line_checks

    return mock.patch.object(qa.line_checks, "asked_role", lambda question: [])


@_rule("counted-noun check")
def _no_count() -> Any:
    import qa.line_checks

    return mock.patch.object(qa.line_checks, "counted_terms", lambda question: [])


@_rule("fit checks (subject, role, count)")
def _no_fit() -> Any:
    import qa.line_checks

    return mock.patch.object(qa.line_checks, "line_fits", lambda *args: True)


@contextmanager
def switched_off(rule: str | None) -> Iterator[None]:
    with ExitStack() as stack:
        if rule is not None:
            stack.enter_context(RULES[rule]())
        yield


def collect(corpus: Path | None, questions: Path, out: Path) -> None:
    """One JSON line per question: what the extractive checks see (see the module doc)."""
    from eval.runner import DEFAULT_GOLD, _ingest_scratch, load_gold, scratch_store
    from index.settings import load_settings
    from qa.answer import EVIDENCE_MARGIN, EVIDENCE_SHOWN, Generation, standalone_question
    from qa.answerability import worth_answering
    from qa.engine import get_engine
    from qa.line_checks import without_repeats
    from qa.prompts import STOP, build_answer_prompt
    from qa.ranker import gate_for

    settings = load_settings()
    if corpus is not None:
        settings = settings.model_copy(
            update={"corpus_dir": corpus, "store_dir": scratch_store(corpus)}
        )
        _ingest_scratch(settings)
    engine = get_engine(settings)
    golds = load_gold(questions or DEFAULT_GOLD)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as sink:
        for number, gold in enumerate(golds, 1):
            standalone = standalone_question(gold.question, list(gold.history), engine)
            heads, _ = engine.gather(standalone)
            evidence = without_repeats(standalone, heads, list(gold.history))
            gated = not worth_answering(
                evidence, threshold=settings.min_evidence_score, ranker_threshold=gate_for(settings)
            )
            shown: list[Evidence] = []
            text = ""
            if not gated:
                best = evidence[0].score
                shown = [e for e in evidence[:EVIDENCE_SHOWN] if e.score >= best - EVIDENCE_MARGIN]
                generation = Generation()
                prompt = build_answer_prompt(standalone, [e.text for e in shown])
                for _ in generation.stream(engine, prompt, stop=STOP, began=0.0):
                    pass
                text = generation.text
            record = {
                "id": gold.id,
                "standalone": standalone,
                "answers": list(gold.answers),
                "by_words": gold.by_words,
                "gated": gated,
                "generated": text,
                "shown": [_line(e) for e in shown],
            }
            sink.write(json.dumps(record) + "\n")
            if number % 50 == 0:
                print(f"{number}/{len(golds)} questions", file=sys.stderr)


def _line(e: Evidence) -> dict[str, Any]:
    kept = asdict(e)
    kept.pop("also")
    return kept


@dataclass(frozen=True)
class Outcome:
    right: int
    wrong: int
    refused_answerable: int
    refused_unanswerable: int
    answered_unanswerable: int


def replay(records: list[dict[str, Any]], similarity: Any) -> Outcome:
    """The checks applied to saved records, as `qa.answer` does after generation."""
    from qa.cite import compose_answer
    from qa.line_checks import answers_the_kind

    right = wrong = refused_ok = refused_bad = answered_bad = 0
    for record in records:
        answerable = bool(record["answers"])
        composed = None
        if not record["gated"]:
            shown = [Evidence(**line) for line in record["shown"]]
            drafted = compose_answer(record["generated"], shown)
            composed = answers_the_kind(record["standalone"], drafted, shown, similarity)
        if composed is None:
            refused_bad += answerable
            refused_ok += not answerable
        elif not answerable:
            answered_bad += 1
        elif answer_correct(composed.text, record["answers"], by_words=record["by_words"]):
            right += 1
        else:
            wrong += 1
    return Outcome(right, wrong, refused_bad, refused_ok, answered_bad)


def word_similarity() -> Callable[[list[str], list[str]], np.ndarray]:
    """The engine's single-word cosine (`Engine.word_similarity`), without a store."""
    from index.embed import OnnxMiniLM

    encoder = OnnxMiniLM()
    cache: dict[str, np.ndarray] = {}

    def similarity(terms: list[str], found: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys([*terms, *found]) if t not in cache]
        if missing:
            cache.update(zip(missing, encoder.encode(missing), strict=True))
        left = np.stack([cache[t] for t in terms]) if terms else np.zeros((0, 384))
        right = np.stack([cache[w] for w in found]) if found else np.zeros((0, 384))
        return left @ right.T

    return similarity


def score(paths: list[Path]) -> None:
    """Print, per set, the outcome with every check on and with each switched off."""
    similarity = word_similarity()
    sets = {p.stem: [json.loads(line) for line in p.read_text().splitlines()] for p in paths}
    header = "| check switched off | " + " | ".join(
        f"{name}: right / wrong / refused ans. / answered unans." for name in sets
    )
    print(header + " |")
    print("|---|" + "---:|" * len(sets))
    for rule in [None, *RULES]:
        cells = []
        for records in sets.values():
            with switched_off(rule):
                outcome = replay(records, similarity)
            cells.append(
                f"{outcome.right} / {outcome.wrong} / {outcome.refused_answerable} / "
                f"{outcome.answered_unanswerable}"
            )
        print(f"| {rule or 'none (all checks on)'} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.rule_replay", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gather = commands.add_parser("collect")
    gather.add_argument("--corpus", type=Path, default=None)
    gather.add_argument("--questions", type=Path, default=None)
    gather.add_argument("--out", type=Path, required=True)
    scoring = commands.add_parser("score")
    scoring.add_argument("records", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "collect":
        collect(args.corpus, args.questions, args.out)
    else:
        score(args.records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
