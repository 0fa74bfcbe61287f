"""The keyword side of the index, built at ingest and kept on disk beside the vectors.

Three things a question needs besides the vectors, all counted over the stored chunks:

- BM25 (the same tokens, stop words, Snowball stemmer and Lucene-variant scoring, k1 1.5 and
  b 0.75, as llama-index's `BM25Retriever` over `bm25s`, so the same chunks come back);
- the document frequency of each lexical stem (`qa.lexical.stems`), for the IDF weights of
  the word-overlap score;
- every word and acronym of the chunks, their titles, outlets and dates (`qa.absence`), for
  "they never mention X".

They are kept as raw counts in one SQLite file: postings (term, chunk, term frequency, chunk
length) and per-term document frequencies, with the number of chunks and their total length.
BM25 weights are worked out from those counts when a question is asked, so adding or
removing chunks changes only their own rows: nothing is rebuilt from all chunks, ever, and a
process that opens the index reads nothing until it is asked something. Every change bumps
a persisted `generation`, which is what a running engine compares to see that the index
changed (a remove and an add that keep the counts equal included).

It deliberately does not hold the chunks' text or vectors (Chroma does; a BM25 hit is
fetched from there by id) and does not decide which file version is served (the manifest
does). Bit-for-bit, a hit's score equals bm25s's: same float32 arithmetic, same order.

>>> from index.keywords import bm25_tokens
>>> bm25_tokens(["The Kremlin said it does not want an eternal war."])
[['kremlin', 'said', 'doe', 'want', 'etern', 'war']]
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index.clean import MONTHS
from index.errors import StoreError

K1, B = 1.5, 0.75  # bm25s defaults, which BM25Retriever uses
BM25_KEYS = ("source", "start", "end", "title", "outlet", "date")  # what BM25 nodes carry
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, source TEXT NOT NULL,
    length INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS docs_source ON docs (source);
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, id INTEGER UNIQUE NOT NULL,
    df INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS postings (term INTEGER NOT NULL, doc INTEGER NOT NULL,
    tf INTEGER NOT NULL, length INTEGER NOT NULL, PRIMARY KEY (term, doc)) WITHOUT ROWID;
"""
# term kinds share one table: "b:" BM25 token, "s:" lexical stem, "w:" word, "a:" acronym


def spelled_metadata(metadata: dict[str, Any]) -> str:
    """Title, outlet and date of a chunk as words, the date also spelled out.

    >>> spelled_metadata({"title": "T", "outlet": "VOA", "date": "2023-12-25"})
    'T VOA 2023-12-25 25 December 2023'
    """
    parts = [str(metadata.get(key) or "") for key in ("title", "outlet", "date")]
    date = str(metadata.get("date") or "")
    if len(date) == 10 and date[4] == "-":
        parts.append(f"{int(date[8:])} {MONTHS[int(date[5:7]) - 1].title()} {date[:4]}")
    return " ".join(p for p in parts if p)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def bm25_tokens(texts: Sequence[str], *, stopwords: str = "english") -> list[list[str]]:
    """The tokens bm25s makes of each text (lower-cased, stop words out, Snowball-stemmed)."""
    import bm25s

    tokens: list[list[str]] = bm25s.tokenize(
        list(texts),
        stopwords=stopwords,
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return tokens


def bm25_text(text: str, metadata: dict[str, Any]) -> str:
    """What BM25Retriever indexes of a chunk: its metadata lines, a blank line, its text."""
    from llama_index.core.schema import MetadataMode, TextNode

    node = TextNode(text=text, metadata={k: metadata[k] for k in BM25_KEYS})
    return str(node.get_content(metadata_mode=MetadataMode.EMBED))


@dataclass(frozen=True)
class KeywordEntry:
    """One stored chunk as the keyword index sees it."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]


def entry_terms(entries: Sequence[KeywordEntry]) -> list[tuple[Counter[str], set[str]]]:
    """(BM25 token counts, the other terms) of each chunk, each term with its kind prefix."""
    from qa.absence import vocabulary_of
    from qa.lexical import stems

    tokens = bm25_tokens([bm25_text(e.text, e.metadata) for e in entries])
    analysed = []
    for entry, bm25 in zip(entries, tokens, strict=True):
        words, acronyms = vocabulary_of([f"{entry.text} {spelled_metadata(entry.metadata)}"])
        other = {f"s:{s}" for s in stems(entry.text)}
        other.update(f"w:{w}" for w in words)
        other.update(f"a:{a}" for a in acronyms)
        analysed.append((Counter(f"b:{t}" for t in bm25), other))
    return analysed


class KeywordIndex:
    """The persisted keyword side of one store (see module doc). Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the keyword index {path}: {exc}") from None
        self._lock = threading.RLock()
        self._cached_generation = -1
        self._live: np.ndarray = np.zeros(0, dtype=np.int64)

    def close(self) -> None:
        self._db.close()

    def sync(self) -> int:
        """The generation now (a shared index catches up with its server first)."""
        return self.generation()

    def publish(self) -> None:
        """Make the changes visible to other machines: nothing to do for a local file."""

    def touch(self) -> None:
        """Bump the generation without a change (marks a freshly built, empty index)."""
        with self._lock, self._transaction():
            self._bump(docs=0, length=0)

    def clear(self) -> None:
        """Forget everything but the generation, which goes on counting."""
        with self._lock, self._transaction():
            for table in ("docs", "terms", "postings"):
                self._db.execute(f"DELETE FROM {table}")
            self._set("docs", 0)
            self._set("length", 0)
            self._bump(docs=0, length=0)

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def generation(self) -> int:
        """Bumped by every committed change; 0 for an index never written."""
        with self._lock:
            return self._meta("generation")

    def count(self) -> int:
        with self._lock:
            return self._meta("docs")

    def chunk_ids(self, ids: Iterable[str] | None = None) -> set[str]:
        """The chunk ids held, all of them or those of `ids` that are held."""
        with self._lock:
            if ids is None:
                return {r[0] for r in self._db.execute("SELECT chunk_id FROM docs")}
            wanted = sorted(set(ids))
            found: set[str] = set()
            for offset in range(0, len(wanted), 500):
                part = wanted[offset : offset + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT chunk_id FROM docs WHERE chunk_id IN ({marks})", part
                )
                found.update(r[0] for r in rows)
            return found

    def _docs_of(self, sources: Collection[str]) -> np.ndarray:
        wanted = sorted(set(sources))
        found: list[int] = []
        for offset in range(0, len(wanted), 500):
            part = wanted[offset : offset + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(f"SELECT doc FROM docs WHERE source IN ({marks})", part)
            found.extend(r[0] for r in rows)
        return np.array(found, dtype=np.int64)

    def ids_of_source(self, source: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT chunk_id FROM docs WHERE source = ?", (source,))
            return {r[0] for r in rows}

    # --- writing -------------------------------------------------------------------------

    def add(self, entries: Sequence[KeywordEntry]) -> int:
        """Index the chunks not held yet, in the order given, in one transaction; how many."""
        with self._lock:
            held = self.chunk_ids(e.chunk_id for e in entries)
            todo = list({e.chunk_id: e for e in entries if e.chunk_id not in held}.values())
            if not todo:
                return 0
            analysed = entry_terms(todo)
            with self._transaction():
                ids = self._term_ids({t for bm25, other in analysed for t in (*bm25, *other)})
                df: Counter[int] = Counter()
                total = 0
                for entry, (bm25, other) in zip(todo, analysed, strict=True):
                    length = sum(bm25.values())
                    total += length
                    doc = self._db.execute(
                        "INSERT INTO docs (chunk_id, source, length) VALUES (?, ?, ?)",
                        (entry.chunk_id, str(entry.metadata["source"]), length),
                    ).lastrowid
                    self._db.executemany(
                        "INSERT INTO postings VALUES (?, ?, ?, ?)",
                        [(ids[t], doc, tf, length) for t, tf in bm25.items()],
                    )
                    df.update(ids[t] for t in (*bm25, *other))
                self._change_df(df, +1)
                self._bump(docs=len(todo), length=total)
            return len(todo)

    def remove(self, entries: Sequence[KeywordEntry]) -> int:
        """Take chunks out (their texts say which counts to lower); how many were held."""
        with self._lock:
            held = self.chunk_ids(e.chunk_id for e in entries)
            todo = list({e.chunk_id: e for e in entries if e.chunk_id in held}.values())
            if not todo:
                return 0
            analysed = entry_terms(todo)
            with self._transaction():
                known = self._known_ids(sorted({t for b, o in analysed for t in (*b, *o)}))
                df: Counter[int] = Counter()
                total = 0
                for entry, (bm25, other) in zip(todo, analysed, strict=True):
                    doc, length = self._db.execute(
                        "SELECT doc, length FROM docs WHERE chunk_id = ?", (entry.chunk_id,)
                    ).fetchone()
                    total += int(length)
                    self._db.execute("DELETE FROM docs WHERE doc = ?", (doc,))
                    self._db.executemany(
                        "DELETE FROM postings WHERE term = ? AND doc = ?",
                        [(known[t], doc) for t in bm25 if t in known],
                    )
                    df.update(known[t] for t in (*bm25, *other) if t in known)
                self._change_df(df, -1)
                self._bump(docs=-len(todo), length=-total)
            return len(todo)

    def _change_df(self, counts: Counter[int], sign: int) -> None:
        self._db.executemany(
            "UPDATE terms SET df = df + ? WHERE id = ?", [(sign * n, i) for i, n in counts.items()]
        )

    def _known_ids(self, terms: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for offset in range(0, len(terms), 500):
            part = list(terms[offset : offset + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(f"SELECT term, id FROM terms WHERE term IN ({marks})", part)
            found.update((str(t), int(i)) for t, i in rows)
        return found

    def _term_ids(self, terms: set[str]) -> dict[str, int]:
        """Ids of `terms`, creating the missing ones (df 0)."""
        ordered = sorted(terms)
        found = self._known_ids(ordered)
        missing = [t for t in ordered if t not in found]
        if missing:
            start = self._meta("next_term")
            rows = [(t, start + n, 0) for n, t in enumerate(missing)]
            self._db.executemany("INSERT INTO terms VALUES (?, ?, ?)", rows)
            self._set("next_term", start + len(missing))
            found.update((t, i) for t, i, _ in rows)
        return found

    def _set(self, key: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _bump(self, *, docs: int, length: int) -> None:
        self._set("docs", self._meta("docs") + docs)
        self._set("length", self._meta("length") + length)
        self._set("generation", self._meta("generation") + 1)

    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Any:
        """A transaction on this connection: a write one by default; `"BEGIN"` (deferred)
        for reads that must all see one snapshot while another connection writes."""
        db = self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute(begin)

            def __exit__(self, kind: object, *_: object) -> None:
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()

    # --- reading -------------------------------------------------------------------------

    def _live_docs(self) -> np.ndarray:
        """The held docs' row numbers in insertion order (BM25's document order), cached
        per generation: BM25 scores are laid out over these, as bm25s lays out its corpus."""
        generation = self._meta("generation")
        if generation != self._cached_generation:
            rows = self._db.execute("SELECT doc FROM docs ORDER BY doc").fetchall()
            self._live = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            self._cached_generation = generation
        return self._live

    def bm25_top(
        self, query: str, k: int, *, sources: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best chunks for `query` by BM25, best first, as (chunk id, score); like
        bm25s, chunks without any query term fill up to `k` with score 0. With `sources`,
        only chunks of those article files (a question's filter, `qa.filters`)."""
        from bm25s.selection import topk

        tokens = bm25_tokens([query])[0]
        # one snapshot: a chunk an ingest commits meanwhile must not reach the postings read
        # after the held docs were (its row would fall outside the scores' array)
        with self._lock, self._transaction("BEGIN"):
            live = self._live_docs()
            n_docs, total = self._meta("docs"), self._meta("length")
            if n_docs == 0:
                return []
            average = total / n_docs
            scores = np.zeros(n_docs, dtype=np.float32)
            known = self._known_ids([f"b:{t}" for t in dict.fromkeys(tokens)])
            parts_at, parts_score = [], []
            for token in tokens:  # duplicates count twice, as in bm25s
                term = known.get(f"b:{token}")
                if term is None:
                    continue
                rows = self._db.execute(
                    "SELECT doc, tf, length FROM postings WHERE term = ?", (term,)
                ).fetchall()
                if not rows:
                    continue
                posting = np.asarray(rows, dtype=np.int64)
                idf = np.float32(math.log(1 + (n_docs - len(rows) + 0.5) / (len(rows) + 0.5)))
                # bm25s: float32 tf and idf, a float64 length norm, the product stored as
                # float32; the same operations in the same order give the same bits
                tf = posting[:, 1].astype(np.float32)
                norm = K1 * ((1 - B) + B * posting[:, 2].astype(np.float64) / average)
                parts_at.append(np.searchsorted(live, posting[:, 0]))
                parts_score.append((idf * (tf / (norm + tf))).astype(np.float32))
            if parts_at:
                np.add.at(scores, np.concatenate(parts_at), np.concatenate(parts_score))
            if sources is not None:
                scores[~np.isin(live, self._docs_of(sources))] = -1.0
            best, at = topk(scores, k=min(k, n_docs), backend="numpy", sorted=True)
            held = best >= 0  # chunks outside `sources` scored -1
            best, chosen = best[held], [int(live[i]) for i in at[held]]
            if not chosen:
                return []
            names = dict(
                self._db.execute(
                    f"SELECT doc, chunk_id FROM docs WHERE doc IN ({','.join('?' * len(chosen))})",
                    chosen,
                ).fetchall()
            )
        return [(names[d], float(s)) for d, s in zip(chosen, best, strict=True)]

    def idf(self, stems: Iterable[str]) -> dict[str, float]:
        """`qa.lexical.idf_table`'s values for `stems` (those some chunk holds)."""
        with self._lock:
            n_docs = self._meta("docs")
            wanted = [f"s:{s}" for s in dict.fromkeys(stems)]
            rows = self._df_of(wanted)
        return {t[2:]: math.log((n_docs + 1) / (df + 0.5)) for t, df in rows.items()}

    def unknown_idf(self) -> float:
        """1.5 times the highest IDF any stem has (weight of a stem no chunk holds)."""
        with self._lock:
            n_docs = self._meta("docs")
            row = self._db.execute(
                "SELECT MIN(df) FROM terms WHERE term >= 's:' AND term < 's;' AND df > 0"
            ).fetchone()
        if n_docs == 0 or row[0] is None:
            return 1.5
        return math.log((n_docs + 1) / (int(row[0]) + 0.5)) * 1.5

    def _df_of(self, terms: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for offset in range(0, len(terms), 500):
            part = list(terms[offset : offset + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT term, df FROM terms WHERE term IN ({marks}) AND df > 0", part
            )
            found.update((str(t), int(df)) for t, df in rows)
        return found

    def has_word(self, word: str) -> bool:
        with self._lock:
            return bool(self._df_of([f"w:{word}"]))

    def has_acronym(self, acronym: str) -> bool:
        with self._lock:
            return bool(self._df_of([f"a:{acronym}"]))

    def words_starting(self, prefix: str) -> list[str]:
        """Every held word that starts with `prefix`."""
        with self._lock:
            rows = self._db.execute(
                "SELECT term FROM terms WHERE term >= ? AND term < ? AND df > 0",
                (f"w:{prefix}", f"w:{prefix}\U0010ffff"),
            )
            return [str(r[0])[2:] for r in rows]


def keyword_path(store_dir: Path, collection: str) -> Path:
    """Where the embedded store's keyword index lives: beside its Chroma folder."""
    return store_dir / f"{collection}-keywords.sqlite3"
