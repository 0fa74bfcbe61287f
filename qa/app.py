"""The Gradio web chat: streamed answers, a sources panel, follow-ups. It only renders.

Answers come from `qa.answer.stream_answer`, the same path as `ask`. Everything shown that
came from an article, a question or the model is HTML-escaped here before it reaches the page,
so `<script>` in any of them is displayed, never run. Full articles are read only for files
that a citation names, from inside the corpus folder.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from typing import Any

from index.errors import NewsQAError
from index.load import read_source_text
from index.settings import Settings
from qa.answer import stream_answer
from qa.engine import Engine, get_engine
from qa.types import Answer, Citation, Final, Rewritten, Token

EXAMPLES = [
    'Who said Russia does not want an "eternal war"?',
    "What share of Ukraine's territory does Russia control?",
    "Who did not believe Putin was interested in serious negotiations?",
    "What is the population of Kazakhstan?",
]
CONTEXT_CHARS = 240
# Answers run CHAT_CONCURRENCY at a time (retrieval overlaps; the LLM itself is serialised by a
# lock), further requests wait in Gradio's queue, and past QUEUE_SIZE they are refused at once.
CHAT_CONCURRENCY = 4
QUEUE_SIZE = 256
CSS = """
#newsqa-sources { max-height: 75vh; overflow-y: auto; }
.src { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.src:target { border-color: #d97706; box-shadow: 0 0 0 2px #fcd34d; }
.src .meta { font-size: 0.85em; color: #57606a; }
.src mark { background: #fde68a; padding: 0 2px; }
.src details pre { white-space: pre-wrap; font-family: inherit; max-height: 40vh;
  overflow-y: auto; }
.understood { font-size: 0.85em; color: #57606a; font-style: italic; }
@media (max-width: 720px) { #newsqa-main { flex-direction: column !important; } }
"""


def _marker_links(escaped_text: str, turn: int) -> str:
    """Turn [n] in already-escaped text into links to source entry n of this turn.

    >>> _marker_links("Peskov [1]", 2)
    'Peskov <a href="#src-2-1" class="cite">[1]</a>'
    """
    return re.sub(
        r"\[(\d{1,3})\]",
        lambda m: f'<a href="#src-{turn}-{m[1]}" class="cite">[{m[1]}]</a>',
        escaped_text,
    )


def render_answer(answer: Answer, turn: int) -> str:
    """The assistant message: escaped answer text with marker links, notes, rewritten query."""
    parts = []
    if answer.standalone_question:
        parts.append(
            f'<div class="understood">Understood as: '
            f"{html.escape(answer.standalone_question)}</div>"
        )
    parts.append(_marker_links(html.escape(answer.text), turn))
    for note in answer.notes:
        parts.append(f'<div class="understood">{html.escape(note)}</div>')
    return "\n".join(parts)


def _highlighted(text: str, start: int, end: int, context: int | None) -> str:
    """Escaped text around [start, end) with that passage in <mark>."""
    before_from = 0 if context is None else max(0, start - context)
    after_to = len(text) if context is None else min(len(text), end + context)
    before, passage, after = text[before_from:start], text[start:end], text[end:after_to]
    lead = "…" if before_from > 0 else ""
    tail = "…" if after_to < len(text) else ""
    return (
        f"{lead}{html.escape(before)}<mark>{html.escape(passage)}</mark>{html.escape(after)}{tail}"
    )


def render_source(citation: Citation, turn: int, article_text: str | None) -> str:
    """One source entry: title, outlet, date, file; the passage in context; the whole article."""
    meta = " · ".join(html.escape(x) for x in (citation.outlet, citation.date) if x)
    title = html.escape(citation.title or citation.source)
    found = (
        article_text is not None and article_text[citation.start : citation.end] == citation.quote
    )
    if found and article_text is not None:
        context = _highlighted(article_text, citation.start, citation.end, CONTEXT_CHARS)
        whole = _highlighted(article_text, citation.start, citation.end, None)
        full = f"<details><summary>Whole article</summary><pre>{whole}</pre></details>"
    else:  # the file changed or left since indexing: show the stored quote alone
        context, full = f"<mark>{html.escape(citation.quote)}</mark>", ""
    return (
        f'<div class="src" id="src-{turn}-{citation.number}">'
        f"<b>[{citation.number}] {title}</b>"
        f'<div class="meta">{meta + " · " if meta else ""}{html.escape(citation.source)}</div>'
        f"<p>{context}</p>{full}</div>"
    )


def render_sources(answer: Answer | None, turn: int, settings: Settings) -> str:
    if answer is None:
        return '<div id="newsqa-sources"><p>Sources of the latest answer appear here.</p></div>'
    if not answer.citations:
        return '<div id="newsqa-sources"><p>No sources: the articles do not answer this.</p></div>'
    entries = [
        render_source(c, turn, read_source_text(settings.corpus_dir, c.source))
        for c in answer.citations
    ]
    return '<div id="newsqa-sources">' + "\n".join(entries) + "</div>"


def corpus_line(engine: Engine) -> str:
    records = engine.store.file_records()
    latest = max((r.indexed_at for r in records.values()), default="never")
    return (
        f"**{len(records)} articles** indexed from `{engine.settings.corpus_dir}`, "
        f"last indexed {latest.replace('T', ' ')}."
    )


def respond(
    message: str, chat: list[dict[str, str]], history: list[tuple[str, str]], settings: Settings
) -> Iterator[tuple[list[dict[str, str]], list[tuple[str, str]], str, str]]:
    """The chat handler: yields (chat messages, history, sources html, input box)."""
    turn = len(history) + 1
    chat = [
        *chat,
        {"role": "user", "content": html.escape(message)},
        {"role": "assistant", "content": "…"},
    ]
    yield chat, history, render_sources(None, turn, settings), ""
    streamed, understood = "", ""
    try:
        for event in stream_answer(message, history=history, settings=settings):
            if isinstance(event, Rewritten):
                understood = (
                    f'<div class="understood">Understood as: {html.escape(event.question)}</div>\n'
                )
            elif isinstance(event, Token):
                streamed += event.text
                chat[-1] = {"role": "assistant", "content": understood + html.escape(streamed)}
                yield chat, history, render_sources(None, turn, settings), ""
            elif isinstance(event, Final):
                chat[-1] = {"role": "assistant", "content": render_answer(event.answer, turn)}
                history = [*history, (message, event.answer.text)]
                yield chat, history, render_sources(event.answer, turn, settings), ""
    except NewsQAError as exc:
        chat[-1] = {"role": "assistant", "content": html.escape(f"Error: {exc}")}
        yield chat, history, render_sources(None, turn, settings), message


def build_app(settings: Settings) -> Any:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    engine = get_engine(settings)
    with gr.Blocks(title="newsqa") as app:
        gr.Markdown("## newsqa: ask the news\n" + corpus_line(engine))
        history = gr.State([])
        with gr.Row(elem_id="newsqa-main"):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(
                    label="Chat",
                    height=520,
                    elem_id="newsqa-chat",
                    buttons=["copy"],
                    feedback_options=None,
                )
                question = gr.Textbox(
                    placeholder="Ask about the articles…",
                    show_label=False,
                    elem_id="newsqa-question",
                    submit_btn=True,
                )
                with gr.Row():
                    new_chat = gr.Button("New chat", elem_id="newsqa-new", size="sm")
                gr.Examples(EXAMPLES, inputs=question, label="Try")
            with gr.Column(scale=2, min_width=280):
                gr.Markdown("### Sources")
                sources = gr.HTML(render_sources(None, 1, settings))

        def on_submit(
            message: str, chat: list[dict[str, str]], past: list[tuple[str, str]]
        ) -> Iterator[tuple[Any, ...]]:
            yield from respond(message, chat, past, settings)

        question.submit(
            on_submit,
            [question, chatbot, history],
            [chatbot, history, sources, question],
            concurrency_limit=CHAT_CONCURRENCY,
            api_name="ask",
        )
        new_chat.click(
            lambda: ([], [], render_sources(None, 1, settings), ""),
            None,
            [chatbot, history, sources, question],
        )
    app.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_SIZE)
    return app


def serve(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True
) -> Any:
    """Serve the chat; with `block=False` return the running app (tests close it)."""
    app = build_app(settings)
    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        css=CSS,
        show_error=False,
        footer_links=[],
        ssr_mode=False,
        prevent_thread_lock=not block,
        quiet=not block,
    )
    return app
