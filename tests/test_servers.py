"""Server mode against real servers on 127.0.0.1: `chroma run` for the store and llama.cpp's
OpenAI-compatible server for the hosted LLM, plus servers that fail in the ways real ones do."""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eval.servers import free_port, wait_until_answering
from index.errors import BackendError, StoreError
from index.ingest import ingest
from index.settings import load_settings
from qa.answer import stream_answer
from qa.engine import forget_engines, load_engine
from qa.types import Final, Token
from tests.conftest import BUNDLED_CORPUS

pytestmark = [pytest.mark.server, pytest.mark.slow]
BIN = Path(sys.executable).parent


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def _start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        str(BIN / "chroma"),
        "run",
        "--path",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_answering(
        f"http://127.0.0.1:{port}/api/v2/heartbeat", process, 60, name="chroma run"
    )
    return process


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    process = _start_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def test_chroma_server_down_mid_session_then_back(tmp_path: Path) -> None:
    port, path = free_port(), tmp_path / "chroma"
    url = f"http://127.0.0.1:{port}"
    settings = load_settings(corpus_dir=BUNDLED_CORPUS, store_dir=tmp_path, chroma_url=url)
    process = _start_chroma(path, port)
    try:
        ingest(settings)
        engine = load_engine(settings)
        assert engine.find_evidence("Who said Russia does not want an eternal war?")
    finally:
        _stop(process)
    with pytest.raises(BackendError, match=f"vector store at {url.replace('.', '[.]')}"):
        engine.find_evidence("Who said Russia does not want an eternal war?")
    process = _start_chroma(path, port)  # the same data comes back
    try:
        evidence = engine.find_evidence("Who said Russia does not want an eternal war?")
    finally:
        _stop(process)
    assert any("Peskov" in line.text for line in evidence[:3])


def _start_llama_server(port: int, model: Path | None = None) -> subprocess.Popen[bytes]:
    """llama.cpp's OpenAI-compatible server; the bundled Gemma base model unless `model`."""
    from qa.llm import bundled_model_path

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model or bundled_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_answering(
        f"http://127.0.0.1:{port}/v1/models", process, 120, name="llama_cpp.server"
    )
    return process


def test_chroma_server_mode_ingests_and_answers(chroma_server: str, tmp_path: Path) -> None:
    settings = load_settings(
        corpus_dir=BUNDLED_CORPUS,
        store_dir=tmp_path / "unused",
        chroma_url=chroma_server,
        collection="served",
    )
    first = ingest(settings)
    again = ingest(settings)
    assert first.chunks_total > 20 and again.chunks_embedded == 0
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing went to the local folder
    events = list(stream_answer("Who said Russia does not want an eternal war?", settings=settings))
    answer = next(e.answer for e in events if isinstance(e, Final))
    assert "Peskov" in answer.text
    forget_engines()


def test_unreachable_chroma_server_names_its_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(corpus_dir=BUNDLED_CORPUS, store_dir=tmp_path, chroma_url=url)
    with pytest.raises(StoreError, match=url.replace(".", r"\.")):
        ingest(settings)


def test_hosted_llm_streams_and_recovers_after_an_outage(bundled_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    settings = bundled_settings.model_copy(
        update={
            "llm": "openai",
            "llm_api": "completions",  # a base model: plain completions, extractive answers
            "llm_url": f"http://127.0.0.1:{port}/v1",
            "llm_timeout": 20.0,
            "sure_line": 1.0,  # the model runs for every question, even a sure one
        }
    )
    assert not settings.synthesis
    question = "Who said Russia does not want an eternal war?"
    started = time.monotonic()
    with pytest.raises(BackendError, match=f"127.0.0.1:{port}"):
        list(stream_answer(question, settings=settings))
    assert time.monotonic() - started < 20
    process = _start_llama_server(port)
    try:
        events = list(stream_answer(question, settings=settings))
    finally:
        _stop(process)
    assert sum(isinstance(e, Token) for e in events) >= 1
    answer = next(e.answer for e in events if isinstance(e, Final))
    assert "Peskov" in answer.text
    forget_engines()


# The 0.5B model reads one passage in these tests: what they check is the hosted path (a real
# server, streaming, every sentence verified, quotes verbatim, refusal), not how a 0.5B model
# copes with distractors, which the evaluation measures. With the ranker of 2026-12-06 and four
# passages it wrote only "Russian sources [3]."
HOSTED_TEST_PASSAGES = 1


def _hosted_chat_settings(settings: Any, port: int) -> Any:
    """Settings that send questions to a chat server on 127.0.0.1:`port` (Qwen 0.5B)."""
    return settings.model_copy(
        update={
            "llm": "openai",
            "llm_api": "chat",
            "llm_url": f"http://127.0.0.1:{port}/v1",
            "llm_model": "qwen2.5-coder-0.5b-instruct",
            "llm_timeout": 60.0,
            "passages": HOSTED_TEST_PASSAGES,
        }
    )


def test_hosted_chat_model_writes_a_verified_cited_answer(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    from qa.models import model_path

    port = free_port()
    settings = _hosted_chat_settings(bundled_settings, port)
    assert settings.synthesis
    process = _start_llama_server(port, model_path("qwen2.5-coder-0.5b-instruct"))
    try:
        events = list(
            stream_answer("Who said Russia does not want an eternal war?", settings=settings)
        )
        refused = next(
            e.answer
            for e in stream_answer("How old is Dmitry Peskov?", settings=settings)
            if isinstance(e, Final)
        )
    finally:
        _stop(process)
    assert sum(isinstance(e, Token) for e in events) >= 2  # streamed, not one block
    answer = next(e.answer for e in events if isinstance(e, Final))
    assert "Peskov" in answer.text and not answer.abstained
    texts = {p.name: p.read_text(encoding="utf-8") for p in BUNDLED_CORPUS.iterdir()}
    for citation in answer.citations:
        assert texts[citation.source][citation.start : citation.end] == citation.quote
    assert refused.abstained and not refused.citations
    forget_engines()


def test_the_cli_answers_through_a_hosted_chat_model(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    """`newsqa ask` with NEWSQA_LLM=openai: a written answer, every kept sentence checked, its
    sources quoted with their offsets."""
    import os

    from qa.models import model_path

    port = free_port()
    process = _start_llama_server(port, model_path("qwen2.5-coder-0.5b-instruct"))
    env = {
        **os.environ,
        "NEWSQA_LLM": "openai",
        "NEWSQA_LLM_URL": f"http://127.0.0.1:{port}/v1",
        "NEWSQA_LLM_MODEL": "qwen2.5-coder-0.5b-instruct",
        "NEWSQA_LLM_TIMEOUT": "60",
        "NEWSQA_PASSAGES": str(HOSTED_TEST_PASSAGES),
        "NEWSQA_CORPUS_DIR": str(bundled_settings.corpus_dir),
        "NEWSQA_STORE_DIR": str(bundled_settings.store_dir),
    }
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "qa.cli",
                "ask",
                "Who said Russia does not want an eternal war?",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    finally:
        _stop(process)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Peskov" in out.split("Sources:")[0] and "[1]" in out
    assert "each sentence checked against the passages it cites" in out
    texts = {p.name: p.read_text(encoding="utf-8") for p in BUNDLED_CORPUS.iterdir()}
    for source, start, end, quote in re.findall(r" - (\S+) chars (\d+)-(\d+)\n    \"(.*)\"", out):
        assert texts[source][int(start) : int(end)] == quote
    assert re.search(r" chars \d+-\d+\n", out)


def test_hosted_chat_model_condenses_a_follow_up(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    """A hosted chat model makes the follow-up standalone from the conversation; the answer
    is then retrieved for that question and shown as rewritten."""
    from qa.models import model_path
    from qa.types import Rewritten

    port = free_port()
    settings = _hosted_chat_settings(bundled_settings, port)
    history = [("Who said Russia does not want an eternal war?", "Dmitry Peskov [1]")]
    process = _start_llama_server(port, model_path("qwen2.5-coder-0.5b-instruct"))
    try:
        events = list(stream_answer("What else did he say?", history=history, settings=settings))
    finally:
        _stop(process)
    rewritten = [e.question for e in events if isinstance(e, Rewritten)]
    assert rewritten and "Peskov" in rewritten[0], rewritten
    answer = next(e.answer for e in events if isinstance(e, Final))
    assert answer.standalone_question == rewritten[0]
    forget_engines()


class _FailingHandler(http.server.BaseHTTPRequestHandler):
    delay = 0.0
    status = 500

    def do_POST(self) -> None:
        time.sleep(self.delay)
        body = b'{"error": {"message": "boom"}}'
        try:
            self.send_response(self.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up first

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("delay,status,timeout", [(0.0, 500, 10.0), (8.0, 200, 2.0)])
def test_failing_or_slow_llm_server_gives_a_clear_error(
    bundled_settings,
    delay: float,
    status: int,
    timeout: float,  # type: ignore[no-untyped-def]
) -> None:
    handler = type("Handler", (_FailingHandler,), {"delay": delay, "status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings = bundled_settings.model_copy(
        update={"llm": "openai", "llm_url": url, "llm_timeout": timeout}
    )
    started = time.monotonic()
    try:
        with pytest.raises(BackendError, match=url.replace(".", r"\.")):
            list(stream_answer("Who said Russia does not want an eternal war?", settings=settings))
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < timeout + 5
    forget_engines()
