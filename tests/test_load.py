"""Concurrent chat clients against the real app on 127.0.0.1 (bounded): no errors, memory
bounded. The full 20-client, 200-question run is `make load`."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.server]


def test_twenty_concurrent_clients_get_answers(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    from eval.load import run_load

    report = run_load(bundled_settings, clients=20, questions=40, time_limit_s=600)
    print(report)
    assert report.errors == 0, report.error_examples
    assert report.max_in_flight > 4  # requests really overlapped and queued
    assert report.rss_peak_mb - report.rss_start_mb < 600
