"""What kind of answer a question asks for, and whether a text supplies it (pure).

A "who" question needs a name or a role that the question does not already contain; "how many"
needs a figure the question lacks; "when" needs a time expression; "what date" needs a
calendar date. `supplies` says whether a text gives that; the learned ranker (`qa.ranker`)
weighs it as a feature for every kind, and `qa.line_checks` uses it as a veto before answering
for the kinds of `qa.line_checks.VETO_KINDS` only ("how many", "what share"):
`eval.rule_replay` measured on outside-dev and the train-built set that the other kinds'
vetoes stopped no wrong answer and refused three right ones. These are generic rules about
English questions, not rules about any corpus. A "which country / company / city" question has
no kind of its own: a list of such classes was replaced by the ranker's learned closeness of a
line's new words to the question's class phrase (`qa.ranker.asked_class`,
`qa.ranker.class_closeness`).

>>> expected_kind("How many civilians were evacuated?"), expected_kind("Who said it?")
('number', 'person')
>>> supplies("Who met Putin?", "Antony Blinken met him")
True
>>> supplies("Who met Putin?", "Putin met nobody")
False
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from index.clean import MONTHS
from qa.absence import initials
from qa.lexical import STOPWORDS, content_terms, stem, words

Kind = Literal["person", "name", "number", "share", "amount", "date", "time"]

_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred hundreds thousand thousands million millions billion billions dozen dozens
    half quarter third percent""".split()
)
_UNIT_WORDS = frozenset(
    """inch inches foot feet mile miles metre metres meter meters kilometre kilometres
    kilometer kilometers km bit little lot lots fraction dollars euros rubles pounds
    percent""".split()
)
_AMOUNT_WORDS = _NUMBER_WORDS | _UNIT_WORDS
_SHARE_WORDS = frozenset("percent half third quarter fraction majority minority most".split())
YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")  # fullmatch: a year; findall: years in text
_ROLE_WORDS = frozenset(
    """official officials spokesman spokeswoman spokesperson source sources analyst analysts
    minister ministers ministry ministries secretary president leader leaders agency diplomat
    diplomats chief aide aides adviser advisers advisor advisors journalist journalists reporter
    reporters person people government council officer officers general generals commander
    envoy ambassador expert experts newspaper paper outlet veteran veterans soldier soldiers
    troops men women citizens civilians residents voters population staff team head director
    chairman chairwoman chair founder editor owner mayor governor king queen premier chancellor
    ceo manager coach captain judge prosecutor lawyer speaker deputy""".split()
)
_TIME_WORDS = frozenset(
    """spring summer autumn fall winter yesterday today tomorrow ago week weeks month months
    year years decade century earlier later recently""".split()
)
_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+(?:[A-Z][\w’'-]+))*")
_QUESTION_WORDS = frozenset(
    "Who Whom Whose What When Where Which Why How Did Does Do Is Are Was Were According The".split()
)


def expected_kind(question: str) -> Kind | None:
    """The answer kind a question asks for, decided by its first question word, or None when
    it could be anything.

    >>> expected_kind("To whom was he speaking when he said it?")
    'person'
    >>> expected_kind("In which city was he when he said it?") is None
    True
    >>> expected_kind("Why did he say it?") is None
    True
    """
    q = " ".join(words(question))
    first = re.search(r"\b(who|whom|whose|what|which|when|where|why|how)\b", q)
    if first is None:
        return None
    rest = q[first.start() :]
    if re.match(r"(what|which) (exact )?(date|day of the month)\b", rest):
        return "date"
    if re.match(r"(what|which) (is|was) the name\b", rest) or re.search(r"\bname the\b", q):
        return "name"
    if re.match(r"how many\b|(what|which) number\b", rest):
        return "number"
    if re.match(r"(what|which) (percentage|share|proportion|fraction|part)\b", rest):
        return "share"
    if re.match(r"how much\b", rest):
        return "amount"
    if re.match(r"when\b|how long\b|(what|which) (year|month|day|time)\b", rest):
        return "time"
    if re.match(r"(who|whom|whose)\b", rest):
        return "person"
    return None


def names(text: str) -> list[str]:
    """Runs of capitalised words, minus question words.

    >>> names("Did Kremlin spokesman Dmitry Peskov meet U.S. envoys?")
    ['Kremlin', 'Dmitry Peskov']
    """
    found = []
    for match in _NAME.finditer(text):
        tokens = [t for t in match.group().split() if t not in _QUESTION_WORDS]
        if tokens:
            found.append(" ".join(tokens))
    return found


def new_names(question: str, text: str) -> list[str]:
    """The runs of capitalised words in `text` that share no word with the question (a
    weekday or month alone, and a sentence's capitalised first word that is a common word,
    do not count).

    >>> new_names("Who hosts the Oscars?", "Jimmy Kimmel hosts, a year after Will Smith.")
    ['Jimmy Kimmel', 'Will Smith']
    >>> new_names("Who hosts the Oscars?", "The host is Jimmy Kimmel, the Oscars said.")
    ['Jimmy Kimmel']
    """
    question_words = set(words(question))
    calendar = set(MONTHS) | set(_WEEKDAYS)
    found = []
    for at, match in enumerate(_NAME.finditer(text)):
        tokens = [t for t in match.group().split() if t not in _QUESTION_WORDS]
        if at == 0 and match.start() == 0 and tokens and tokens[0].lower() in STOPWORDS:
            tokens = tokens[1:]
        spelled = set(words(" ".join(tokens)))
        if spelled - calendar and not spelled & question_words:
            found.append(" ".join(tokens))
    return found


def names_anything_new(question: str, text: str) -> bool:
    """Whether `text` gives a name (`new_names`) or a figure the question lacks (a new word
    with a digit).

    >>> asked = "Which home goods chain said it has substantial doubt it can stay in business?"
    >>> names_anything_new(asked, "There is substantial doubt, the home goods chain said Thursday.")
    False
    >>> names_anything_new(asked, "Bed Bath & Beyond warned of a bankruptcy filing.")
    True
    """
    if new_names(question, text):
        return True
    return any(any(c.isdigit() for c in w) for w in _new_words(question, text))


def _new_words(question: str, text: str) -> set[str]:
    return set(words(text)) - set(words(question))


class _FromQuestion(enum.Enum):
    KIND = "the question's own kind"


def supplies(
    question: str, text: str, kind: Kind | _FromQuestion | None = _FromQuestion.KIND
) -> bool:
    """Whether `text` gives the kind of answer `question` asks for, beyond the question's
    own words (`kind`: the kind to check, None for none in particular, which any new word
    gives; by default the question's `expected_kind`).

    >>> rained = "it rained and they won"
    >>> supplies("Who won?", rained), supplies("Who won?", rained, None)
    (False, True)
    """
    if kind is _FromQuestion.KIND:
        kind = expected_kind(question)
    new = _new_words(question, text)
    question_words = set(words(question))
    new_names = [n for n in names(text) if not set(words(n)) & question_words]
    match kind:
        case None:
            return bool(new)
        case "person":
            if asked_role(question):  # "who is the X": a name, not another role
                return bool(new_full_names(question, text))
            return bool(new_names) or bool(new & _ROLE_WORDS)
        case "name":
            return any(len(n.split()) >= 2 for n in new_names)
        case "number":
            return any(w[0].isdigit() or w in _NUMBER_WORDS for w in new)
        case "share":  # "what percentage / share": a percentage or a fraction
            return any(w.endswith("%") or w in _SHARE_WORDS for w in new)
        case "amount":  # "how much": a quantity, not a year
            return any(
                (w[0].isdigit() and not YEAR.fullmatch(w)) or w in _AMOUNT_WORDS for w in new
            )
        case "date":
            has_month = bool(new & set(MONTHS)) and any(w.isdigit() for w in words(text))
            return (
                has_month or bool(new & set(_WEEKDAYS)) or bool(re.search(r"\d{4}-\d\d-\d\d", text))
            )
        case "time":
            years = {w for w in new if YEAR.fullmatch(w)}
            return bool(years or new & (set(MONTHS) | set(_WEEKDAYS) | _TIME_WORDS))
    return True  # pragma: no cover


WORD_MATCH = 0.5  # cosine of two single-word embeddings that counts as the same meaning
Similarity = Callable[[list[str], list[str]], np.ndarray]  # cosine of each term to each word
_COUNT_QUESTION = re.compile(r"\bhow (?:many|much)\b(.*)", re.IGNORECASE | re.DOTALL)


def counted_terms(question: str) -> list[str]:
    """What a "how many / how much" question counts: the nouns and adjectives right after it,
    up to the first function word (names are left to the entity checks).

    >>> counted_terms("How many people were killed in the Kharkiv region?")
    ['people']
    >>> counted_terms("How many of Reuters' senior sources said it?")
    ['senior', 'sources']
    >>> counted_terms("How many men of military age fled?"), counted_terms("Who said it?")
    (['men'], [])
    """
    match = _COUNT_QUESTION.search(question)
    if not match:
        return []
    tokens = [re.sub(r"['’]s?$", "", t) for t in re.findall(r"[\w’'-]+", match.group(1))]
    while tokens and tokens[0].lower() in ("of", "the"):
        tokens.pop(0)
    counted: list[str] = []
    for token in tokens:
        if token.lower() in STOPWORDS or token == "said":
            break
        if token.islower() and content_terms(token):
            counted.append(token)
    return counted


FIGURE_REACH = 4  # words from a figure to the noun it counts: "two former senior officials"


def figure_counts(nouns: Sequence[str], text: str, similarity: Similarity) -> bool:
    """Whether a figure in `text` counts one of `nouns`: the noun (or a word of close meaning)
    follows the figure within `FIGURE_REACH` words.

    >>> same = lambda a, b: np.array([[float(x[:5] == y[:5]) for y in b] for x in a])
    >>> figure_counts(["sources"], "Three of the sources said so", same)
    True
    >>> figure_counts(["votes"], "re-elected in March for a new six-year term", same)
    False
    """
    tokens = words(text)
    for at, token in enumerate(tokens):
        if not (token[0].isdigit() or token in _NUMBER_WORDS):
            continue
        following = [w for w in tokens[at + 1 : at + 1 + FIGURE_REACH] if w not in STOPWORDS]
        if not following:
            continue
        if any(stem(n) == stem(w) for n in nouns for w in following):
            return True
        if similarity(list(nouns), following).max() >= WORD_MATCH:
            return True
    return False


def amount_of(nouns: Sequence[str], text: str, similarity: Similarity) -> bool:
    """Whether `text` gives an amount of `nouns` ("how much ground"): a unit or a sum of
    money, or a figure that counts the nouns; not a figure of something else.

    >>> same = lambda a, b: np.array([[float(x[:5] == y[:5]) for y in b] for x in a])
    >>> amount_of(["ground"], "unwilling to back down even an inch", same)
    True
    >>> amount_of(["money"], "two of the sources said so", same)
    False
    """
    if set(words(text)) & _UNIT_WORDS or re.search(r"[$€£]\s?\d", text):
        return True
    return figure_counts(nouns, text, similarity)


_IDENTITY = re.compile(
    r"\b(?:who (?:is|was)|(?:what|which) (?:is|was) the name of)\b(.*)", re.IGNORECASE | re.DOTALL
)


def asked_role(question: str) -> list[str]:
    """For "who is <role>" and "what is the name of <role>" questions, the role's words; else
    []. The role is the noun phrase after the verb (names and possessives skipped; "of" joins
    its parts) when it has a singular role word in it.

    >>> asked_role("Who is Ukraine's foreign minister?")
    ['foreign', 'minister']
    >>> asked_role("What is the name of Putin's chief of staff?")
    ['chief', 'staff']
    >>> asked_role("Who was quoted as saying it?"), asked_role("Who are the sources?")
    ([], [])
    """
    match = _IDENTITY.search(question)
    if not match:
        return []
    phrase: list[str] = []
    tokens = [re.sub(r"['’]s?$", "", t) for t in re.findall(r"[\w’'-]+", match.group(1))]
    for at, word in enumerate(tokens):
        lowered = word.lower()
        if lowered in ("the", "a", "an", "new", "current", "former") or word[:1].isupper():
            continue
        joins = lowered == "of" and phrase and at + 1 < len(tokens) and tokens[at + 1].islower()
        if joins:
            continue
        if lowered in STOPWORDS:
            break
        phrase.append(lowered)
    singular_roles = [w for w in phrase if w in _ROLE_WORDS and not w.endswith("s")]
    return phrase if singular_roles else []


def _one_edit_apart(a: str, b: str) -> bool:
    """Spelling variants: one letter changed, added or dropped ('defence'/'defense')."""
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 5:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def names_role(role: Sequence[str], text: str) -> bool:
    """Whether `text` names the role: each word, or a spelling variant of it.

    >>> names_role(["defence", "minister"], "Belousov, the new Defense Minister")
    True
    >>> names_role(["foreign", "minister"], "the Foreign and Defense Ministries")
    False
    """
    text_words = [w.lower() for w in re.findall(r"[A-Za-z]+", text)]
    return all(any(_one_edit_apart(r, w) for w in text_words) for r in role)


def new_full_names(question: str, text: str) -> list[str]:
    """Names of two or more words in `text` that share no word with the question.

    >>> new_full_names("Who is Ukraine's foreign minister?", "Ukraine's minister Dmytro Kuleba")
    ['Dmytro Kuleba']
    """
    asked = set(words(question))
    return [n for n in names(text) if len(n.split()) >= 2 and not set(words(n)) & asked]


def covers(entity: str, text: str) -> bool:
    """Whether `text` mentions `entity`: as a word prefix ('Russia' in 'Russian'), an acronym,
    or a figure. Case-insensitive.

    >>> covers("NYT", "New York Times: Putin"), covers("Russia", "Russian troops")
    (True, True)
    >>> covers("Zelensky", "Putin's approval rating"), covers("2024", "in 2022")
    (False, False)
    """
    if entity.isupper() and len(entity) >= 2 and entity in initials(text):
        return True
    lowered = entity.lower().replace(".", "")
    text_words = [w.replace(".", "") for w in re.findall(r"[\w.%]+", text.lower())]
    if entity[0].isdigit():
        return lowered in text_words
    return any(w.startswith(lowered) for w in text_words)


_SUBJECT = re.compile(
    r"\b(?i:what|when|where|why|how|which \w+)\s+(?:did|does|do|has|have|had|will|would|could)"
    r"\s+(?:the\s+)?((?:[A-Z][\w’'.-]*\s+)+)"
)


def asked_subject(question: str) -> str | None:
    """Who or what acts in a "what/when/... did <Name> <verb>" question: the name's last word.

    >>> asked_subject("What did Dmitry Peskov say about Gaza?"), asked_subject("Who said it?")
    ('Peskov', None)
    >>> asked_subject("When did the NYT report it?")
    'NYT'
    >>> asked_subject("What did the Kremlin spokesman say?") is None
    True
    """
    match = _SUBJECT.search(question)
    if not match:
        return None
    after = question[match.end() :].split()
    if after and after[0].lower().strip("?,.") in _ROLE_WORDS:  # "the Kremlin spokesman"
        return None
    return re.sub(r"['’]s?$", "", match.group(1).split()[-1])
