"""The persisted keyword index: BM25 equal to llama-index's BM25Retriever (the external
reference), IDF equal to `idf_table`, the vocabulary equal to `vocabulary_of`, kept equal
through incremental adds and removes, and seen by a running engine through its generation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from index.keywords import KeywordEntry, KeywordIndex, bm25_text
from qa.absence import WordSet, absent_entities
from qa.lexical import idf_table, stems
from tests.conftest import BUNDLED_CORPUS

GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold.jsonl"


def _entry(n: int, text: str, source: str = "a.txt") -> KeywordEntry:
    meta = {"source": source, "start": 0, "end": len(text), "title": "T", "outlet": "O"}
    return KeywordEntry(f"{source}:d:{n}", text, {**meta, "date": "2024-05-03"})


TEXTS = [
    "The Kremlin said Russia does not want an eternal war in Ukraine.",
    "Kyiv said the offensive in the Kharkiv region forced 11,000 people to leave.",
    "The New York Times reported that Putin signalled he was open to a ceasefire.",
    "Blinken visited Kyiv and promised more military aid to Ukraine.",
]
QUESTIONS = [
    "Who said Russia does not want an eternal war?",
    "How many people left the Kharkiv region?",
    "What did the New York Times report about a ceasefire?",
    "Kyiv Ukraine",
    "nothing matches zzzz",
]


def _reference_bm25(entries: list[KeywordEntry], question: str, k: int) -> list[tuple[str, float]]:
    import Stemmer
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    nodes = [TextNode(id_=e.chunk_id, text=e.text, metadata=e.metadata) for e in entries]
    retriever = BM25Retriever.from_defaults(
        nodes=nodes,
        similarity_top_k=k,
        stemmer=Stemmer.Stemmer("english"),
        language="english",
    )
    return [(hit.node.node_id, float(hit.score or 0.0)) for hit in retriever.retrieve(question)]


def _state(index: KeywordIndex, entries: list[KeywordEntry]) -> tuple[object, ...]:
    """Everything a question reads: BM25 hits, IDF of every stem, the vocabulary checks."""
    all_stems = sorted({s for e in entries for s in stems(e.text)} | {"unseen"})
    return (
        [index.bm25_top(q, 3) for q in QUESTIONS],
        index.idf(all_stems),
        round(index.unknown_idf(), 9),
        [absent_entities(q, index) for q in [*QUESTIONS, "Did Kazakhstan or the NYT say it?"]],
        index.count(),
    )


def test_bm25_idf_and_vocabulary_equal_the_in_memory_reference(tmp_path: Path) -> None:
    entries = [_entry(n, t) for n, t in enumerate(TEXTS)]
    index = KeywordIndex(tmp_path / "k.sqlite3")
    assert index.generation() == 0
    assert index.add(entries) == 4
    assert index.add(entries) == 0  # held already: nothing counted twice
    assert index.generation() == 1
    for question in QUESTIONS:
        assert index.bm25_top(question, 3) == _reference_bm25(entries, question, 3)
    idf = idf_table(e.text for e in entries)
    assert index.idf(idf) == pytest.approx(idf, abs=0)
    assert index.unknown_idf() == max(idf.values()) * 1.5
    words = WordSet.of(f"{e.text} T O 2024-05-03 3 May 2024" for e in entries)
    question = "Did the NYT say Kazakhstan or Kharkov or Kharkiv sent 11,000 troops in 2023?"
    assert absent_entities(question, index) == absent_entities(question, words)
    assert absent_entities(question, index) == ["Kazakhstan", "2023"]  # Kharkov ~ Kharkiv


def test_bm25_limited_to_some_articles_scores_only_their_chunks(tmp_path: Path) -> None:
    entries = [_entry(n, t, source=f"{n % 2}.txt") for n, t in enumerate(TEXTS)]
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.add(entries)
    question = "Kyiv Ukraine Kremlin"
    odd = index.bm25_top(question, 4, sources={"1.txt"})
    assert [chunk_id for chunk_id, _ in odd] == ["1.txt:d:3", "1.txt:d:1"]
    everything = dict(index.bm25_top(question, 4))
    assert all(everything[chunk_id] == score for chunk_id, score in odd)
    assert index.bm25_top(question, 4, sources={"absent.txt"}) == []


def test_bm25_text_is_what_bm25retriever_indexes() -> None:
    entry = _entry(0, "Body text.")
    assert bm25_text(entry.text, entry.metadata) == (
        "source: a.txt\nstart: 0\nend: 10\ntitle: T\noutlet: O\ndate: 2024-05-03\n\nBody text."
    )


def test_incremental_adds_and_removes_equal_a_fresh_build(tmp_path: Path) -> None:
    a, b, c, d = (_entry(n, t) for n, t in enumerate(TEXTS))
    grown = KeywordIndex(tmp_path / "grown.sqlite3")
    grown.add([a, b, c])
    assert grown.remove([b]) == 1
    assert grown.remove([b]) == 0
    grown.add([d])
    fresh = KeywordIndex(tmp_path / "fresh.sqlite3")
    fresh.add([a, c, d])
    assert _state(grown, [a, c, d]) == _state(fresh, [a, c, d])
    assert grown.generation() == 3 and fresh.generation() == 1
    assert grown.ids_of_source("a.txt") == {a.chunk_id, c.chunk_id, d.chunk_id}


def test_the_index_survives_reopening(tmp_path: Path) -> None:
    entries = [_entry(n, t) for n, t in enumerate(TEXTS)]
    first = KeywordIndex(tmp_path / "k.sqlite3")
    first.add(entries)
    before = _state(first, entries)
    first.close()
    assert _state(KeywordIndex(tmp_path / "k.sqlite3"), entries) == before


@pytest.mark.slow
def test_the_persisted_bm25_returns_what_bm25retriever_did_on_the_gold_set(
    bundled_settings,  # type: ignore[no-untyped-def]
) -> None:
    """The real store: same ids, same scores (bit for bit), same node hashes, same order."""
    import Stemmer
    from llama_index.retrievers.bm25 import BM25Retriever

    from index.store import open_store
    from qa.retrieve import KeywordRetriever, load_nodes

    store = open_store(bundled_settings)
    reference = BM25Retriever.from_defaults(
        nodes=load_nodes(store),
        similarity_top_k=12,
        stemmer=Stemmer.Stemmer("english"),
        language="english",
    )
    persisted = KeywordRetriever(store, store.keywords, top_k=12)
    questions = [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line]
    for question in questions:
        expected = [(h.node.node_id, h.score, h.node.hash) for h in reference.retrieve(question)]
        got = [(h.node.node_id, h.score, h.node.hash) for h in persisted.retrieve(question)]
        assert got == expected, question


@pytest.mark.slow
def test_a_running_engine_sees_a_change_that_keeps_the_counts(
    tmp_path: Path, corpus_copy: Path
) -> None:
    """Rewriting an article into one of as many chunks keeps both counts the same; the old
    count-keyed refresh missed it. The generation does not."""
    from index.ingest import ingest
    from index.settings import load_settings
    from qa.engine import load_engine

    settings = load_settings(corpus_dir=corpus_copy, store_dir=tmp_path / "store")
    engine = load_engine(settings)
    assert engine.absent_entities("What did Zaporozhets say?") == ["Zaporozhets"]
    counts = (engine.store.chunks.count(), engine.store.files.count())
    path = sorted(corpus_copy.iterdir())[0]
    path.write_text(path.read_text(encoding="utf-8").replace("Kremlin", "Zaporozhets"), "utf-8")
    ingest(settings)
    assert (engine.store.chunks.count(), engine.store.files.count()) == counts
    assert engine.absent_entities("What did Zaporozhets say?") == []
    hits = engine.retriever.retrieve("Zaporozhets")
    assert any("Zaporozhets" in hit.node.get_content() for hit in hits)


@pytest.mark.slow
def test_a_store_without_a_keyword_index_gets_one_once(tmp_path: Path) -> None:
    """A store written before the keyword index existed: the first engine builds it from
    the stored chunks (no re-embedding) and later ones only open it."""
    from index.ingest import ingest
    from index.keywords import keyword_path
    from index.settings import load_settings
    from qa.engine import load_engine

    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    settings = load_settings(corpus_dir=corpus, store_dir=tmp_path / "store")
    ingest(settings)
    path = keyword_path(settings.store_dir, settings.collection)
    expected = load_engine(settings).retriever.retrieve("eternal war")
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    engine = load_engine(settings)
    assert engine.keywords.count() == engine.store.chunks.count() > 0
    got = engine.retriever.retrieve("eternal war")
    assert [h.node.node_id for h in got] == [h.node.node_id for h in expected]


def test_a_chunk_committed_by_another_connection_mid_query_is_not_half_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest (another connection to the same file) commits a chunk between the moment a
    query has read the held docs and the moment it reads the postings: the query sees the
    index as it was when it began, whole, and the next one sees the new chunk."""
    path = tmp_path / "k.sqlite3"
    reader, writer = KeywordIndex(path), KeywordIndex(path)
    writer.add([_entry(n, text) for n, text in enumerate(TEXTS)])
    before = reader.bm25_top("Kyiv Ukraine", 10)
    live_docs = KeywordIndex._live_docs

    def live_then_commit(self: KeywordIndex) -> object:
        live = live_docs(self)
        if self is reader and not writer.chunk_ids({"a.txt:d:99"}):
            writer.add([_entry(99, "Kyiv and Ukraine and Kyiv again.")])
        return live

    monkeypatch.setattr(KeywordIndex, "_live_docs", live_then_commit)
    assert reader.bm25_top("Kyiv Ukraine", 10) == before
    monkeypatch.undo()
    assert reader.bm25_top("Kyiv Ukraine", 10)[0][0] == "a.txt:d:99"
