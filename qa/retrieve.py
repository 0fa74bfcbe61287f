"""Hybrid retrieval: dense (Chroma through llama-index) and BM25, fused by reciprocal rank.

Built on llama-index's `QueryFusionRetriever` with one query (no LLM-generated variants), a
`VectorStoreIndex` over the `ChromaVectorStore`, and a `BM25Retriever` over the same chunks,
loaded from Chroma when the retriever is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from index.embed import MiniLMEmbedding, OnnxMiniLM
from index.store import Store
from qa.evidence import RetrievedChunk

FUSION_MODES = ("dense", "bm25", "hybrid")


def load_nodes(store: Store) -> list[Any]:
    """Every stored chunk as a llama-index TextNode (text and metadata, no vectors)."""
    from llama_index.core.schema import TextNode

    nodes: list[Any] = []
    total = store.chunks.count()
    for offset in range(0, total, 2000):
        page = store.chunks.get(include=["documents", "metadatas"], limit=2000, offset=offset)
        for chunk_id, text, meta in zip(
            page["ids"], page["documents"], page["metadatas"], strict=True
        ):
            metadata = {k: meta[k] for k in ("source", "start", "end", "title", "outlet", "date")}
            nodes.append(TextNode(id_=chunk_id, text=text, metadata=metadata))
    return nodes


def build_retriever(
    store: Store, encoder: OnnxMiniLM, nodes: Sequence[Any], *, top_k: int, mode: str = "hybrid"
) -> Any:
    """A llama-index retriever of `top_k` chunks: dense, BM25, or both fused."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever

    embed_model = MiniLMEmbedding(encoder)
    dense = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=embed_model)
    dense_retriever = dense.as_retriever(similarity_top_k=top_k)
    if mode == "dense" or not nodes:
        return dense_retriever
    import Stemmer
    from llama_index.retrievers.bm25 import BM25Retriever

    bm25 = BM25Retriever.from_defaults(
        nodes=list(nodes),
        similarity_top_k=min(top_k, len(nodes)),
        stemmer=Stemmer.Stemmer("english"),
        language="english",
    )
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
    dense side asks Chroma for those files only (a `source IN` filter), the BM25 side masks
    every other chunk's score to zero. Copies: the shared retriever is left as it was, so
    questions with and without filters can run at once. `retrieve_chunks` with `sources`
    drops any masked chunk BM25 still returns with score zero."""
    import copy

    from llama_index.core.retrievers import QueryFusionRetriever, VectorIndexRetriever
    from llama_index.core.vector_stores.types import (
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )
    from llama_index.retrievers.bm25 import BM25Retriever

    wanted = MetadataFilters(
        filters=[MetadataFilter(key="source", value=sorted(sources), operator=FilterOperator.IN)]
    )

    def limited(part: Any) -> Any:
        part = copy.copy(part)
        if isinstance(part, VectorIndexRetriever):
            part._filters = wanted
        elif isinstance(part, BM25Retriever):
            part.corpus_weight_mask = [int(node["source"] in sources) for node in part.corpus]
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
