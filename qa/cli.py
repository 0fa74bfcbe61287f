"""`newsqa` command line: a thin layer over the library. Domain errors become one line on
stderr and exit code 2; nothing here holds logic of its own."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from index.errors import NewsQAError

T = TypeVar("T")


def _offline_environment() -> None:
    """No telemetry, no hub look-ups: newsqa runs offline after install."""
    for name, value in {
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(name, value)


def cmd_ingest(args: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from index.ingest import ingest
    from index.settings import load_settings

    settings = load_settings()
    corpus = Path(args.path) if args.path else None
    started, chunks = time.perf_counter(), [0]
    bar = tqdm(unit="article", file=sys.stderr, dynamic_ncols=True)

    def count_chunks(embedded: int) -> None:
        chunks[0] += embedded
        rate = chunks[0] / max(time.perf_counter() - started, 1e-9)
        bar.set_postfix(chunks=chunks[0], chunks_per_s=f"{rate:.1f}")

    def progress(items: Iterable[T]) -> Iterator[T]:
        for item in items:
            bar.update(1)
            yield item

    try:
        report = ingest(
            settings,
            corpus_dir=corpus,
            rebuild=args.rebuild,
            progress=progress,
            on_embedded=count_chunks,
            workers=args.workers,
        )
    finally:
        bar.close()
    print(
        f"{report.files_seen} articles: {report.files_indexed} indexed, "
        f"{report.files_unchanged} unchanged, {report.files_removed} removed; "
        f"{report.chunks_embedded} chunks embedded, {report.chunks_deleted} deleted, "
        f"{report.chunks_total} in the index ({report.seconds:.1f} s)"
    )
    return 0


def cmd_articles(args: argparse.Namespace) -> int:
    from index.manage import list_articles
    from index.settings import load_settings

    articles = list_articles(load_settings())
    if args.json:
        print(json.dumps([asdict(a) for a in articles], ensure_ascii=False, indent=2))
        return 0
    for a in articles:
        about = ", ".join(x for x in (a.outlet, a.date) if x)
        line = f"{a.source}\t{a.chunks} chunks\t{a.title or '(untitled)'}"
        print(f"{line} ({about})" if about else line)
    print(f"{len(articles)} articles")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Exit 0 when every file went in, 1 when some were refused (the others still went in)."""
    from index.manage import Upload, add_files
    from index.settings import load_settings

    uploads = [Upload(Path(path).name, Path(path)) for path in args.files]
    report = add_files(load_settings(), uploads)
    for refusal in report.refused:
        print(f"newsqa: {refusal}", file=sys.stderr)
    print(
        f"{len(report.added)} added ({report.chunks_added} chunks), {len(report.refused)} refused"
    )
    return 1 if report.refused else 0


def cmd_remove(args: argparse.Namespace) -> int:
    from index.manage import remove_article
    from index.settings import load_settings

    removal = remove_article(load_settings(), args.file)
    kept = "" if removal.file_deleted else " (its file had already gone)"
    print(f"removed {removal.source} and its {removal.chunks_deleted} chunks{kept}")
    return 0


def format_answer(answer: object) -> str:
    """The answer, then its numbered sources (title, file, quote)."""
    from qa.types import Answer

    assert isinstance(answer, Answer)
    lines = []
    if answer.standalone_question:
        lines.append(f"(understood as: {answer.standalone_question})")
    lines.append(answer.text)
    lines.extend(f"({note})" for note in answer.notes)
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
    for citation in answer.citations:
        where = ", ".join(x for x in (citation.outlet, citation.date) if x)
        span = (
            "article metadata"
            if citation.from_metadata
            else f"chars {citation.start}-{citation.end}"
        )
        lines.append(
            f"[{citation.number}] {citation.title or citation.source}"
            f"{f' ({where})' if where else ''} - {citation.source} {span}"
        )
        lines.append(f'    "{citation.quote}"')
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from index.settings import load_settings
    from qa import ask

    answer = ask(
        args.question,
        settings=load_settings(),
        outlets=args.outlet,
        since=args.since,
        until=args.until,
    )
    if args.json:
        print(json.dumps(asdict(answer), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from index.settings import load_settings
    from qa.app import serve

    serve(load_settings(), host=args.host, port=args.port)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.runner import main as eval_main

    return eval_main(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsqa", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="index a folder of articles")
    ingest.add_argument("path", nargs="?", help="folder (default: NEWSQA_CORPUS_DIR)")
    ingest.add_argument("--rebuild", action="store_true", help="drop the index and rebuild it")
    ingest.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes that load, clean and chunk in parallel (and embedding requests in "
        "flight); the index is the same as with one",
    )
    ingest.set_defaults(run=cmd_ingest)

    articles = commands.add_parser("articles", help="list the indexed articles")
    articles.add_argument("--json", action="store_true", help="print them as JSON")
    articles.set_defaults(run=cmd_articles)

    add = commands.add_parser(
        "add", help="copy article files (or .zip archives of them) into the corpus and index them"
    )
    add.add_argument("files", nargs="+", metavar="FILE")
    add.set_defaults(run=cmd_add)

    remove = commands.add_parser("remove", help="delete an article's file and its index entries")
    remove.add_argument("file", metavar="FILE", help="its name as `newsqa articles` lists it")
    remove.set_defaults(run=cmd_remove)

    ask = commands.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument(
        "--outlet",
        action="append",
        default=None,
        help="answer only from this outlet's articles (repeat for several)",
    )
    ask.add_argument("--since", default=None, help="only articles dated on or after YYYY-MM-DD")
    ask.add_argument("--until", default=None, help="only articles dated on or before YYYY-MM-DD")
    ask.set_defaults(run=cmd_ask)

    chat = commands.add_parser("chat", help="serve the web chat")
    chat.add_argument("--host", default="127.0.0.1")
    chat.add_argument("--port", type=int, default=7860)
    chat.set_defaults(run=cmd_chat)

    evaluate = commands.add_parser("eval", help="score answers against the gold set")
    evaluate.add_argument("--limit", type=int, default=None, help="the first N questions")
    evaluate.add_argument("--sample", type=int, default=None, help="N questions spread evenly")
    evaluate.add_argument("--questions", default=None, help="a .jsonl gold file")
    evaluate.add_argument(
        "--corpus", default=None, help="answer from this folder (indexed into a scratch store)"
    )
    evaluate.add_argument("--store", default=None, help="the scratch store for --corpus")
    evaluate.add_argument(
        "--llm-url", default=None, help="score a hosted OpenAI-compatible model (…/v1)"
    )
    evaluate.add_argument(
        "--baseline", action="store_true", help="also run the stock llama-index pipeline"
    )
    evaluate.add_argument("--out", default="eval/runs", help="folder for run reports")
    evaluate.set_defaults(run=cmd_eval)

    bench = commands.add_parser("bench", help="measure speed and memory")
    bench.add_argument("--sizes", default="1000,10000", help="synthetic chunk counts")
    bench.add_argument("--out", default="bench/results")
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _offline_environment()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    try:
        return int(args.run(args))
    except NewsQAError as exc:
        print(f"newsqa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
