"""The synthetic corpus generator: worked examples of its parts, and real files written from
the bundled articles (deterministic, parseable, made of source sentences)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from eval.synth import (
    OUTLETS,
    SyntheticArticle,
    body_sentences,
    format_date,
    main,
    make_title,
    sentence_pool,
    synthetic_article,
    write_synthetic_corpus,
)
from index.clean import clean_article
from tests.conftest import BUNDLED_CORPUS


def _made_of(text: str, pool: set[str]) -> bool:
    """Whether `text` is pool sentences joined by single spaces (with backtracking)."""
    if not text:
        return True
    return any(
        text.startswith(s)
        and (len(s) == len(text) or text[len(s)] == " ")
        and _made_of(text[len(s) + 1 :], pool)
        for s in pool
        if text[:1] == s[:1]
    )


def test_render_writes_title_outlet_date_then_paragraphs() -> None:
    article = SyntheticArticle("Talks stall", "Harbor Times", "May 3, 2024", ("A b. C d.", "E."))
    assert article.render() == (
        "Talks stall\nSource: Harbor Times\nPublished: May 3, 2024\n\nA b. C d.\n\nE.\n"
    )


def test_body_sentences_skip_title_furniture_and_fragments() -> None:
    raw = "A title line\nOne two three four. Too short.\nPhoto: AP\nFive six seven eight!"
    assert body_sentences(raw) == ["One two three four.", "Five six seven eight!"]


def test_make_title_and_format_date() -> None:
    assert make_title("afghan Voice Agency (AVA): The New York Times", 5) == (
        "Afghan Voice Agency AVA The"
    )
    assert make_title("Peskov, the spokesman, said so.", 2) == "Peskov, the"
    assert format_date(2023, 12, 25) == "December 25, 2023"


def test_synthetic_article_uses_distinct_pool_sentences() -> None:
    pool = [f"Sentence number {n} is here." for n in range(30)]
    article = synthetic_article(random.Random(3), pool)
    assert 8 <= sum(len(p.split(". ")) for p in article.paragraphs) <= 24
    assert all(_made_of(p, set(pool)) for p in article.paragraphs)
    assert article.outlet in OUTLETS


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = write_synthetic_corpus(BUNDLED_CORPUS, tmp_path / "a", articles=6, seed=7)
    again = write_synthetic_corpus(BUNDLED_CORPUS, tmp_path / "b", articles=6, seed=7)
    other = write_synthetic_corpus(BUNDLED_CORPUS, tmp_path / "c", articles=6, seed=8)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]


def test_writes_the_count_asked_for(tmp_path: Path) -> None:
    paths = write_synthetic_corpus(BUNDLED_CORPUS, tmp_path, articles=12, seed=0)
    assert [p.name for p in paths] == [f"syn_{n:05d}.txt" for n in range(12)]
    assert sorted(tmp_path.iterdir()) == paths
    with pytest.raises(ValueError, match="at least 1"):
        write_synthetic_corpus(BUNDLED_CORPUS, tmp_path, articles=0, seed=0)


def test_every_file_parses_and_is_made_of_source_sentences(tmp_path: Path) -> None:
    pool = set(sentence_pool(BUNDLED_CORPUS))
    titles = set()
    for path in write_synthetic_corpus(BUNDLED_CORPUS, tmp_path, articles=20, seed=1):
        raw = path.read_text(encoding="utf-8")
        article = clean_article(path.name, raw)
        lines = raw.splitlines()
        assert article.title == lines[0]
        assert article.outlet == lines[1].removeprefix("Source: ")
        assert article.outlet in OUTLETS
        assert article.date is not None and re.fullmatch(r"202[34]-\d\d-\d\d", article.date)
        body = [p.text for p in article.paragraphs[1:] if not p.text.startswith("Source: ")]
        assert body and all(_made_of(text, pool) for text in body)
        titles.add(article.title)
    assert len(titles) >= 15  # titles vary


def test_cli_writes_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                str(tmp_path / "out"),
                "--articles",
                "3",
                "--seed",
                "2",
                "--source",
                str(BUNDLED_CORPUS),
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "out").glob("*.txt"))) == 3
    assert "wrote 3 articles" in capsys.readouterr().out
    assert main([str(tmp_path / "x"), "--source", str(tmp_path / "missing")]) == 2
