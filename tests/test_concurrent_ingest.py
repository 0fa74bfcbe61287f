"""Questions asked while an ingest rewrites the corpus see a consistent index: every quote is
the old or the new text of its file, never a half-written mix, and new files appear after."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from index.ingest import ingest
from index.settings import load_settings
from qa.engine import load_engine

pytestmark = pytest.mark.slow
QUESTIONS = [
    "Who said Russia does not want an eternal war?",
    "Who did not believe Putin was interested in serious negotiations?",
    "What share of Ukraine's territory does Russia control?",
]


def test_queries_during_ingest_see_whole_file_versions(corpus_copy: Path, tmp_path: Path) -> None:
    settings = load_settings(corpus_dir=corpus_copy, store_dir=tmp_path / "store")
    ingest(settings)
    engine = load_engine(settings)
    old = {p.name: p.read_text(encoding="utf-8") for p in corpus_copy.iterdir()}
    for name, text in old.items():  # every file changes, and ten new ones arrive
        (corpus_copy / name).write_text("Updated edition\n" + text, encoding="utf-8")
        for n in range(2):
            (corpus_copy / f"new-{n}-{name}").write_text(f"Copy {n}\n{text}", encoding="utf-8")
    new = {p.name: p.read_text(encoding="utf-8") for p in corpus_copy.iterdir()}

    worker = threading.Thread(target=ingest, args=(settings,))
    worker.start()
    checked = 0
    while worker.is_alive() or checked < len(QUESTIONS):
        evidence = engine.find_evidence(QUESTIONS[checked % len(QUESTIONS)])
        for line in evidence:
            versions = [t for t in (old.get(line.source), new.get(line.source)) if t]
            assert any(t[line.start : line.end] == line.text for t in versions), line
        checked += 1
    worker.join()
    sources = {line.source for q in QUESTIONS for line in engine.find_evidence(q)}
    assert any(s.startswith("new-") for s in sources)
    for q in QUESTIONS:
        for line in engine.find_evidence(q):
            assert new[line.source][line.start : line.end] == line.text
    print(f"{checked} retrievals ran during the ingest")
