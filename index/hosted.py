"""Embeddings from an OpenAI-compatible `/v1/embeddings` server (NEWSQA_EMBED=openai).

Any server that speaks that API works: text-embeddings-inference, vLLM, Infinity, OpenAI, or
`python -m eval.embed_server` (the bundled MiniLM behind HTTP). Requests go through
llama-index's `OpenAILikeEmbedding`, `embed_batch_size` texts at a time; a 429 or 5xx reply, a
timeout or a refused connection is retried (`NEWSQA_EMBED_RETRIES`, with back-off, by the
OpenAI client) and then becomes a `BackendError` naming the server. Rows come back unit
length whatever the server does, so a dot product stays a cosine.

It deliberately does not check that the server's model is the one the store was written
with: the store records `NEWSQA_EMBED_MODEL` and refuses another name (`index.store`); a
server that serves something else under the same name cannot be told apart.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.errors import BackendError
from index.settings import Settings


class HostedEncoder:
    """`encode(texts) -> float32 (n, dim)` unit rows, computed by an embedding server."""

    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key: str = "not-needed",
        batch_size: int = 32,
        timeout: float = 30.0,
        retries: int = 3,
    ) -> None:
        from llama_index.embeddings.openai_like import OpenAILikeEmbedding

        self.url, self.model_id = url, model
        self._model = OpenAILikeEmbedding(
            model_name=model,
            api_base=url,
            api_key=api_key,
            embed_batch_size=batch_size,
            timeout=timeout,
            max_retries=retries,
        )
        self._dimension: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> HostedEncoder:
        assert settings.embed_url is not None  # load_settings requires it for openai
        return cls(
            url=settings.embed_url,
            model=settings.embed_model,
            api_key=settings.embed_api_key,
            batch_size=settings.embed_batch_size,
            timeout=settings.embed_timeout,
            retries=settings.embed_retries,
        )

    @property
    def dimension(self) -> int:
        """The server's vector width, asked once (with a one-word request) when needed."""
        if self._dimension is None:
            self.encode(["dimension"])
        assert self._dimension is not None
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = self._embeddings(list(texts))
        vectors = np.asarray(rows, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise BackendError(
                f"the embedding server at {self.url} sent {len(vectors)} vectors "
                f"for {len(texts)} texts"
            )
        with self._lock:
            self._dimension = int(vectors.shape[1])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _embeddings(self, texts: list[str]) -> Any:
        try:
            return self._model.get_text_embedding_batch(texts)
        except Exception as exc:  # openai, httpx and tenacity raise many types
            cause = exc
            while getattr(cause, "last_attempt", None) is not None:  # tenacity's RetryError
                inner = cause.last_attempt.exception()  # type: ignore[attr-defined]
                if inner is None:
                    break
                cause = inner
            detail = str(cause).splitlines()[0] if str(cause) else ""
            raise BackendError(
                f"the embedding server at {self.url} failed: {type(cause).__name__}: {detail}"
            ) from None
