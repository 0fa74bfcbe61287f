"""The one configuration object of newsqa, read from `NEWSQA_*` environment variables.

Nothing here runs at import time: call `load_settings()` where the program starts and pass
the result down. Bad values fail at that call with the setting's name in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.errors import SettingsError

EMBED_MAX_TOKENS = 256  # the embedding model's max_seq_length; `index.embed` truncates there
# [CLS] and [SEP] take two of those positions: a chunk's word pieces past this would be cut off
# before embedding.
MAX_CHUNK_TOKENS = EMBED_MAX_TOKENS - 2

LocalModel = Literal["gemma-3-270m", "qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct"]


class Settings(BaseSettings):
    """Every knob of newsqa; each has a default that works offline on the bundled corpus."""

    model_config = SettingsConfigDict(env_prefix="NEWSQA_", extra="ignore", frozen=True)

    corpus_dir: Path = Field(
        Path("data/articles"), description="Folder of .txt/.md/.html articles."
    )
    store_dir: Path = Field(
        Path("data/store"), description="Where the embedded Chroma store lives."
    )
    collection: str = Field("newsqa", description="Chroma collection name.", min_length=3)
    chroma_url: str | None = Field(
        None, description="http://host:port of a Chroma server; unset means the embedded store."
    )
    top_k: int = Field(12, description="Chunks retrieved per question.", ge=1, le=100)
    chunk_tokens: int = Field(
        160,
        description="Chunk size in embedding-model tokens (at most what the model reads).",
        ge=32,
        le=MAX_CHUNK_TOKENS,
    )
    chunk_overlap: int = Field(32, description="Overlap between chunks, in tokens.", ge=0, le=128)
    embed_batch_size: int = Field(32, description="Chunks embedded per model call.", ge=1, le=1024)
    embed: Literal["local", "openai"] = Field(
        "local",
        description="Which model embeds: `local` (the bundled MiniLM, in-process) or `openai` "
        "(any OpenAI-compatible /v1/embeddings server: text-embeddings-inference, vLLM, "
        "Infinity, OpenAI).",
    )
    embed_url: str | None = Field(
        None, description="Base URL of the embedding server (…/v1); required for openai."
    )
    embed_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Model name sent to the embedding server; the store records it and "
        "refuses another.",
        min_length=1,
    )
    embed_api_key: str = Field("not-needed", description="API key for the embedding server.")
    embed_timeout: float = Field(
        30.0, description="Seconds to wait for one embedding request.", gt=0
    )
    embed_retries: int = Field(
        3, description="Retries of a request the server refused with 429 or 5xx.", ge=0, le=10
    )
    llm: Literal["local", "openai"] = Field("local", description="Which LLM answers.")
    local_model: LocalModel = Field(
        "gemma-3-270m",
        description="The local model: the bundled Gemma 3 270M base model (extractive, the "
        "measured best at its speed), or a Qwen2.5-Coder instruct model (synthesis) that "
        "`make models` / `make models-large` assembled and verified.",
    )
    llm_model_path: Path | None = Field(
        None,
        description="A GGUF file; overrides local_model (a base model unless "
        "NEWSQA_ANSWER_MODE=synthesis).",
    )
    llm_api: Literal["chat", "completions"] = Field(
        "chat", description="Hosted server API: chat completions, or plain completions."
    )
    answer_mode: Literal["auto", "extractive", "synthesis"] = Field(
        "auto",
        description="extractive: a base model picks a line; synthesis: an instruct model "
        "writes a short cited answer, every sentence verified. auto: synthesis for instruct "
        "models (a Qwen local model, or a hosted chat API), extractive otherwise.",
    )
    llm_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (…/v1).")
    llm_model: str = Field("gemma-3-270m", description="Model name sent to the hosted server.")
    llm_api_key: str = Field("not-needed", description="API key for the hosted server.")
    llm_timeout: float = Field(30.0, description="Seconds to wait for the hosted LLM.", gt=0)
    llm_threads: int = Field(2, description="CPU threads for the local LLM.", ge=1, le=64)
    min_evidence_score: float = Field(
        0.79,
        description="Without learned ranking, and for questions about an article's date, "
        "outlet or author, the gate: questions whose best evidence sentence scores lower "
        "(cosine plus word overlap) are refused before any model runs. 0.79 was chosen on "
        "outside news (python -m eval.calibrate); lower it for archives asked in far-off "
        "wording.",
        ge=-1.0,
        le=3.0,
    )
    min_ranker_score: float | None = Field(
        None,
        description="With learned ranking, the gate: questions whose best evidence sentence "
        "the ranker scores lower are refused before any model runs. Unset: the gate fitted "
        "with the ranker (qa/ranker.json), the 32nd percentile of its train-built questions' "
        "best scores, chosen end to end on outside news (README, \"The gate on the ranker's "
        'score"; python -m eval.unsure_answers prints its replay).',
    )
    learned_ranking: bool = Field(
        True,
        description="Order evidence sentences by the learned ranker (qa/ranker.json, fitted "
        "on ../shared/train questions); off: by the hand-weighted score.",
    )
    passages: int = Field(
        4, description="Sentence windows an instruct model reads per question.", ge=1, le=12
    )
    sure_line: float = Field(
        0.5,
        description="Extractive mode: when the learned ranker gives its first line at least "
        "this probability (softmax over the question's candidate sentences), that line is "
        "the answer and no model runs; 1 asks the model every time. 0.5: the line is likelier "
        "than all the others together.",
        ge=0.0,
        le=1.0,
    )
    unsure_line: float = Field(
        0.25,
        description="Extractive mode: when the learned ranker gives its first line less than "
        "this probability and no evidence sentence scores NEWSQA_SURE_EVIDENCE_SCORE, the "
        "question is refused instead of answered with a guess; 0 turns this off. 0.25 was "
        "chosen on outside news (python -m eval.unsure_answers).",
        ge=0.0,
        le=1.0,
    )
    sure_evidence_score: float = Field(
        1.0,
        description="Evidence score (cosine plus word overlap) at which a question is "
        "answered however unsure the ranker is of its first line (see NEWSQA_UNSURE_LINE).",
        ge=-1.0,
        le=3.0,
    )
    max_answer_tokens: int = Field(64, description="Longest generated answer.", ge=8, le=1024)
    max_question_chars: int = Field(2000, description="Longer questions are refused.", ge=10)
    auth: str | None = Field(None, description="user:password for the web chat login.")
    max_upload_mb: int = Field(
        20,
        description="Largest file the web chat or `newsqa add` takes, and largest total "
        "a .zip may unpack to, in MB (10**6 bytes).",
        ge=1,
        le=1000,
    )

    @field_validator("chroma_url", "llm_url", "embed_url")
    @classmethod
    def _must_be_http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")) or len(value.split("//", 1)[1]) == 0:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("auth")
    @classmethod
    def _must_be_user_colon_password(cls, value: str | None) -> str | None:
        if value is not None and (":" not in value or value.startswith(":")):
            raise ValueError("must look like user:password")
        return value

    @property
    def chroma_path(self) -> Path:
        return self.store_dir / "chroma"

    @property
    def instruct_model(self) -> bool:
        """Whether the configured LLM takes chat messages (has a chat template)."""
        if self.llm == "openai":
            return self.llm_api == "chat"
        return self.llm_model_path is None and self.local_model != "gemma-3-270m"

    @property
    def synthesis(self) -> bool:
        """Whether answers are written by an instruct model (see `answer_mode`)."""
        if self.answer_mode == "auto":
            return self.instruct_model
        return self.answer_mode == "synthesis"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with keyword overrides; errors name the setting.

    >>> load_settings(top_k=3).top_k
    3
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "NEWSQA_" + str(first["loc"][0]).upper() if first["loc"] else "NEWSQA_*"
        raise SettingsError(f"bad setting {name}: {first['msg']}") from None
    if settings.llm == "openai" and settings.llm_url is None:
        raise SettingsError("bad setting NEWSQA_LLM_URL: required when NEWSQA_LLM=openai")
    if settings.embed == "openai" and settings.embed_url is None:
        raise SettingsError("bad setting NEWSQA_EMBED_URL: required when NEWSQA_EMBED=openai")
    if settings.chunk_overlap >= settings.chunk_tokens:
        raise SettingsError("bad setting NEWSQA_CHUNK_OVERLAP: must be smaller than chunk_tokens")
    return settings
