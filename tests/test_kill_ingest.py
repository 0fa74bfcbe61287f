"""Ingest killed with SIGKILL at random points, then run again, must leave exactly the index a
clean run builds: the same chunk ids, no duplicates, no orphans, and a keyword index that
holds exactly the stored chunks; with one worker and with `--workers 2`."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.ingest import ingest
from index.settings import load_settings
from index.store import open_store
from tests.conftest import BUNDLED_CORPUS

pytestmark = pytest.mark.slow
KILLS = 5


def _make_corpus(folder: Path, copies: int) -> None:
    folder.mkdir()
    for path in sorted(BUNDLED_CORPUS.iterdir()):
        text = path.read_text(encoding="utf-8")
        for n in range(copies):
            (folder / f"{path.stem}-{n}.txt").write_text(f"{text}\nEdition {n}.\n", "utf-8")


def _index_state(settings) -> tuple[list[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    store = open_store(settings)
    got = store.chunks.get(include=["metadatas"])
    records = store.file_records()
    assert all(r.status == "complete" for r in records.values())
    sources = {str(m["source"]) for m in got["metadatas"]}
    assert sources <= set(records), "chunks whose file the manifest does not know"
    assert store.keywords.chunk_ids() == set(got["ids"]), "keyword index out of step"
    return sorted(got["ids"]), {s: r.digest for s, r in records.items()}


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_during_ingest_then_rerun_equals_a_clean_run(tmp_path: Path, workers: int) -> None:
    corpus = tmp_path / "corpus"
    _make_corpus(corpus, copies=6)
    clean = load_settings(corpus_dir=corpus, store_dir=tmp_path / "clean")
    ingest(clean)
    expected_ids, expected_files = _index_state(clean)
    assert len(expected_ids) == len(set(expected_ids)) > 100

    killed_store = tmp_path / "killed"
    env = {**os.environ, "NEWSQA_CORPUS_DIR": str(corpus), "NEWSQA_STORE_DIR": str(killed_store)}
    rng = random.Random(7)
    newsqa = [sys.executable, "-m", "qa.cli", "ingest", "--workers", str(workers)]
    kill_points = []
    for _ in range(KILLS):
        process = subprocess.Popen(
            newsqa,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # the kill takes its worker processes too
        )
        delay = rng.uniform(1.0, 8.0)
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kill_points.append(round(delay, 1))
        process.wait(timeout=60)
    assert kill_points, "every ingest finished before it could be killed"

    finish = subprocess.run(newsqa, env=env, capture_output=True, text=True, timeout=600)
    assert finish.returncode == 0, finish.stderr
    killed = load_settings(corpus_dir=corpus, store_dir=killed_store)
    ids, files = _index_state(killed)
    assert len(ids) == len(set(ids))
    assert ids == expected_ids
    assert files == expected_files
    print(f"killed at {kill_points} s; {len(ids)} chunks match the clean run")
