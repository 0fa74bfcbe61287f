"""Prompts, as named constants. The numbered `[n]` context lines are the one contract between
the prompt and the citation parser in `qa.cite`.

The default model is a 270M *base* model: it follows a worked example, not instructions, so
the prompt is a completion with one example whose answer is a short phrase and the number of
the line it came from. The example is about an unrelated topic on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence

ANSWER_EXAMPLE = """Context:
[1] The city council approved the new budget on Tuesday after a long debate.
[2] Mayor Ann Lee said the bridge over the river will open in March, two months late.
[3] The bridge cost 40 million dollars, according to city records.
Question: When will the bridge open?
Answer: In March, two months late [2]

"""

ANSWER_TEMPLATE = "Context:\n{context}\nQuestion: {question}\nAnswer:"
STOP = ["\n", "Question:", "Context:"]


def numbered_lines(texts: Sequence[str]) -> str:
    """Texts as "[1] ...", one a line, each with its whitespace collapsed (how every prompt
    shows evidence).

    >>> print(numbered_lines(["A  said \t B.", "C."]))
    [1] A said B.
    [2] C.
    """
    return "\n".join(f"[{i}] {' '.join(text.split())}" for i, text in enumerate(texts, 1))


def build_answer_prompt(question: str, sentences: list[str]) -> str:
    """The completion prompt: the worked example, then the numbered evidence.

    >>> build_answer_prompt("Who?", ["A said B."]).splitlines()[-3:]
    ['[1] A said B.', 'Question: Who?', 'Answer:']
    """
    context = numbered_lines(sentences)
    return ANSWER_EXAMPLE + ANSWER_TEMPLATE.format(context=context, question=question.strip())


NOT_STATED = "Not stated"
# Choice: an instruct model in the extractive mode is asked, in chat form, which numbered
# sentence answers; its reply ("<answer> [n]") is parsed like the base model's completion, and
# the answer is line n, quoted. Rewording costs nothing here: only the line number is used.
CHOICE_SYSTEM = (
    "You answer questions about news using only the numbered sentences given. Reply with the "
    "answer in a few words copied from one sentence, then that sentence's number in brackets. "
    f"If no sentence answers the question, reply only: {NOT_STATED}."
)
CHOICE_USER = "Sentences:\n{sentences}\n\nQuestion: {question}"
CHOICE_EXAMPLE = (
    (
        "user",
        CHOICE_USER.format(
            sentences="[1] The council approved the budget on Tuesday.\n[2] Mayor Ann Lee said "
            "the new bridge will open in March 2022, two months late.\n[3] The bridge cost 40 "
            "million dollars.",
            question="When will the bridge open?",
        ),
    ),
    ("assistant", "In March 2022 [2]"),
)


def build_choice_messages(question: str, sentences: list[str]) -> list[tuple[str, str]]:
    """(role, content) pairs for an instruct model choosing the line that answers: the fixed
    system message and worked example first (a local model's prompt cache reuses them).

    >>> build_choice_messages("Who?", ["A said B."])[-1][1].splitlines()
    ['Sentences:', '[1] A said B.', '', 'Question: Who?']
    """
    user = CHOICE_USER.format(sentences=numbered_lines(sentences), question=question.strip())
    return [("system", CHOICE_SYSTEM), *CHOICE_EXAMPLE, ("user", user)]


# Synthesis: an instruct model reads numbered passages (sentence windows with their article's
# title, outlet and date) and writes a short answer whose every sentence ends with [n]
# markers, or the refusal below. `qa.synthesis` verifies every sentence it writes.
SYNTHESIS_SYSTEM = (
    "You answer questions about news articles using only the numbered passages given. "
    "Write the answer itself in a few words copied from a passage, then the passage number "
    "in brackets. Copy names, dates and figures exactly as the passage gives them. If "
    "passages give different figures, give each with its number. If no passage answers the "
    f"question, reply only: {NOT_STATED}."
)
SYNTHESIS_USER = "Passages:\n{passages}\n\nQuestion: {question}"
# One worked exchange on an unrelated topic: small models copy its form.
SYNTHESIS_EXAMPLE = (
    (
        "user",
        SYNTHESIS_USER.format(
            passages="[1] City Times (2021-03-02): The council approved the budget on Tuesday.\n"
            "[2] City Times (2021-03-02): Mayor Ann Lee said the new bridge will open in "
            "March 2022, two months late.",
            question="When will the bridge open?",
        ),
    ),
    ("assistant", "In March 2022, two months late [2]."),
)


def build_synthesis_messages(question: str, passages: list[str]) -> list[tuple[str, str]]:
    """(role, content) pairs: the fixed system message and worked example first, so a local
    model's prompt cache reuses them across questions, then the passages and the question.

    >>> build_synthesis_messages("Who?", ["A said B."])[-1][1].splitlines()
    ['Passages:', '[1] A said B.', '', 'Question: Who?']
    """
    user = SYNTHESIS_USER.format(passages=numbered_lines(passages), question=question.strip())
    return [("system", SYNTHESIS_SYSTEM), *SYNTHESIS_EXAMPLE, ("user", user)]


# Follow-ups, for a hosted chat model: the conversation so far and the follow-up, rewritten
# into one question that can be understood alone (`qa.rewrite.condensed`). A local model keeps
# the rule-based rewrite (`qa.rewrite.rewrite_followup`).
CONDENSE_SYSTEM = (
    "Rewrite the user's follow-up question about news articles as one standalone question "
    "that names what it refers to, using the conversation. Keep its meaning and its words "
    "where you can. Reply with the question only."
)
CONDENSE_USER = "Conversation:\n{conversation}\n\nFollow-up question: {question}"


def build_condense_messages(question: str, history: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(role, content) pairs asking a chat model to make a follow-up standalone; the last
    three turns, answers without their [n] markers.

    >>> build_condense_messages("And him?", [("Who spoke?", "Peskov [1]")])[-1][1].splitlines()
    ['Conversation:', 'Q: Who spoke?', 'A: Peskov', '', 'Follow-up question: And him?']
    """
    import re

    turns = []
    for asked, answered in history[-3:]:
        unmarked = re.sub(r"\s*\[\d+\]", "", answered)
        turns += [f"Q: {' '.join(asked.split())}", f"A: {unmarked}"]
    user = CONDENSE_USER.format(conversation="\n".join(turns), question=question.strip())
    return [("system", CONDENSE_SYSTEM), ("user", user)]
