"""The stock llama-index pipeline over the same corpus, embedding model and LLM as newsqa.

What newsqa is compared against: `SimpleDirectoryReader` on the raw article files (no
cleaning), `VectorStoreIndex.from_documents` with llama-index's default chunking, and
`CitationQueryEngine.from_args` with its default parameters (top 2 chunks, re-split into
"Source N:" citation chunks, compact-and-refine answering). The embedding model and LLM are
passed explicitly, never taken from llama-index's global `Settings`; its tokenizer (tiktoken)
is read from files shipped inside llama-index-core, so nothing is downloaded.

It deliberately gets no help: no follow-up rewriting (the stock query engine has no
conversation memory, so a follow-up is asked as written), no abstention threshold (it abstains
only when the response is empty) and no citation checks. Every source node the engine returns
becomes a citation, numbered 1..n as in its prompt.
"""

from __future__ import annotations

import re
import time
from typing import Any

from eval.metrics import Latency, Span, SystemAnswer
from qa.engine import Engine
from qa.types import Citation

_SOURCE_LABEL = re.compile(r"\ASource \d+:\n")
_EMPTY_RESPONSES = frozenset({"", "Empty Response"})


def citation_quote(node_text: str) -> str:
    """A citation node's text without the engine's "Source N:" label and closing newline.

    >>> citation_quote("Source 2:\\nPeskov said so.\\n")
    'Peskov said so.'
    """
    quote = _SOURCE_LABEL.sub("", node_text, count=1)
    return quote.removesuffix("\n")


def source_citation(number: int, source: str, quote: str, text: str | None) -> Citation:
    """Citation `number` of `source`, located at the quote's first verbatim occurrence in the
    article `text` (offsets -1 when the quote is not found there).

    >>> source_citation(1, "a.txt", "fish", "Cats eat fish.").start
    9
    """
    start = text.find(quote) if text is not None and quote else -1
    end = start + len(quote) if start >= 0 else -1
    return Citation(number, source, None, None, None, quote, start, end)


class StockPipeline:
    """llama-index's `CitationQueryEngine` over a fresh in-memory index of the corpus."""

    def __init__(self, engine: Engine, texts: dict[str, str]) -> None:
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.query_engine import CitationQueryEngine

        from index.embed import MiniLMEmbedding

        documents = SimpleDirectoryReader(str(engine.settings.corpus_dir)).load_data()
        index = VectorStoreIndex.from_documents(
            documents, embed_model=MiniLMEmbedding(engine.encoder)
        )
        self._query_engine = CitationQueryEngine.from_args(index, llm=engine.llm)
        self._llm = engine.llm
        self._texts = texts

    def answer(self, question: str) -> SystemAnswer:
        """Retrieve and synthesise as `query()` does, timing the two stages apart."""
        from llama_index.core.schema import QueryBundle

        bundle = QueryBundle(question)
        began = time.perf_counter()
        nodes = self._query_engine.retrieve(bundle)
        retrieved = time.perf_counter()
        response = self._query_engine.synthesize(bundle, nodes)
        done = time.perf_counter()
        text = str(getattr(response, "response", None) or "").strip()  # not streaming
        citations = tuple(
            self._citation(n, node) for n, node in enumerate(response.source_nodes, 1)
        )
        return SystemAnswer(
            text=text,
            abstained=text in _EMPTY_RESPONSES,
            standalone=question,
            citations=citations,
            retrieved=tuple(Span(c.source, c.start, c.end) for c in citations),
            latency=Latency(
                retrieved - began, done - retrieved, done - began, self._count_tokens(text)
            ),
        )

    def _citation(self, number: int, node: Any) -> Citation:
        source = str(node.node.metadata.get("file_name", ""))
        quote = citation_quote(node.node.get_content())
        return source_citation(number, source, quote, self._texts.get(source))

    def _count_tokens(self, text: str) -> int | None:
        """Tokens of the final response in the LLM's own tokenizer, when it exposes one."""
        count = getattr(self._llm, "count_tokens", None)
        return int(count(text)) if callable(count) and text else None
