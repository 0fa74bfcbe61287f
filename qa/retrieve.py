"""Hybrid retrieval: dense (Chroma through llama-index) and BM25, fused by reciprocal rank.

Built on llama-index's `QueryFusionRetriever` with one query (no LLM-generated variants), a
`VectorStoreIndex` over the `ChromaVectorStore`, and `KeywordRetriever`: BM25 over the keyword
index that ingest keeps on disk (`index.keywords`), its hits fetched from Chroma by id. It
returns what llama-index's `BM25Retriever` over every stored chunk returned (same nodes,
scores and order) without loading any chunk when it is built.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index.embed import Encoder, MiniLMEmbedding
from index.keywords import BM25_KEYS, KeywordIndex
from index.store import Store
from qa.evidence import RetrievedChunk

FUSION_MODES = ("dense", "bm25", "hybrid")


def load_nodes(store: Store) -> list[Any]:
    """Every stored chunk as a llama-index TextNode (text and metadata, no vectors): what the
    stock pipeline and the keyword-index check read; never loaded to answer questions."""
    nodes: list[Any] = []
    total = store.chunks.count()
    for offset in range(0, total, 2000):
        page = store.chunks.get(include=["documents", "metadatas"], limit=2000, offset=offset)
        for chunk_id, text, meta in zip(
            page["ids"], page["documents"], page["metadatas"], strict=True
        ):
            metadata = {k: meta[k] for k in BM25_KEYS}
            nodes.append(TextNode(id_=chunk_id, text=text, metadata=metadata))
    return nodes


class KeywordRetriever(BaseRetriever):
    """BM25 over the persisted keyword index; hits come back as `BM25Retriever`'s did: text
    and the six `BM25_KEYS` of metadata, so reciprocal-rank fusion treats them the same."""

    def __init__(
        self,
        store: Store,
        keywords: KeywordIndex,
        *,
        top_k: int,
        sources: frozenset[str] | None = None,
    ) -> None:
        super().__init__()
        self._store, self._keywords, self._top_k = store, keywords, top_k
        self.sources = sources  # only chunks of these article files, when set

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._keywords.bm25_top(query_bundle.query_str, self._top_k, sources=self.sources)
        if not hits:
            return []
        got = self._store.chunks.get(
            ids=[chunk_id for chunk_id, _ in hits], include=["documents", "metadatas"]
        )
        stored = {
            chunk_id: (text, meta)
            for chunk_id, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            )
        }
        return [
            NodeWithScore(
                node=TextNode(
                    id_=chunk_id,
                    text=stored[chunk_id][0],
                    metadata={k: stored[chunk_id][1][k] for k in BM25_KEYS},
                ),
                score=score,
            )
            for chunk_id, score in hits
            if chunk_id in stored  # a chunk deleted since: gone from the answer too
        ]


def build_retriever(
    store: Store,
    encoder: Encoder,
    keywords: KeywordIndex,
    *,
    top_k: int,
    mode: str = "hybrid",
) -> Any:
    """A llama-index retriever of `top_k` chunks: dense, BM25, or both fused."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever

    embed_model = MiniLMEmbedding(encoder)
    dense = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=embed_model)
    dense_retriever = dense.as_retriever(similarity_top_k=top_k)
    if mode == "dense":
        return dense_retriever
    bm25 = KeywordRetriever(store, keywords, top_k=top_k)
    if mode == "bm25":
        return bm25
    return QueryFusionRetriever(
        [dense_retriever, bm25],
        llm=MockLLM(),
        mode="reciprocal_rerank",  # type: ignore[arg-type]
        num_queries=1,
        use_async=False,
        similarity_top_k=top_k,
    )


def restricted_retriever(retriever: Any, sources: frozenset[str]) -> Any:
    """The same retriever limited to chunks of `sources` (an `ArticleFilter`'s files): the
    dense side asks Chroma for those files only (a `source IN` filter), the BM25 side scores
    only their chunks. Copies: the shared retriever is left as it was, so questions with and
    without filters can run at once."""
    import copy

    from llama_index.core.retrievers import QueryFusionRetriever, VectorIndexRetriever
    from llama_index.core.vector_stores.types import (
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    wanted = MetadataFilters(
        filters=[MetadataFilter(key="source", value=sorted(sources), operator=FilterOperator.IN)]
    )

    def limited(part: Any) -> Any:
        part = copy.copy(part)
        if isinstance(part, VectorIndexRetriever):
            part._filters = wanted
        elif isinstance(part, KeywordRetriever):
            part.sources = sources
        return part

    if isinstance(retriever, QueryFusionRetriever):
        fused = copy.copy(retriever)
        fused._retrievers = [limited(part) for part in retriever._retrievers]
        return fused
    return limited(retriever)


def retrieve_chunks(
    retriever: Any, question: str, *, sources: frozenset[str] | None = None
) -> list[RetrievedChunk]:
    """Run the retriever and turn its nodes into `RetrievedChunk`s, best first."""
    results = []
    if sources is not None:
        retriever = restricted_retriever(retriever, sources)
    for hit in retriever.retrieve(question):
        meta = hit.node.metadata
        if sources is not None and str(meta["source"]) not in sources:
            continue
        results.append(
            RetrievedChunk(
                id=hit.node.node_id,
                source=str(meta["source"]),
                start=int(meta["start"]),
                end=int(meta["end"]),
                text=hit.node.get_content(),
                title=str(meta["title"]) or None,
                outlet=str(meta["outlet"]) or None,
                date=str(meta["date"]) or None,
                score=float(hit.score or 0.0),
                furniture=bool(meta.get("furniture", False)),
            )
        )
    return results
