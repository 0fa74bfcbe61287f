"""Start-up cost at corpus sizes for `newsqa bench`, the `startup` step: how long a fresh
process takes from its start until it can answer, its peak RSS by then, and its first
question's retrieval latency, at each requested size, embedded and through `chroma run`.

Two ways of starting are measured on the very same store, each in its own fresh process:

- `persisted` (this code): `load_engine`, which opens the store and the keyword index that
  ingest keeps on disk and reads no chunk;
- `rebuilt` (the code before the keyword index, kept here only to be measured): every chunk
  loaded from Chroma, BM25 (`BM25Retriever`), the IDF table and the vocabulary built from
  them in memory, as `qa.engine` did in every process.

The stores are those of the `retrieval` step (`eval.bench_retrieval.fill_collection`): real
chunk texts and metadata repeated, vectors derived from real ones by noise, keyword index
written as ingest writes it. It does not load the LLM (both ways load it the same, lazily).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from eval.bench_config import BenchConfig, step_settings
from eval.bench_memory import own_peak_rss_mb
from eval.bench_report import Row, StepResult

QUESTION = "Who is quoted as saying Moscow does not want an eternal war?"


def rebuild_search_side(settings: object) -> object:
    """What `qa.engine` did at every start before the keyword index: load every chunk and
    build BM25, IDF and the vocabulary from them (measured, never used to answer)."""
    import Stemmer
    from llama_index.retrievers.bm25 import BM25Retriever

    from index.keywords import spelled_metadata
    from index.store import open_store
    from qa.absence import vocabulary_of
    from qa.lexical import idf_table
    from qa.retrieve import load_nodes

    store = open_store(settings)  # type: ignore[arg-type]
    nodes = load_nodes(store)
    idf = idf_table(node.get_content() for node in nodes)
    texts = (f"{node.get_content()} {spelled_metadata(node.metadata)}" for node in nodes)
    vocabulary = vocabulary_of(texts)
    bm25 = BM25Retriever.from_defaults(
        nodes=nodes, similarity_top_k=12, stemmer=Stemmer.Stemmer("english"), language="english"
    )
    return bm25, idf, vocabulary


def _child(argv: Sequence[str]) -> int:
    """`python -m eval.bench_startup --settings JSON --way persisted|rebuilt`: start, print
    one JSON line when ready (peak RSS), answer one retrieval, print its latency."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--settings", required=True)
    parser.add_argument("--way", choices=("persisted", "rebuilt"), required=True)
    args = parser.parse_args(argv)
    from index.settings import load_settings
    from qa.engine import load_engine

    settings = load_settings(**json.loads(args.settings))
    if args.way == "rebuilt":
        rebuild_search_side(settings)
    engine = load_engine(settings)
    peak = own_peak_rss_mb()  # this process's own, not its parent's (`eval.bench_memory`)
    print(json.dumps({"ready": True, "peak_rss_mb": peak}), flush=True)
    began = time.perf_counter()
    engine.find_evidence(QUESTION)
    print(json.dumps({"first_retrieval_s": time.perf_counter() - began}), flush=True)
    return 0


def measure_start(settings_json: str, way: str) -> dict[str, float]:
    """Start a fresh process; seconds until it is ready, its peak RSS then, and the seconds
    of its first retrieval."""
    command = [sys.executable, "-m", "eval.bench_startup", "--settings", settings_json]
    began = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--way", way], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())
    started_s = time.perf_counter() - began
    first = json.loads(process.stdout.readline())
    process.wait(timeout=120)
    return {
        "start_s": started_s,
        "peak_rss_mb": float(ready["peak_rss_mb"]),
        "first_retrieval_s": float(first["first_retrieval_s"]),
    }


def measure_startup_at(settings_json: str, *, step: str) -> list[Row]:
    rows = []
    for way in ("persisted", "rebuilt"):
        got = measure_start(settings_json, way)
        if json.loads(settings_json)["chroma_url"]:  # the next one is a fresh worker too
            shutil.rmtree(Path(json.loads(settings_json)["store_dir"]), ignore_errors=True)
        rows += [
            Row(step, f"{way}: start-up to ready (s)", round(got["start_s"], 2), "<= 5"),
            Row(step, f"{way}: peak RSS before the first answer (MB)", round(got["peak_rss_mb"])),
            Row(step, f"{way}: first retrieval (ms)", round(got["first_retrieval_s"] * 1000, 1)),
        ]
    return rows


def step_startup(work: Path, config: BenchConfig) -> StepResult:
    """Fill a store per size (as the retrieval step does), then start fresh processes on it."""
    from eval.bench_retrieval import chroma_server, fill_collection, load_base_chunks
    from index.store import drop_store

    base = load_base_chunks(step_settings(work, work / "synthetic", "synthetic-store"))
    rows: list[Row] = []
    with ExitStack() as stack:
        targets: list[tuple[str, str | None]] = [("embedded", None)]
        if config.server:
            server = stack.enter_context(chroma_server(work / "startup-chroma"))
            targets.append(("server", server.url))
        for label, url in targets:
            for size in config.sizes:
                settings = step_settings(
                    work, work / "synthetic", f"startup-{label}-{size}", chroma_url=url
                )
                settings = settings.model_copy(update={"collection": f"startup{size}"})
                insert_s = fill_collection(settings, base, size, seed=config.seed)
                step = f"startup {size:,} {label}"
                rows.append(Row(step, "fill with keywords (s)", round(insert_s, 1)))
                # through a server, a fresh worker: no local copy of the keyword index yet
                fresh = settings.store_dir / "fresh-worker" if url else settings.store_dir
                fields = {
                    "corpus_dir": str(settings.corpus_dir),
                    "store_dir": str(fresh),
                    "collection": settings.collection,
                    "chroma_url": url,
                }
                rows += measure_startup_at(json.dumps(fields), step=step)
                drop_store(settings)
    note = "startup: 'rebuilt' is the code before the keyword index, measured on the same store"
    return StepResult(tuple(rows), (note,))


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(_child(sys.argv[1:]))
