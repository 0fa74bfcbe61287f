"""Retrieval latency at collection sizes for `newsqa bench`, the `retrieval` step: dense
and hybrid retrieval (`qa.retrieve.build_retriever`) over a Chroma collection of each
requested size, embedded and, when `chroma run` starts, served; with the seconds to insert
the chunks (vectors and keyword index), to open the store, and to build the hybrid
retriever, and the server's peak RSS.

Only the ingest step's chunks are real vectors; the rest are those vectors plus Gaussian
noise, re-normalised, stored with the real texts and metadata repeated (embedding 100k
chunks would take one to two hours here). So it does not measure embedding the chunks, nor
whether the right ones come back (that is `newsqa eval`): the derived chunks repeat the texts.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_config import BenchConfig, BenchError, gold_questions, step_settings
from eval.bench_memory import stop_and_measure
from eval.bench_report import Row, StepResult, latency_rows
from eval.servers import ServerStartError, free_port, wait_until_answering
from index.settings import Settings

REAL_VECTORS = 400  # real chunk vectors the retrieval collections are derived from
NOISE = 0.05  # standard deviation per dimension of the derivation noise (before re-norming)
INSERT_BATCH = 1000
SERVER_START_S = 60.0


@dataclass(frozen=True)
class BaseChunks:
    """Real stored chunks: what the synthetic retrieval collections are derived from."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    metadatas: tuple[dict[str, Any], ...]
    vectors: np.ndarray = field(repr=False)


def derived_vectors(
    base: np.ndarray, start: int, stop: int, *, noise: float, seed: int
) -> np.ndarray:
    """Rows `start..stop` of an endless table of unit vectors: row i is `base[i]` itself while
    i < len(base), else `base[i % len(base)]` plus Gaussian noise, re-normalised. The noise is
    seeded by (seed, start), so the same call always gives the same rows."""
    rows = np.arange(start, stop)
    vectors = base[rows % len(base)].astype(np.float32)
    derived = rows >= len(base)
    rng = np.random.default_rng([seed, start])
    vectors[derived] += rng.normal(0.0, noise, (int(derived.sum()), base.shape[1]))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


def load_base_chunks(settings: Settings, *, limit: int = REAL_VECTORS) -> BaseChunks:
    """Up to `limit` stored chunks with their vectors (text and newsqa metadata only)."""
    from index.store import open_store

    got = open_store(settings).chunks.get(
        include=["documents", "metadatas", "embeddings"], limit=limit
    )
    if not got["ids"]:
        raise BenchError(f"no chunks in {settings.chroma_path}; the ingest step must run first")
    keys = ("source", "start", "end", "title", "outlet", "date")
    metadatas = tuple({k: m[k] for k in keys} for m in got["metadatas"])
    return BaseChunks(
        tuple(got["ids"]),
        tuple(got["documents"]),
        metadatas,
        np.asarray(got["embeddings"], dtype=np.float32),
    )


def fill_collection(settings: Settings, base: BaseChunks, size: int, *, seed: int) -> float:
    """Write `size` chunks (real ones first, then derived) through the newsqa store and its
    keyword index, as ingest writes them; seconds."""
    from llama_index.core.schema import TextNode

    from index.keywords import KeywordEntry
    from index.store import open_store

    store = open_store(settings)
    vector_store = store.vector_store()
    began = time.perf_counter()
    for start in range(0, size, INSERT_BATCH):
        stop = min(size, start + INSERT_BATCH)
        vectors = derived_vectors(base.vectors, start, stop, noise=NOISE, seed=seed)
        nodes = []
        for i, vector in zip(range(start, stop), vectors, strict=True):
            j = i % len(base.ids)
            nodes.append(
                TextNode(
                    id_=base.ids[j] if i == j else f"{base.ids[j]}~{i}",
                    text=base.texts[j],
                    metadata=dict(base.metadatas[j]),
                    embedding=vector.tolist(),
                )
            )
        vector_store.add(nodes)
        store.keywords.add([KeywordEntry(n.node_id, n.text, n.metadata) for n in nodes])
    store.put_file_records(base_records(base))  # so that the chunks are served
    store.keywords.publish()
    return time.perf_counter() - began


def base_records(base: BaseChunks) -> list[Any]:
    """Complete manifest records for the base chunks' files (a derived chunk's id keeps its
    base chunk's file digest, so the manifest serves it too)."""
    from index.store import FileRecord, chunk_digest

    records = {}
    for chunk_id, meta in zip(base.ids, base.metadatas, strict=True):
        source = str(meta["source"])
        records[source] = FileRecord(
            source,
            chunk_digest(chunk_id),
            "complete",
            0,
            str(meta["title"]) or None,
            str(meta["outlet"]) or None,
            str(meta["date"]) or None,
            "2024-01-01T00:00:00+00:00",
        )
    return list(records.values())


def time_queries(retriever: Any, queries: Sequence[str]) -> list[float]:
    """Seconds per `retrieve_chunks` call, after one untimed warm-up query."""
    from qa.retrieve import retrieve_chunks

    retrieve_chunks(retriever, queries[0])
    seconds = []
    for query in queries:
        began = time.perf_counter()
        retrieve_chunks(retriever, query)
        seconds.append(time.perf_counter() - began)
    return seconds


def measure_retrieval(
    settings: Settings,
    encoder: Any,
    base: BaseChunks,
    *,
    size: int,
    queries: Sequence[str],
    label: str,
    seed: int = 0,
) -> StepResult:
    """Fill a collection of `size` chunks, then time dense and hybrid retrieval over it."""
    from index.store import open_store
    from qa.retrieve import build_retriever

    step = f"retrieval {size:,} {label}"
    insert_s = fill_collection(settings, base, size, seed=seed)
    began = time.perf_counter()
    store = open_store(settings)
    opened = time.perf_counter()
    rows = [
        Row(step, "insert with keywords (s)", round(insert_s, 2)),
        Row(step, "open store (s)", round(opened - began, 2)),
    ]
    for mode in ("dense", "hybrid"):
        began = time.perf_counter()
        retriever = build_retriever(store, encoder, store.keywords, top_k=settings.top_k, mode=mode)
        if mode == "hybrid":
            rows.append(Row(step, "hybrid build (s)", round(time.perf_counter() - began, 2)))
        rows.extend(latency_rows(step, mode, time_queries(retriever, queries)))
    real = min(size, len(base.ids))
    note = f"{step}: vectors: {real:,} real + {size - real:,} derived; {len(queries)} queries"
    return StepResult(tuple(rows), (note,))


def wait_for_heartbeat(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        wait_until_answering(f"{url}/api/v2/heartbeat", process, seconds, name="chroma run")
    except ServerStartError as exc:
        raise BenchError(str(exc)) from None


@dataclass
class ChromaServer:
    """A `chroma run` on 127.0.0.1; `peak_mb` is filled in once it has stopped."""

    url: str
    peak_mb: float = 0.0


@contextmanager
def chroma_server(path: Path) -> Iterator[ChromaServer]:
    """Start `chroma run` on a free port, wait for its heartbeat, always stop it."""
    binary = Path(sys.executable).parent / "chroma"
    if not binary.exists():
        raise BenchError(f"no chroma command at {binary}")
    port = free_port()
    process = subprocess.Popen(
        [str(binary), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = ChromaServer(f"http://127.0.0.1:{port}")
    try:
        wait_for_heartbeat(server.url, process, SERVER_START_S)
        yield server
    finally:
        server.peak_mb = stop_and_measure(process)


def _retrieval_sizes(
    work: Path,
    encoder: Any,
    base: BaseChunks,
    config: BenchConfig,
    *,
    chroma_url: str | None = None,
) -> list[StepResult]:
    """One fresh collection per size, measured, then dropped (100k chunks take room)."""
    from index.store import drop_store

    queries = gold_questions(config.queries, answerable_only=False)
    label = "server" if chroma_url else "embedded"
    results = []
    for size in config.sizes:
        # a folder per size: Chroma caches its client per folder, so one is never reused
        settings = step_settings(
            work, work / "synthetic", f"retrieval-{size}", chroma_url=chroma_url
        )
        settings = settings.model_copy(update={"collection": f"bench{size}"})
        results.append(
            measure_retrieval(
                settings, encoder, base, size=size, queries=queries, label=label, seed=config.seed
            )
        )
        drop_store(settings)
    return results


def step_retrieval(work: Path, config: BenchConfig) -> StepResult:
    from index.embed import OnnxMiniLM

    base_settings = step_settings(work, work / "synthetic", "synthetic-store")
    base = load_base_chunks(base_settings)
    encoder = OnnxMiniLM(threads=base_settings.llm_threads)
    results = _retrieval_sizes(work, encoder, base, config)
    notes = []
    if config.server:
        try:
            with chroma_server(work / "chroma-server") as server:
                results += _retrieval_sizes(work, encoder, base, config, chroma_url=server.url)
            results.append(
                StepResult(
                    (Row("retrieval", "chroma server peak RSS (MB)", round(server.peak_mb, 1)),)
                )
            )
        except Exception as exc:  # best effort: the embedded numbers stand on their own
            notes.append(f"retrieval through a chroma server not measured: {exc}")
    rows = tuple(row for result in results for row in result.rows)
    return StepResult(rows, tuple(n for r in results for n in r.notes) + tuple(notes))
