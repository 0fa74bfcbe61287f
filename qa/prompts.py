"""Prompts, as named constants. The numbered `[n]` context lines are the one contract between
the prompt and the citation parser in `qa.cite`.

The default model is a 270M *base* model: it follows a worked example, not instructions, so
the prompt is a completion with one example whose answer is a short phrase and the number of
the line it came from. The example is about an unrelated topic on purpose.
"""

from __future__ import annotations

ANSWER_EXAMPLE = """Context:
[1] The city council approved the new budget on Tuesday after a long debate.
[2] Mayor Ann Lee said the bridge over the river will open in March, two months late.
[3] The bridge cost 40 million dollars, according to city records.
Question: When will the bridge open?
Answer: In March, two months late [2]

"""

ANSWER_TEMPLATE = "Context:\n{context}\nQuestion: {question}\nAnswer:"
STOP = ["\n", "Question:", "Context:"]


def build_answer_prompt(question: str, sentences: list[str]) -> str:
    """The completion prompt: the worked example, then the numbered evidence.

    >>> build_answer_prompt("Who?", ["A said B."]).splitlines()[-3:]
    ['[1] A said B.', 'Question: Who?', 'Answer:']
    """
    context = "\n".join(f"[{i}] {' '.join(s.split())}" for i, s in enumerate(sentences, 1))
    return ANSWER_EXAMPLE + ANSWER_TEMPLATE.format(context=context, question=question.strip())
