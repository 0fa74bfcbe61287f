"""Hosted embeddings (NEWSQA_EMBED=openai) against a real HTTP server on 127.0.0.1 that runs
the bundled MiniLM behind /v1/embeddings (`eval.embed_server`), and each named failure: a
server that is down, one that answers 503 before it works, a store written by another model,
and bad settings."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from eval.servers import free_port, wait_until_answering
from index.errors import BackendError, SettingsError, StoreError
from index.settings import load_settings
from tests.conftest import BUNDLED_CORPUS

pytestmark = [pytest.mark.server, pytest.mark.slow]
QUESTION = "Who is quoted as saying Moscow does not want an eternal war?"


def _start(port: int, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "eval.embed_server", "--port", str(port), *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1/models"
    wait_until_answering(url, process, 60, name="embed server")
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def embed_url() -> Iterator[str]:
    port = free_port()
    process = _start(port)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        _stop(process)


def test_hosted_vectors_equal_the_in_process_model(embed_url: str) -> None:
    from index.embed import OnnxMiniLM
    from index.hosted import HostedEncoder

    texts = ["The Kremlin said it does not want an eternal war.", "Kyiv", "offensive"]
    hosted = HostedEncoder(url=embed_url, model="all-MiniLM-L6-v2", batch_size=2)
    vectors = hosted.encode(texts)
    assert vectors.shape == (3, 384) and hosted.dimension == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors, OnnxMiniLM().encode(texts), atol=1e-5)


def test_ingest_and_answer_through_the_server(embed_url: str, tmp_path: Path) -> None:
    from index.ingest import ingest
    from index.store import open_store
    from qa.answer import stream_answer
    from qa.engine import load_engine
    from qa.types import Final

    settings = load_settings(
        corpus_dir=BUNDLED_CORPUS, store_dir=tmp_path, embed="openai", embed_url=embed_url
    )
    report = ingest(settings)
    assert report.chunks_embedded == report.chunks_total > 0
    assert open_store(settings).chunks.metadata["embed_model"] == "all-MiniLM-L6-v2"
    events = list(stream_answer(QUESTION, settings=settings, engine=load_engine(settings)))
    answer = next(e.answer for e in events if isinstance(e, Final))
    assert not answer.abstained and "Peskov" in answer.text
    assert answer.citations and all(c.quote for c in answer.citations)


def test_asking_with_another_model_than_the_store_was_written_with_is_refused(
    embed_url: str, bundled_settings
) -> None:  # type: ignore[no-untyped-def]
    from qa.engine import load_engine

    hosted = bundled_settings.model_copy(update={"embed": "openai", "embed_url": embed_url})
    with pytest.raises(StoreError) as refused:
        load_engine(hosted)
    message = str(refused.value)
    assert "\n" not in message
    assert "holds vectors of the embedding model all-MiniLM-L6-v2-onnx-int8" in message
    assert "not all-MiniLM-L6-v2:" in message and "--rebuild" in message


def test_a_server_that_is_down_is_a_named_error(tmp_path: Path) -> None:
    from index.hosted import HostedEncoder

    url = f"http://127.0.0.1:{free_port()}/v1"
    encoder = HostedEncoder(url=url, model="all-MiniLM-L6-v2", retries=0, timeout=5)
    with pytest.raises(BackendError) as failed:
        encoder.encode(["anything"])
    assert str(failed.value) == (
        f"the embedding server at {url} failed: APIConnectionError: Connection error."
    )


def test_503_replies_are_retried_until_the_server_answers() -> None:
    from index.hosted import HostedEncoder

    port = free_port()
    process = _start(port, "--fail-first", "2")
    try:
        url = f"http://127.0.0.1:{port}/v1"
        encoder = HostedEncoder(url=url, model="all-MiniLM-L6-v2", retries=3)
        assert encoder.encode(["eternal war"]).shape == (1, 384)
        giving_up = HostedEncoder(url=url, model="another-model", retries=0)
        with pytest.raises(BackendError, match="failed: BadRequestError"):
            giving_up.encode(["eternal war"])
    finally:
        _stop(process)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"embed": "openai"}, "bad setting NEWSQA_EMBED_URL: required when NEWSQA_EMBED=openai"),
        ({"embed": "openai", "embed_url": "ftp://x"}, "bad setting NEWSQA_EMBED_URL: "),
        ({"embed": "hosted"}, "bad setting NEWSQA_EMBED: "),
        ({"embed_retries": -1}, "bad setting NEWSQA_EMBED_RETRIES: "),
        ({"embed_timeout": 0}, "bad setting NEWSQA_EMBED_TIMEOUT: "),
    ],
)
def test_bad_embedding_settings_are_named(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError) as bad:
        load_settings(**overrides)
    assert str(bad.value).startswith(message) and "\n" not in str(bad.value)
