"""Load test of the web chat: N concurrent chat clients asking M questions in total against the
real app on 127.0.0.1, through Gradio's own client and queue. Bounded in count and time.

Reports errors, latency p50/p95 (queue wait included), the server's peak RSS, and how requests
queued (the most in flight at once). `python -m eval.load --clients 20 --questions 200`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval.servers import free_port

GOLD = Path(__file__).with_name("gold.jsonl")


@dataclass(frozen=True)
class LoadReport:
    clients: int
    questions: int
    errors: int
    error_examples: tuple[str, ...]
    seconds: float
    latency_p50_s: float
    latency_p95_s: float
    latency_max_s: float
    max_in_flight: int
    rss_start_mb: float
    rss_peak_mb: float


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _questions(count: int) -> list[str]:
    lines = [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line]
    return [lines[i % len(lines)] for i in range(count)]


def run_load(settings: Any, *, clients: int, questions: int, time_limit_s: float) -> LoadReport:
    """Serve the app, hit it with `clients` concurrent sessions, stop it, report."""
    from gradio_client import Client

    from qa.app import serve
    from qa.engine import get_engine

    get_engine(settings).llm  # load everything before the clock starts  # noqa: B018
    port = free_port()
    app = serve(settings, host="127.0.0.1", port=port, block=False)
    url = f"http://127.0.0.1:{port}/"
    todo = _questions(questions)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    in_flight = [0, 0]  # now, max
    peak = [_rss_mb()]
    deadline = time.monotonic() + time_limit_s
    rss_start = peak[0]

    def session(index: int) -> None:
        client = Client(url, verbose=False)
        for question in todo[index::clients]:
            if time.monotonic() > deadline:
                with lock:
                    errors.append("time limit reached before asking")
                continue
            with lock:
                in_flight[0] += 1
                in_flight[1] = max(in_flight[1], in_flight[0])
            began = time.perf_counter()
            try:
                chat = client.predict(question, api_name="/ask")[0]  # (chat, sources, box)
                if not chat or "Error:" in str(chat[-1]):
                    raise RuntimeError(str(chat[-1])[:200] if chat else "empty chat")
                with lock:
                    latencies.append(time.perf_counter() - began)
            except Exception as exc:  # a load test records every failure, whatever its type
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
            finally:
                with lock:
                    in_flight[0] -= 1
                    peak[0] = max(peak[0], _rss_mb())

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(session, range(clients)))
    finally:
        app.close()
    ordered = sorted(latencies) or [0.0]
    return LoadReport(
        clients=clients,
        questions=questions,
        errors=len(errors),
        error_examples=tuple(dict.fromkeys(errors))[:5],
        seconds=time.perf_counter() - started,
        latency_p50_s=statistics.median(ordered),
        latency_p95_s=ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        latency_max_s=ordered[-1],
        max_in_flight=in_flight[1],
        rss_start_mb=rss_start,
        rss_peak_mb=peak[0],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=1800.0, help="seconds")
    args = parser.parse_args(argv)
    from index.settings import load_settings

    report = run_load(
        load_settings(),
        clients=args.clients,
        questions=args.questions,
        time_limit_s=args.time_limit,
    )
    print(json.dumps(asdict(report), indent=2))
    return 0 if report.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
