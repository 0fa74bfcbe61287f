"""`newsqa articles|add|remove` through the real CLI, on a copy of the corpus and a temporary
store: the same library functions as the web chat's Articles tab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.ingest import ingest
from index.settings import load_settings
from tests.test_cli_errors import _assert_one_line_error, _newsqa

pytestmark = pytest.mark.slow
NOTE = "Varnesk harbour note\nThe Varnesk harbour office opens at nine on weekdays.\n"


def test_list_add_remove(corpus_copy: Path, tmp_path: Path) -> None:
    env = {"NEWSQA_CORPUS_DIR": str(corpus_copy), "NEWSQA_STORE_DIR": str(tmp_path / "store")}
    ingest(load_settings(corpus_dir=corpus_copy, store_dir=tmp_path / "store"))
    listed = _newsqa("articles", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[-1] == "5 articles"
    assert "004_209ac1c19cfa36d6.txt\t13 chunks\tNew York Times" in listed.stdout

    (tmp_path / "harbour-note.txt").write_text(NOTE, encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(NOTE, encoding="utf-8")
    added = _newsqa(
        "add", str(tmp_path / "harbour-note.txt"), str(tmp_path / ".hidden.txt"), env=env
    )
    assert added.returncode == 1, added.stderr  # one refused, the other still added
    assert added.stderr.strip() == (
        "newsqa: .hidden.txt: not added, a hidden name (it starts with a dot)"
    )
    assert added.stdout.strip() == "1 added (1 chunks), 1 refused"
    assert (corpus_copy / "harbour-note.txt").read_text(encoding="utf-8") == NOTE

    entries = json.loads(_newsqa("articles", "--json", env=env).stdout)
    note = next(e for e in entries if e["source"] == "harbour-note.txt")
    assert note["title"] == "Varnesk harbour note" and note["chunks"] == 1

    removed = _newsqa("remove", "harbour-note.txt", env=env)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == "removed harbour-note.txt and its 1 chunks"
    assert not (corpus_copy / "harbour-note.txt").exists()
    assert "harbour-note.txt" not in _newsqa("articles", env=env).stdout

    _assert_one_line_error(_newsqa("remove", "harbour-note.txt", env=env), "no such article")
    _assert_one_line_error(
        _newsqa("remove", "../../etc/passwd.txt", env=env), "climbs out of its folder"
    )
