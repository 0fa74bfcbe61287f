"""A synthetic news corpus of any size, recombined from the sentences of real articles.

`write_synthetic_corpus(source, target, articles=N, seed=S)` cleans every source article
(`index.clean`), splits its body paragraphs into sentences (`index.sentences`), and writes N
`.txt` files. Each file has a title line made of the opening words of one sentence, a
`Source: <outlet>` line, a `Published: <Month D, YYYY>` line, and 8-24 shuffled body sentences
grouped into paragraphs of 1-4. The same seed always gives the same bytes.

What it deliberately does not do: write new sentences or make the text coherent. Its use is
measuring speed and memory at scale (`eval.bench`), not answer quality; every sentence is a
verbatim sentence of the source corpus.

    python -m eval.synth /tmp/synthetic --articles 200 --seed 0
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.clean import MONTHS, classify_paragraph, clean_article
from index.errors import NewsQAError
from index.load import ArticleFile, iter_articles
from index.sentences import split_sentences

OUTLETS = (
    "The Daily Ledger",
    "Evening Courier",
    "Harbor Times",
    "Northern Gazette",
    "Capital Wire",
    "Morning Dispatch",
    "Riverside Herald",
    "Global Chronicle",
)
MIN_SENTENCE_WORDS = 4
SENTENCES_PER_ARTICLE = (8, 24)
SENTENCES_PER_PARAGRAPH = (1, 4)
TITLE_WORDS = (5, 10)
YEARS = (2023, 2024)
_TITLE_NOISE = re.compile(r"[^\w\s'’,-]")


@dataclass(frozen=True)
class SyntheticArticle:
    title: str
    outlet: str
    published: str  # e.g. "May 3, 2024"
    paragraphs: tuple[str, ...]

    def render(self) -> str:
        """The file text: title, outlet and date lines, then one paragraph per line.

        >>> SyntheticArticle("T", "O", "May 3, 2024", ("A. B.", "C.")).render()
        'T\\nSource: O\\nPublished: May 3, 2024\\n\\nA. B.\\n\\nC.\\n'
        """
        head = f"{self.title}\nSource: {self.outlet}\nPublished: {self.published}\n"
        return head + "".join(f"\n{p}\n" for p in self.paragraphs)


def body_sentences(raw: str) -> list[str]:
    """The sentences of an article's kept paragraphs, title excluded, of 4 words or more.

    >>> body_sentences("A title line\\nOne two three four. Too short.\\nPhoto: AP")
    ['One two three four.']
    """
    article = clean_article("source", raw)
    sentences = []
    for paragraph in article.paragraphs[1:]:  # the first kept paragraph is the title
        for start, end in split_sentences(paragraph.text):
            sentence = paragraph.text[start:end]
            if len(sentence.split()) >= MIN_SENTENCE_WORDS:
                sentences.append(sentence)
    return sentences


def sentence_pool(source_dir: Path) -> list[str]:
    """Distinct body sentences of every readable article of `source_dir`, in file order."""
    pool: dict[str, None] = {}
    for item in iter_articles(source_dir):
        if isinstance(item, ArticleFile):
            pool.update(dict.fromkeys(body_sentences(item.text)))
    return list(pool)


def make_title(sentence: str, words: int) -> str:
    """The first `words` words of a sentence, without punctuation that could read as a lead
    (`Outlet (ABC): ...`) or a caption.

    >>> make_title('Kremlin spokesman Dmitry Peskov: "no war."', 4)
    'Kremlin spokesman Dmitry Peskov'
    """
    cleaned = _TITLE_NOISE.sub("", sentence).split()
    title = " ".join(cleaned[:words]).strip(" ,-")
    return title[:1].upper() + title[1:]


def format_date(year: int, month: int, day: int) -> str:
    """A publication date as news pages write it.

    >>> format_date(2024, 5, 3)
    'May 3, 2024'
    """
    return f"{MONTHS[month - 1].capitalize()} {day}, {year}"


def _title(rng: random.Random, pool: Sequence[str]) -> str:
    """A title that cleaning keeps as story text (not a byline, label or appeal)."""
    while True:
        title = make_title(rng.choice(pool), rng.randint(*TITLE_WORDS))
        if len(title.split()) >= 3 and classify_paragraph(title) is None:
            return title


def synthetic_article(rng: random.Random, pool: Sequence[str]) -> SyntheticArticle:
    """One article: random title, outlet and date, and sentences drawn without replacement."""
    title = _title(rng, pool)
    outlet = rng.choice(OUTLETS)
    published = format_date(rng.choice(YEARS), rng.randint(1, 12), rng.randint(1, 28))
    count = min(rng.randint(*SENTENCES_PER_ARTICLE), len(pool))
    sentences = rng.sample(list(pool), count)
    paragraphs = []
    while sentences:
        take = rng.randint(*SENTENCES_PER_PARAGRAPH)
        paragraphs.append(" ".join(sentences[:take]))
        sentences = sentences[take:]
    return SyntheticArticle(title, outlet, published, tuple(paragraphs))


def write_synthetic_corpus(
    source_dir: Path, target_dir: Path, *, articles: int, seed: int
) -> list[Path]:
    """Write `articles` files `syn_00000.txt`... into `target_dir`; returns their paths."""
    if articles < 1:
        raise ValueError(f"articles must be at least 1, got {articles}")
    pool = sentence_pool(source_dir)
    if len(pool) < SENTENCES_PER_ARTICLE[0]:
        raise ValueError(f"{source_dir} holds only {len(pool)} usable sentences")
    rng = random.Random(seed)
    target_dir.mkdir(parents=True, exist_ok=True)
    width = max(5, len(str(articles - 1)))
    paths = []
    for number in range(articles):
        path = target_dir / f"syn_{number:0{width}d}.txt"
        path.write_text(synthetic_article(rng, pool).render(), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.synth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", type=Path, help="folder to write the articles into")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", type=Path, default=Path("data/articles"))
    args = parser.parse_args(argv)
    try:
        paths = write_synthetic_corpus(
            args.source, args.target, articles=args.articles, seed=args.seed
        )
    except (ValueError, OSError, NewsQAError) as exc:
        print(f"eval.synth: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} articles to {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
