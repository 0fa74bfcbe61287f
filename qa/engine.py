"""Everything a question needs, opened once per settings: store, keyword index, encoder,
retriever.

`get_engine(settings)` builds the index first when the store is empty, so the very first
`ask` on a fresh machine works. Opening reads no chunk: BM25, IDF and the vocabulary are
asked of the keyword index that ingest keeps on disk (`index.keywords`), so start-up time and
memory do not grow with the corpus. The LLM loads on first use, so retrieval-only work (the
evaluation's retrieval metrics, the benchmark) never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.embed import CachedVectors, Encoder, open_encoder
from index.errors import BackendError, NewsQAError
from index.ingest import ingest
from index.keywords import KeywordIndex, spelled_metadata
from index.settings import Settings
from index.store import FileRecord, Store, chunk_digest, open_store, reconcile_keywords
from qa.absence import absent_entities
from qa.evidence import (
    RetrievedChunk,
    chunk_ranks,
    chunk_sentences,
    fold_near_duplicates,
    rank_evidence,
    rerank_chunks,
)
from qa.lexical import stems
from qa.ranker import learned_order, open_answer_encoder
from qa.retrieve import build_retriever, retrieve_chunks
from qa.types import Evidence

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_SENTENCE_CACHE_LIMIT = 50_000
__all__ = ["Engine", "forget_engines", "get_engine", "load_engine", "spelled_metadata"]


@contextmanager
def store_failures_named(where: str) -> Iterator[None]:
    """Turn a failing store call (a Chroma server gone) into a `BackendError` naming it."""
    try:
        yield
    except NewsQAError:
        raise
    except Exception as exc:  # chromadb and httpx raise many types
        raise BackendError(
            f"the vector store at {where} failed: {type(exc).__name__}: {exc}"
        ) from None


@dataclass
class Engine:
    settings: Settings
    store: Store
    encoder: Encoder
    keywords: KeywordIndex
    retriever: Any
    _llm: Any = None
    _llm_lock: threading.Lock = field(default_factory=threading.Lock)
    _vectors: CachedVectors = field(init=False)
    _word_vectors: CachedVectors = field(init=False)
    _answer_vectors: CachedVectors | None = None
    _answer_lock: threading.Lock = field(default_factory=threading.Lock)
    _generation: int = -1
    _unknown_idf: float = 1.5
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock)
    _catalog: tuple[int, dict[str, FileRecord]] | None = None

    def refresh_if_changed(self) -> None:
        """Catch up with an ingest or removal since the last question, keyed on the keyword
        index's persisted generation (so a remove and an add that keep the counts equal are
        seen too). Dense search and BM25 read the stores live; `served` hides half-written
        file versions; what is cached here is the IDF of a stem no chunk holds."""
        generation = self.keywords.sync()
        if generation == self._generation:
            return
        with self._refresh_lock:
            self._unknown_idf = self.keywords.unknown_idf()
            self._generation = generation

    def served(self, chunks: list[RetrievedChunk]) -> list[RetrievedChunk]:
        """Only chunks of the file version the manifest serves: while an ingest rewrites a
        file, questions keep seeing its previous complete version, never a mix."""
        if not chunks:
            return chunks
        records = self.store.file_records([c.source for c in chunks])
        return [
            c
            for c in chunks
            if c.source in records and chunk_digest(c.id) == records[c.source].served_digest
        ]

    def catalog(self) -> dict[str, FileRecord]:
        """The manifest records of the articles questions are answered from (title, outlet,
        date, author), read again when the index's generation changes."""
        with store_failures_named(self.store.where):
            self.refresh_if_changed()
            cached, generation = self._catalog, self._generation
            if cached is None or cached[0] != generation:
                served = {s: r for s, r in self.store.file_records().items() if r.served_digest}
                cached = self._catalog = (generation, served)
        return cached[1]

    def article_sentences(self, source: str) -> list[Evidence]:
        """Every sentence of one article's served chunks, story text and page furniture, in
        file order (where a metadata answer finds the line its value was read from)."""
        with store_failures_named(self.store.where):
            got = self.store.chunks.get(
                where={"source": source}, include=["documents", "metadatas"]
            )
        chunks = [
            RetrievedChunk(
                id=chunk_id,
                source=source,
                start=int(meta["start"]),
                end=int(meta["end"]),
                text=text,
                title=str(meta["title"]) or None,
                outlet=str(meta["outlet"]) or None,
                date=str(meta["date"]) or None,
                score=0.0,
                furniture=bool(meta.get("furniture", False)),
            )
            for chunk_id, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            )
        ]
        return sorted(chunk_sentences(self.served(chunks)), key=lambda s: s.start)

    @property
    def llm(self) -> Any:
        with self._llm_lock:
            if self._llm is None:
                from qa.llm import build_llm

                self._llm = build_llm(self.settings)
            return self._llm

    @property
    def llm_where(self) -> str:
        return self.settings.llm_url or "local GGUF model"

    def __post_init__(self) -> None:
        self._vectors = CachedVectors(self.encoder, _SENTENCE_CACHE_LIMIT)
        self._word_vectors = CachedVectors(self.encoder, _SENTENCE_CACHE_LIMIT)

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        """Vectors of sentences, cached: the same article sentences recur across questions."""
        return self._vectors.encoded(texts)

    def word_similarity(self, terms: Sequence[str], words: Sequence[str]) -> np.ndarray:
        """Cosine of each term's embedding against each word's (words and short phrases,
        cached)."""
        return self._word_vectors.similarity(terms, words)

    def answer_cosines(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """Each text's cosine to the question under the answer encoder (the learned ranker's
        second MiniLM, `qa.ranker.open_answer_encoder`; loaded on first use, vectors cached)."""
        with self._answer_lock:
            if self._answer_vectors is None:
                encoder = open_answer_encoder(self.settings.llm_threads)
                self._answer_vectors = CachedVectors(encoder, _SENTENCE_CACHE_LIMIT)
        return self._answer_vectors.similarity([question], texts)[0]

    def absent_entities(self, question: str) -> list[str]:
        """Names and figures of the question that no indexed article mentions."""
        with store_failures_named(self.store.where):
            self.refresh_if_changed()
            return absent_entities(question, self.keywords)

    def find_evidence(
        self, question: str, *, sources: frozenset[str] | None = None
    ) -> list[Evidence]:
        """Ranked, de-duplicated evidence sentences for a standalone question (from `sources`
        only, when given); a store that fails (a Chroma server that went down) becomes a
        `BackendError` naming it."""
        return self.gather(question, sources=sources)[0]

    def gather(
        self, question: str, *, sources: frozenset[str] | None = None
    ) -> tuple[list[Evidence], list[Evidence]]:
        """The ranked, de-duplicated evidence sentences, and every sentence retrieved (in
        ranked order: the neighbours that passages are built from)."""
        with store_failures_named(self.store.where):
            ranked = self._ranked_sentences(question, sources)[1]
        return fold_near_duplicates(ranked), [sentence for sentence, _ in ranked]

    def reranked_chunks(self, question: str) -> list[RetrievedChunk]:
        """The retrieved chunks reordered by their best sentence's evidence score: the order
        in which the pipeline uses them (what the evaluation's retrieval metrics score)."""
        with store_failures_named(self.store.where):
            chunks, ranked = self._ranked_sentences(question)
        return rerank_chunks(chunks, [sentence for sentence, _ in ranked])

    def _ranked_sentences(
        self, question: str, sources: frozenset[str] | None = None
    ) -> tuple[list[RetrievedChunk], list[tuple[Evidence, np.ndarray]]]:
        self.refresh_if_changed()
        chunks = self.served(retrieve_chunks(self.retriever, question, sources=sources))
        sentences = chunk_sentences(chunks)
        vectors = self.embed_sentences([s.text for s in sentences])
        question_vector = self.encoder.encode([question])[0]
        ranked = rank_evidence(
            question,
            question_vector,
            sentences,
            vectors,
            self.keywords.idf(stems(question)),
            unknown_idf=self._unknown_idf,
        )
        if self.settings.learned_ranking:
            lines = [line for line, _ in ranked]
            ranks = chunk_ranks(chunks, lines)
            ranked = learned_order(
                question,
                ranked,
                ranks,
                similarity=self.word_similarity,
                answer_cosines=list(self.answer_cosines(question, [line.text for line in lines])),
            )
        return chunks, ranked


def load_engine(settings: Settings) -> Engine:
    """Open the store and its keyword index (indexing the corpus first when the store is
    empty); reads no chunk."""
    store = open_store(settings)
    encoder = open_encoder(settings)
    if store.files.count() == 0:
        ingest(settings, encoder=encoder)
    if store.keywords.generation() == 0:  # a store from before the keyword index: once
        reconcile_keywords(store)
    keywords = store.keywords
    retriever = build_retriever(store, encoder, keywords, top_k=settings.top_k)
    engine = Engine(settings, store, encoder, keywords, retriever)
    engine.refresh_if_changed()
    return engine


def get_engine(settings: Settings) -> Engine:
    """The engine for these settings, built on first use and shared after."""
    key = settings.model_dump_json()
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = load_engine(settings)
        return _ENGINES[key]


def forget_engines() -> None:
    """Drop cached engines (after an ingest, so the next question sees the new index)."""
    with _ENGINES_LOCK:
        _ENGINES.clear()
