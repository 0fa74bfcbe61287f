"""Turn a follow-up question into a standalone one, from the conversation so far (pure).

A follow-up leans on the previous turn through a pronoun ("What else did he say?"). The most
recent named entity of the previous turn (a run of capitalised words in its answer, then its
question) replaces the first such pronoun. This is deliberately rule-based for the local
models: it is instant, deterministic and testable, where a 270M model rewrites unreliably. A
question with no pronoun, or no history, is returned unchanged. With a hosted chat model the
model condenses the conversation instead (`qa.answer`); `condensed` checks its reply and
falls back to the rule when the reply is not a usable question.

>>> history = [("Who is the Kremlin spokesman?", "Dmitry Peskov [1]")]
>>> rewrite_followup("What else did he say?", history)
'What else did Dmitry Peskov say?'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers|they|them|their|it|its)\b", re.IGNORECASE)
_POSSESSIVE = {"his", "her", "hers", "their", "its"}
_ENTITY = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+(?:[A-Z][a-z'’-]+|of|de|al))*(?:\s+[A-Z][a-z'’-]+)")
_SINGLE = re.compile(r"\b[A-Z][a-z'’-]{2,}\b")
_NOT_ENTITIES = frozenset(
    "The A An What Who When Where Why How Which Did Does Do Is Are Was Were Mr Mrs Ms "
    "President Kremlin Secretary State Minister According However Answer US UK EU".split()
)


def _entities(text: str) -> list[str]:
    """Named entities in order of appearance: multi-word names, else single capitalised words
    that are not the first word of a sentence."""
    clean = re.sub(r"\[\d+\]", "", text)
    found = []
    for match in _ENTITY.finditer(clean):
        run: list[str] = []  # titles and connectors split a match into separate names
        for word in [*match.group().split(), "of"]:
            if word[0].isupper() and word not in _NOT_ENTITIES:
                run.append(word)
            elif run:
                found.append(" ".join(run))
                run = []
    if found:
        return found
    for match in _SINGLE.finditer(clean):
        at_start = match.start() == 0 or clean[: match.start()].rstrip().endswith((".", "?", "!"))
        if not at_start and match.group() not in _NOT_ENTITIES:
            found.append(match.group())
    return found


def main_entity(question: str, answer: str) -> str | None:
    """The entity a turn was about: the fullest name its answer adds to its question, else the
    fullest name in the question.

    >>> main_entity("Who said no?", "President Putin's spokesman Dmitry Peskov said no.")
    'Dmitry Peskov'
    >>> main_entity("Who is the US Secretary of State?", "US Secretary of State Antony Blinken")
    'Antony Blinken'
    """
    asked = set(question.lower().split())
    names = [re.sub(r"['’]s$", "", n) for n in _entities(answer)]
    new = [n for n in names if not set(n.lower().split()) & asked]
    for candidates in (new, [re.sub(r"['’]s$", "", n) for n in _entities(question)]):
        if candidates:
            return max(candidates, key=lambda n: len(n.split()))  # first of the longest
    return None


def rewrite_followup(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The question with its first pronoun replaced by the previous turn's main entity.

    >>> rewrite_followup("Where was his meeting?", [("Who met Lukashenko?", "Vladimir Putin")])
    "Where was Vladimir Putin's meeting?"
    >>> rewrite_followup("Who is Blinken?", [("q", "Peskov")])
    'Who is Blinken?'
    """
    match = _PRONOUN.search(question)
    if not history or match is None:
        return question
    last_question, last_answer = history[-1]
    entity = main_entity(last_question, last_answer)
    if entity is None:
        return question
    replacement = f"{entity}'s" if match.group(1).lower() in _POSSESSIVE else entity
    return question[: match.start()] + replacement + question[match.end() :]


MAX_CONDENSED_CHARS = 400


def condensed(reply: str, question: str, history: Sequence[tuple[str, str]]) -> str:
    """A chat model's standalone rewrite of `question`, if usable: one line, not empty, not
    far longer than the question and its last turn; else the rule-based rewrite.

    >>> condensed("What else did Dmitry Peskov say?", "What else did he say?", [])
    'What else did Dmitry Peskov say?'
    >>> condensed("", "What else did he say?", [("Who spoke?", "Dmitry Peskov")])
    'What else did Dmitry Peskov say?'
    """
    text = " ".join(reply.strip().strip('"“”').split("\n", 1)[0].split())
    text = re.sub(r"^(?:standalone question|question)\s*:\s*", "", text, flags=re.IGNORECASE)
    longest = max(MAX_CONDENSED_CHARS, 2 * len(question))
    if not text or len(text) > longest or "[" in text:
        return rewrite_followup(question, history)
    return text
