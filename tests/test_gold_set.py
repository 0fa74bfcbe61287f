"""Consistency checks for the evaluation gold set (eval/gold.jsonl).

Pure stdlib + pytest: no project imports, no models, no network.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD_PATH = ROOT / "eval" / "gold.jsonl"
ARTICLES_DIR = ROOT / "data" / "articles"

EXPECTED_KEYS = {"id", "question", "answers", "articles", "evidence", "kind", "history"}
KINDS = {
    "who",
    "number",
    "date",
    "single_outlet",
    "shared",
    "disagreement",
    "followup",
    "unanswerable",
}
MIN_PER_KIND = {
    "who": 12,
    "number": 10,
    "date": 6,
    "single_outlet": 8,
    "shared": 6,
    "disagreement": 3,
    "followup": 6,
    "unanswerable": 10,
}
MIN_TOTAL = 66
MIN_PER_ARTICLE = 6
MAX_ANSWER_WORDS = 5

# Page furniture that must never serve as evidence (captions, appeals, forms, "Other News").
BOILERPLATE_MARKERS = (
    "Image: Reuters",
    "Graphics: WP",
    "Kremlin photo",
    "Leave a Reply",
    "By Editor",
    "Other News",
    "burger",
    "Support The Moscow Times",
    "small favor to ask",
    "foreign agent",
    "support us monthly",
    "paiment methods",
    "Remind me later",
    "Post a comment",
    "Your Name",
    "Your Email Address",
    "Story Code",
    "Publish date",
    "Flash News",
    "Latest news",
)


def _load_lines() -> list[tuple[int, str]]:
    assert GOLD_PATH.is_file(), f"gold set not found at {GOLD_PATH}"
    lines = GOLD_PATH.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, 1) if line.strip()]


def _load_items() -> list[dict[str, Any]]:
    items = []
    for n, line in _load_lines():
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:  # reported properly in test_lines_parse
            items.append({"id": f"<unparseable line {n}: {exc}>"})
    return items


ITEMS = _load_items()
ARTICLE_NAMES = sorted(p.name for p in ARTICLES_DIR.glob("*.txt"))


def _article_text(name: str) -> str:
    return (ARTICLES_DIR / name).read_text(encoding="utf-8")


ARTICLE_TEXT = {name: _article_text(name) for name in ARTICLE_NAMES}


def _qid(item: dict[str, Any]) -> str:
    return str(item.get("id", "<no id>"))


# ---------------------------------------------------------------- 1. structure


def test_gold_file_not_empty() -> None:
    assert ITEMS, f"{GOLD_PATH} contains no questions"
    assert len(ARTICLE_NAMES) == 5, f"expected 5 article files, found {ARTICLE_NAMES}"


def test_lines_parse() -> None:
    for n, line in _load_lines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"line {n} of {GOLD_PATH.name} is not valid JSON: {exc}")
        assert isinstance(obj, dict), f"line {n}: expected a JSON object, got {type(obj).__name__}"


def test_ids_unique() -> None:
    counts = Counter(_qid(it) for it in ITEMS)
    dupes = sorted(k for k, v in counts.items() if v > 1)
    assert not dupes, f"duplicate question ids: {dupes}"


@pytest.mark.parametrize("item", ITEMS, ids=_qid)
def test_schema(item: dict[str, Any]) -> None:
    qid = _qid(item)
    keys = set(item)
    assert keys == EXPECTED_KEYS, (
        f"{qid}: keys differ; missing {sorted(EXPECTED_KEYS - keys)}, "
        f"unexpected {sorted(keys - EXPECTED_KEYS)}"
    )
    assert isinstance(item["id"], str) and item["id"], f"{qid}: id must be a non-empty string"
    assert isinstance(item["question"], str) and item["question"].strip(), (
        f"{qid}: question must be a non-empty string"
    )
    assert item["kind"] in KINDS, f"{qid}: kind {item['kind']!r} not one of {sorted(KINDS)}"

    assert isinstance(item["answers"], list), f"{qid}: answers must be a list"
    for ans in item["answers"]:
        assert isinstance(ans, str) and ans.strip(), (
            f"{qid}: answer {ans!r} must be a non-empty string"
        )
        assert len(ans.split()) <= MAX_ANSWER_WORDS, (
            f"{qid}: answer {ans!r} is longer than {MAX_ANSWER_WORDS} words"
        )
    assert len({a.casefold() for a in item["answers"]}) == len(item["answers"]), (
        f"{qid}: duplicate answers (case-insensitive) in {item['answers']}"
    )

    assert isinstance(item["articles"], list), f"{qid}: articles must be a list"
    for art in item["articles"]:
        assert isinstance(art, str) and art, (
            f"{qid}: article entry {art!r} must be a non-empty string"
        )
    assert len(set(item["articles"])) == len(item["articles"]), (
        f"{qid}: duplicate entries in articles {item['articles']}"
    )

    assert isinstance(item["evidence"], list), f"{qid}: evidence must be a list"
    for ev in item["evidence"]:
        assert isinstance(ev, dict), f"{qid}: evidence entry {ev!r} must be an object"
        assert set(ev) == {"article", "text"}, (
            f"{qid}: evidence entry must have exactly keys article/text, got {sorted(ev)}"
        )
        assert isinstance(ev["article"], str) and ev["article"], (
            f"{qid}: evidence article must be a non-empty string"
        )
        assert isinstance(ev["text"], str) and ev["text"].strip(), (
            f"{qid}: evidence text must be non-empty"
        )

    assert isinstance(item["history"], list), f"{qid}: history must be a list"
    for turn in item["history"]:
        assert (
            isinstance(turn, list)
            and len(turn) == 2
            and all(isinstance(t, str) and t.strip() for t in turn)
        ), f"{qid}: each history turn must be a [question, answer] pair of strings, got {turn!r}"


# ------------------------------------------------------- 2./3. evidence & articles


@pytest.mark.parametrize("item", ITEMS, ids=_qid)
def test_listed_articles_exist(item: dict[str, Any]) -> None:
    qid = _qid(item)
    for art in item.get("articles", []):
        assert art in ARTICLE_TEXT, (
            f"{qid}: listed article {art!r} does not exist in {ARTICLES_DIR}"
        )


@pytest.mark.parametrize("item", ITEMS, ids=_qid)
def test_evidence_verbatim(item: dict[str, Any]) -> None:
    qid = _qid(item)
    for n, ev in enumerate(item.get("evidence", []), 1):
        art, text = ev["article"], ev["text"]
        assert art in ARTICLE_TEXT, f"{qid}: evidence #{n} names unknown article {art!r}"
        assert art in item["articles"], (
            f"{qid}: evidence #{n} article {art!r} is not listed in articles {item['articles']}"
        )
        assert text in ARTICLE_TEXT[art], (
            f"{qid}: evidence #{n} is not a verbatim span of {art}: {text!r}"
        )
        for marker in BOILERPLATE_MARKERS:
            assert marker.casefold() not in text.casefold(), (
                f"{qid}: evidence #{n} looks like boilerplate (contains {marker!r}): {text!r}"
            )


@pytest.mark.parametrize("item", ITEMS, ids=_qid)
def test_every_gold_article_has_evidence(item: dict[str, Any]) -> None:
    qid = _qid(item)
    cited = {ev["article"] for ev in item.get("evidence", [])}
    missing = [a for a in item.get("articles", []) if a not in cited]
    assert not missing, f"{qid}: articles {missing} are listed but have no evidence span"


# ------------------------------------------------------------------ 4. answers


@pytest.mark.parametrize("item", [it for it in ITEMS if it.get("kind") != "unanswerable"], ids=_qid)
def test_answerable_answers_supported(item: dict[str, Any]) -> None:
    qid = _qid(item)
    assert item["answers"], f"{qid}: answerable question has no answers"
    assert item["evidence"], f"{qid}: answerable question has no evidence"
    assert item["articles"], f"{qid}: answerable question has no gold articles"
    spans = [ev["text"].casefold() for ev in item["evidence"]]
    docs = [ARTICLE_TEXT[a].casefold() for a in item["articles"] if a in ARTICLE_TEXT]
    for ans in item["answers"]:
        needle = ans.casefold()
        in_span = any(needle in s for s in spans)
        in_doc = any(needle in d for d in docs)
        assert in_span or in_doc, (
            f"{qid}: answer {ans!r} occurs neither in its evidence spans nor in its gold articles "
            f"{item['articles']}"
        )


@pytest.mark.parametrize("item", [it for it in ITEMS if it.get("kind") == "disagreement"], ids=_qid)
def test_disagreement_has_variants(item: dict[str, Any]) -> None:
    qid = _qid(item)
    assert len(item["answers"]) >= 2, f"{qid}: disagreement needs >= 2 answer variants"
    assert len(item["articles"]) >= 2, f"{qid}: disagreement needs >= 2 articles"
    for ans in item["answers"]:
        assert any(ans.casefold() in ev["text"].casefold() for ev in item["evidence"]), (
            f"{qid}: disagreement variant {ans!r} has no evidence span stating it"
        )


# -------------------------------------------------- 5. unanswerable / followup


@pytest.mark.parametrize("item", ITEMS, ids=_qid)
def test_kind_specific_fields(item: dict[str, Any]) -> None:
    qid = _qid(item)
    kind = item.get("kind")
    if kind == "unanswerable":
        assert item["answers"] == [], f"{qid}: unanswerable question must have answers == []"
        assert item["articles"] == [], f"{qid}: unanswerable question must have articles == []"
        assert item["evidence"] == [], f"{qid}: unanswerable question must have evidence == []"
    if kind == "followup":
        assert item["history"], f"{qid}: followup question must have a non-empty history"
    else:
        assert item["history"] == [], f"{qid}: only followup questions may carry a history"


# ------------------------------------------------------------------ 6. coverage


def test_total_count() -> None:
    assert len(ITEMS) >= MIN_TOTAL, f"gold set has {len(ITEMS)} questions, need >= {MIN_TOTAL}"


def test_kind_coverage() -> None:
    counts = Counter(it.get("kind") for it in ITEMS)
    short = {k: (counts.get(k, 0), n) for k, n in MIN_PER_KIND.items() if counts.get(k, 0) < n}
    assert not short, f"kinds below minimum (have, need): {short}; all counts: {dict(counts)}"


def test_article_coverage() -> None:
    counts = Counter(a for it in ITEMS for a in it.get("articles", []))
    short = {a: counts.get(a, 0) for a in ARTICLE_NAMES if counts.get(a, 0) < MIN_PER_ARTICLE}
    assert not short, (
        f"articles gold for fewer than {MIN_PER_ARTICLE} questions: {short}; "
        f"all counts: {dict(counts)}"
    )


def test_single_outlet_spread() -> None:
    singles = [it for it in ITEMS if it.get("kind") == "single_outlet"]
    for it in singles:
        assert len(it["articles"]) == 1, (
            f"{_qid(it)}: single_outlet question must have exactly one gold article, "
            f"got {it['articles']}"
        )
    covered = {it["articles"][0] for it in singles}
    missing = [a for a in ARTICLE_NAMES if a not in covered]
    assert not missing, f"no single_outlet question for articles {missing}"


def test_shared_span_several_articles() -> None:
    for it in ITEMS:
        if it.get("kind") == "shared":
            assert len(it["articles"]) >= 3, (
                f"{_qid(it)}: shared question should be carried by >= 3 articles, "
                f"got {it['articles']}"
            )
