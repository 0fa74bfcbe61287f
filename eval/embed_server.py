"""A real OpenAI-compatible embedding server for the bundled MiniLM: `POST /v1/embeddings`.

`python -m eval.embed_server --port 8002 [--threads 2] [--fail-first N]` serves the ONNX
model (`index.embed.OnnxMiniLM`) under the model name `--model` (default
`all-MiniLM-L6-v2`), answering `encoding_format` "float" or "base64" (the OpenAI client asks
for base64) and `GET /v1/models`. `--fail-first N` answers the first N embedding requests with
503, to show the client's retries. It is what the tests and the benchmark run as "the hosted
embedder"; in production use text-embeddings-inference, vLLM or Infinity.

It deliberately does no batching across requests, no auth and no truncation beyond the
model's own 256 tokens.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def embeddings_reply(vectors: Any, *, model: str, base64_floats: bool) -> dict[str, Any]:
    """The OpenAI reply body for `vectors` (rows of float32).

    >>> import numpy as np
    >>> embeddings_reply(np.array([[1.0, 0.0]], dtype=np.float32), model="m", base64_floats=False)
    ... # doctest: +NORMALIZE_WHITESPACE
    {'object': 'list', 'data': [{'object': 'embedding', 'index': 0, 'embedding': [1.0, 0.0]}],
     'model': 'm', 'usage': {'prompt_tokens': 0, 'total_tokens': 0}}
    """
    data = []
    for index, row in enumerate(vectors):
        embedding: Any
        if base64_floats:
            embedding = base64.b64encode(row.astype("<f4").tobytes()).decode("ascii")
        else:
            embedding = row.tolist()
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    usage = {"prompt_tokens": 0, "total_tokens": 0}
    return {"object": "list", "data": data, "model": model, "usage": usage}


class EmbeddingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, model: str, threads: int, fail_first: int):
        from index.embed import OnnxMiniLM

        super().__init__(address, _Handler)
        self.model = model
        self.encoder = OnnxMiniLM(threads=threads)
        self.failures_left = fail_first
        self.requests = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: EmbeddingServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/health"):
            self._send(200, {"object": "list", "data": [{"id": self.server.model}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/embeddings":
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        with self.server.lock:
            self.server.requests += 1
            failing = self.server.failures_left > 0
            self.server.failures_left -= failing
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if failing:
            self._send(503, {"error": {"message": "warming up (--fail-first)"}})
            return
        texts = _inputs(body.get("input"))
        if texts is None or body.get("model") != self.server.model:
            wanted = body.get("model")
            self._send(400, {"error": {"message": f"bad input or unknown model {wanted!r}"}})
            return
        vectors = self.server.encoder.encode(texts)
        base64_floats = body.get("encoding_format") == "base64"
        self._send(
            200, embeddings_reply(vectors, model=self.server.model, base64_floats=base64_floats)
        )


def _inputs(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.embed_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args(argv)
    server = EmbeddingServer(
        (args.host, args.port), model=args.model, threads=args.threads, fail_first=args.fail_first
    )
    print(f"serving {args.model} at http://{args.host}:{args.port}/v1", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
