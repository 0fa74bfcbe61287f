"""The served app over plain HTTP: login when NEWSQA_AUTH is set, and no route that reads a
file outside the corpus folder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from eval.servers import free_port

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(bundled_settings: Any) -> Iterator[str]:
    from qa.app import serve

    port = free_port()
    settings = bundled_settings.model_copy(update={"auth": "reader:s3cret"})
    app = serve(settings, host="127.0.0.1", port=port, block=False)
    yield f"http://127.0.0.1:{port}"
    app.close()


def test_login_is_required_when_auth_is_set(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        assert client.get("/config").status_code == 401
        bad = client.post("/login", data={"username": "reader", "password": "wrong"})
        assert bad.status_code == 400
        good = client.post("/login", data={"username": "reader", "password": "s3cret"})
        assert good.status_code == 200
        assert client.get("/config").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/file=/etc/passwd",
        "/gradio_api/file=/etc/passwd",
        "/file=../../../../etc/passwd",
        "/gradio_api/file=data/store/chroma/chroma.sqlite3",
        "/static/../../../etc/passwd",
        "/gradio_api/file=pyproject.toml",
        "/file=index/settings.py",
    ],
)
def test_no_route_reads_files_outside_the_corpus(served: str, path: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        client.post("/login", data={"username": "reader", "password": "s3cret"})
        response = client.get(path)
    assert response.status_code in (403, 404, 400), (path, response.status_code)
    assert "root:" not in response.text and "[project]" not in response.text
