"""What a question names that no article mentions at all: the "they never mention X" check.

`vocabulary_of` collects every word, figure and acronym of a text (story text and the page
furniture that cleaning set apart, with titles, outlets and dates), accents and case folded;
ingest keeps them for the whole index (`index.keywords`), and `absent_entities` lists the
question's names and figures that no indexed text holds. newsqa says "they
never mention X" only for those, so the statement is true of every file's text. Pure.

It deliberately does not judge whether a mentioned name is *relevant*: a name found anywhere
is not absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.lexical import fold_accents

_LEADING = frozenset(
    "Who Whom Whose What When Where Which Why How Did Does Do Is Are Was Were According In On "
    "At To For From By Apart Besides After Before Since During Under The A An".split()
)


def question_entities(question: str) -> list[str]:
    """Names and figures a question is about; an answer must come from a line that has them.

    >>> question_entities("According to the NYT, what was Zelensky's rating in May 2024?")
    ['NYT', 'Zelensky', 'May', '2024']
    """
    found: list[str] = []
    for match in re.finditer(r"\b[A-Z][\w’'-]*|\b\d+(?:[.,]\d+)*%?", question):
        token = re.sub(r"['’]s?$", "", match.group()).split("-")[0]
        first_word = match.start() == len(question) - len(question.lstrip())
        if token and not first_word and token not in _LEADING and token not in found:
            found.append(token)
    return found


def initials(text: str) -> set[str]:
    """Acronyms a text spells: 'New York Times' gives 'NYT' (and 'NY', 'YT')."""
    capitals = [w[0] for w in re.findall(r"\b[A-Z][a-z]+", text)]
    return {
        "".join(capitals[i:j])
        for i in range(len(capitals))
        for j in range(i + 2, min(len(capitals), i + 5) + 1)
    }


def _same_word(entity_word: str, text_word: str) -> bool:
    """'russia'~'russians', 'ukraine'~'ukrainian': a shared start of all but two letters."""
    if entity_word[0].isdigit() or text_word[:1].isdigit():
        return entity_word == text_word
    shared = next(
        (i for i, (a, b) in enumerate(zip(entity_word, text_word, strict=False)) if a != b),
        min(len(entity_word), len(text_word)),
    )
    return shared >= max(4, len(entity_word) - 2) or entity_word == text_word


def vocabulary_of(texts: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The lower-cased words and the acronyms (initials of capitalised runs) of `texts`."""
    words_found: set[str] = set()
    acronyms: set[str] = set()
    for text in texts:
        folded = fold_accents(text.lower())
        words_found.update(w.replace(".", "") for w in re.findall(r"[\w.%]+", folded))
        words_found.update(n.replace(",", "") for n in re.findall(r"\d+(?:,\d{3})+", folded))
        acronyms.update(initials(text))
    return frozenset(words_found), frozenset(acronyms)


class Vocabulary(Protocol):
    """What `absent_entities` asks of the indexed words (`index.keywords.KeywordIndex`)."""

    def has_word(self, word: str) -> bool: ...

    def has_acronym(self, acronym: str) -> bool: ...

    def words_starting(self, prefix: str) -> list[str]: ...


@dataclass(frozen=True)
class WordSet:
    """A `Vocabulary` held in memory, made from texts with `vocabulary_of`."""

    words: frozenset[str]
    acronyms: frozenset[str]

    @classmethod
    def of(cls, texts: Iterable[str]) -> WordSet:
        return cls(*vocabulary_of(texts))

    def has_word(self, word: str) -> bool:
        return word in self.words

    def has_acronym(self, acronym: str) -> bool:
        return acronym in self.acronyms

    def words_starting(self, prefix: str) -> list[str]:
        return [w for w in self.words if w.startswith(prefix)]


def absent_entities(question: str, vocabulary: Vocabulary) -> list[str]:
    """Question entities that no article mentions at all (nor its title, outlet or date).

    >>> words = WordSet.of(["The New York Times said Russian troops left in 2023."])
    >>> absent_entities("Did the NYT say Russia or Kazakhstan sent troops in 2024?", words)
    ['Kazakhstan', '2024']
    >>> absent_entities("Who ate at Cote Basque?", WordSet.of(["Lunch at La Côte Basque."]))
    []
    >>> absent_entities("Who gave 25,000 miles?", WordSet.of(["It gave 25,000 miles."]))
    []
    """
    missing = []
    for entity in question_entities(question):
        if entity.isupper() and len(entity) >= 2 and vocabulary.has_acronym(entity):
            continue
        word = fold_accents(entity.lower().replace(".", ""))
        word = word.replace(",", "") if word[:1].isdigit() else word
        if vocabulary.has_word(word):
            continue
        if word[0].isdigit() or not _has_form_of(word, vocabulary):
            missing.append(entity)
    return missing


def named_as_written(question: str, entities: Sequence[str]) -> str:
    """The `entities` (each in `question`) as the question writes them: entities next to each
    other with only spaces between make one name, and the names are listed with "or" before
    the last ("They never mention X or Y" is true when none of them is mentioned).

    >>> named_as_written("What did Côte Basque serve?", ["Côte", "Basque"])
    'Côte Basque'
    >>> named_as_written("Did Russia, Chad or Mali act in 2024?", ["Chad", "Mali", "2024"])
    'Chad, Mali or 2024'
    >>> named_as_written("Where is Zorya Street?", ["Zorya"])
    'Zorya'
    """
    names: list[str] = []
    end = 0
    for entity in entities:
        found = re.compile(rf"(?<!\w){re.escape(entity)}").search(question, end)
        if found is None:  # not as written (a rewritten question): name it alone
            names.append(entity)
            continue
        if names and end and not question[end : found.start()].strip():
            names[-1] = f"{names[-1]}{question[end : found.start()]}{entity}"
        else:
            names.append(entity)
        end = found.end()
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _has_form_of(word: str, vocabulary: Vocabulary) -> bool:
    """Whether the vocabulary holds another form of `word` (`_same_word`): such a form shares
    at least max(4, len - 2) leading letters with it, so only words with that prefix can be."""
    need = max(4, len(word) - 2)
    if len(word) < need:
        return False
    return any(_same_word(word, w) for w in vocabulary.words_starting(word[:need]))
