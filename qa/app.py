"""The Gradio web chat: streamed answers, a sources panel, follow-ups, and an Articles tab to
add and remove articles. It only renders.

Answers come from `qa.answer.stream_answer`, the same path as `ask`; the Articles tab calls
`index.manage` (`add_files`, `list_articles`, `remove_article`), the same functions as
`newsqa add|articles|remove`. Everything shown that came from an article, a file name, a
question or the model is HTML-escaped here before it reaches the page, so `<script>` in any
of them is displayed, never run. Full articles are read only for files that a citation names,
from inside the corpus folder. With NEWSQA_AUTH set, every route (uploads included) needs the
login; uploads over NEWSQA_MAX_UPLOAD_MB are cut off by Gradio before they reach `add_files`.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from index.errors import NewsQAError
from index.load import read_source_text
from index.manage import AddReport, ArticleEntry, Upload, add_files, list_articles, remove_article
from index.settings import Settings
from qa.answer import stream_answer
from qa.engine import forget_engines, get_engine
from qa.filters import known_outlets, make_filter
from qa.types import Answer, Citation, Final, Rewritten, Token

EXAMPLES = [
    'Who said Russia does not want an "eternal war"?',
    "What share of Ukraine's territory does Russia control?",
    "Who did not believe Putin was interested in serious negotiations?",
    "What is the population of Kazakhstan?",
]
CONTEXT_CHARS = 240
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".zip"]
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
.verified { border-bottom: 2px solid #4ade80; }
.dropped { font-size: 0.85em; color: #57606a; }
#newsqa-articles { max-height: 60vh; overflow: auto; }
#newsqa-manage-status { min-height: 4em; }
#newsqa-articles table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
#newsqa-articles th, #newsqa-articles td { border-bottom: 1px solid #d0d7de; padding: 4px 8px;
  text-align: left; vertical-align: top; }
#newsqa-articles td.n { text-align: right; }
.manage-ok { color: #1a7f37; } .manage-refused { color: #cf222e; }
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
    if answer.verified_sentences:  # a written answer: mark each checked sentence
        parts.append(
            " ".join(
                f'<span class="verified" title="checked against the passages it cites">'
                f"✓ {_marker_links(html.escape(sentence), turn)}</span>"
                for sentence in answer.verified_sentences
            )
        )
    else:
        parts.append(_marker_links(html.escape(answer.text), turn))
    if answer.dropped_sentences:
        dropped = "".join(f"<li><s>{html.escape(d)}</s></li>" for d in answer.dropped_sentences)
        parts.append(
            f'<details class="dropped"><summary>{len(answer.dropped_sentences)} sentence(s) '
            f"the model wrote were dropped: no cited passage supports them</summary>"
            f"<ul>{dropped}</ul></details>"
        )
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
    if citation.from_metadata:  # a value of its metadata record, not a line of its text
        context = f"<mark>{html.escape(citation.quote)}</mark> (from the article's metadata)"
        full = ""
    elif found and article_text is not None:
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
        return '<div id="newsqa-sources"><p>No sources: no answer was found.</p></div>'
    entries = [
        render_source(c, turn, read_source_text(settings.corpus_dir, c.source))
        for c in answer.citations
    ]
    return '<div id="newsqa-sources">' + "\n".join(entries) + "</div>"


def corpus_line(articles: Sequence[ArticleEntry], settings: Settings) -> str:
    """The header line: how many articles, from where, and when the index last changed."""
    latest = max((a.indexed_at for a in articles), default="never")
    return (
        f"**{len(articles)} articles** indexed from `{settings.corpus_dir}`, "
        f"last indexed {latest.replace('T', ' ')}."
    )


def render_articles(articles: Sequence[ArticleEntry]) -> str:
    """The Articles tab's table: title, outlet, date, file, chunks, every cell escaped.

    >>> render_articles([])
    '<div id="newsqa-articles"><p>No articles are indexed.</p></div>'
    """
    if not articles:
        return '<div id="newsqa-articles"><p>No articles are indexed.</p></div>'
    rows = "\n".join(
        f"<tr><td>{html.escape(a.title or '(untitled)')}</td>"
        f"<td>{html.escape(a.outlet or '')}</td><td>{html.escape(a.date or '')}</td>"
        f'<td><code>{html.escape(a.source)}</code></td><td class="n">{a.chunks}</td></tr>'
        for a in articles
    )
    return (
        '<div id="newsqa-articles"><table><thead><tr><th>Title</th><th>Outlet</th>'
        f"<th>Date</th><th>File</th><th>Chunks</th></tr></thead><tbody>{rows}</tbody>"
        "</table></div>"
    )


def render_add_report(report: AddReport) -> str:
    """What an upload did: the files added, then each refusal on its own line."""
    lines = []
    if report.added:
        names = ", ".join(html.escape(name) for name in report.added)
        lines.append(
            f'<p class="manage-ok">Added {len(report.added)} article(s), '
            f"{report.chunks_added} chunks: {names}</p>"
        )
    lines.extend(f'<p class="manage-refused">{html.escape(str(r))}</p>' for r in report.refused)
    return "\n".join(lines) or "<p>No files were chosen.</p>"


def _removal_choices(articles: Sequence[ArticleEntry]) -> list[tuple[str, str]]:
    return [(f"{a.source} · {a.title or '(untitled)'}", a.source) for a in articles]


def respond(
    message: str,
    chat: list[dict[str, str]],
    history: list[tuple[str, str]],
    settings: Settings,
    *,
    outlets: Sequence[str] = (),
    since: str = "",
    until: str = "",
) -> Iterator[tuple[list[dict[str, str]], list[tuple[str, str]], str, str]]:
    """The chat handler: yields (chat messages, history, sources html, input box). `outlets`,
    `since` and `until` are the filter row's values (`qa.filters`)."""
    turn = len(history) + 1
    chat = [
        *chat,
        {"role": "user", "content": html.escape(message)},
        {"role": "assistant", "content": "…"},
    ]
    yield chat, history, render_sources(None, turn, settings), ""
    streamed, understood = "", ""
    try:
        filters = make_filter(outlets, since, until)
        events = stream_answer(message, history=history, settings=settings, filters=filters or None)
        for event in events:
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


def _chat_tab(settings: Settings, articles: Sequence[ArticleEntry]) -> Any:
    """The chat tab; returns its outlet filter (the page load refreshes its choices)."""
    import gradio as gr

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
            with gr.Row(elem_id="newsqa-filters", equal_height=True):
                outlets = gr.Dropdown(
                    label="Only these outlets",
                    choices=known_outlets(a.outlet for a in articles),
                    multiselect=True,
                    value=[],
                    elem_id="newsqa-filter-outlets",
                    scale=3,
                )
                since, until = (
                    gr.Textbox("", label=label, placeholder="YYYY-MM-DD", elem_id=box, max_lines=1)
                    for label, box in (
                        ("Dated from", "newsqa-since"),
                        ("Dated until", "newsqa-until"),
                    )
                )
            with gr.Row():
                new_chat = gr.Button("New chat", elem_id="newsqa-new", size="sm")
            gr.Examples(EXAMPLES, inputs=question, label="Try")
        with gr.Column(scale=2, min_width=280):
            gr.Markdown("### Sources")
            sources = gr.HTML(render_sources(None, 1, settings))

    def on_submit(
        message: str,
        chat: list[dict[str, str]],
        past: list[tuple[str, str]],
        chosen: list[str] | None,
        first_day: str,
        last_day: str,
    ) -> Iterator[tuple[Any, ...]]:
        yield from respond(
            message, chat, past, settings, outlets=chosen or (), since=first_day, until=last_day
        )

    question.submit(
        on_submit,
        [question, chatbot, history, outlets, since, until],
        [chatbot, history, sources, question],
        concurrency_limit=CHAT_CONCURRENCY,
        api_name="ask",
    )
    new_chat.click(
        lambda: ([], [], render_sources(None, 1, settings), ""),
        None,
        [chatbot, history, sources, question],
    )
    return outlets


def _articles_tab(
    settings: Settings, header: Any, articles: Sequence[ArticleEntry], outlet_filter: Any
) -> tuple[Callable[[], tuple[Any, ...]], list[Any]]:
    """The Articles tab; returns what redraws the list, header and choices (of removal and of
    the chat's outlet filter) on a page load."""
    import gradio as gr

    gr.Markdown(
        "Add `.txt`, `.md` or `.html` articles, several at once or in a `.zip`; "
        f"each file up to {settings.max_upload_mb} MB. A file whose name is already in "
        "the corpus is refused, never replaced: remove the old one first."
    )
    with gr.Row():
        upload = gr.File(
            label="Articles to add",
            file_count="multiple",
            file_types=UPLOAD_TYPES,
            elem_id="newsqa-upload",
            scale=3,
        )
        add = gr.Button("Add to the corpus", variant="primary", elem_id="newsqa-add", scale=1)
    status = gr.HTML("", elem_id="newsqa-manage-status")
    with gr.Row():
        chosen = gr.Dropdown(
            label="Article to remove",
            choices=_removal_choices(articles),
            value=None,
            elem_id="newsqa-remove-choice",
            scale=3,
        )
        remove = gr.Button("Remove", variant="stop", elem_id="newsqa-remove", scale=1)
    table = gr.HTML(render_articles(articles))

    def redraw(note: str = "") -> tuple[Any, ...]:
        articles = list_articles(settings)
        choices = gr.Dropdown(choices=_removal_choices(articles), value=None)
        outlets = gr.Dropdown(choices=known_outlets(a.outlet for a in articles))
        return corpus_line(articles, settings), render_articles(articles), choices, outlets, note

    # Gradio finds the progress bar by this default value: it has to be a call here.
    def on_add(paths: list[str] | None, progress: Any = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        uploads = [Upload(Path(p).name, Path(p)) for p in paths or []]
        try:
            report = add_files(settings, uploads, progress=lambda f, what: progress(f, desc=what))
        except NewsQAError as exc:
            return (*redraw(f'<p class="manage-refused">{html.escape(str(exc))}</p>'), None)
        if report.added:
            forget_engines()  # the next question loads the changed index afresh
        return (*redraw(render_add_report(report)), None)

    def on_remove(source: str | None) -> tuple[Any, ...]:
        if not source:
            return redraw("<p>Choose an article to remove.</p>")
        try:
            removal = remove_article(settings, source)
        except NewsQAError as exc:
            return redraw(f'<p class="manage-refused">{html.escape(str(exc))}</p>')
        forget_engines()
        note = f"Removed {removal.source} and its {removal.chunks_deleted} chunks."
        return redraw(f'<p class="manage-ok">{html.escape(note)}</p>')

    outputs = [header, table, chosen, outlet_filter, status]
    # One corpus change at a time, in its own queue lane: a long ingest never holds up answers.
    add.click(
        on_add,
        [upload],
        [*outputs, upload],
        api_name="add_articles",
        show_progress_on=status,
        concurrency_id="corpus",
        concurrency_limit=1,
    )
    remove.click(
        on_remove,
        [chosen],
        outputs,
        api_name="remove_article",
        show_progress_on=status,
        concurrency_id="corpus",
        concurrency_limit=1,
    )
    return lambda: redraw()[:4], outputs[:4]


def build_app(settings: Settings) -> Any:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    get_engine(settings)  # builds the index first when the store is empty
    articles = list_articles(settings)
    with gr.Blocks(title="newsqa") as app:
        gr.Markdown("## newsqa: ask the news")
        header = gr.Markdown(corpus_line(articles, settings), elem_id="newsqa-corpus")
        with gr.Tabs():
            with gr.Tab("Chat", elem_id="newsqa-tab-chat"):
                outlet_filter = _chat_tab(settings, articles)
            with gr.Tab("Articles", elem_id="newsqa-tab-articles"):
                redraw, redrawn = _articles_tab(settings, header, articles, outlet_filter)
        app.load(redraw, None, redrawn)
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
        max_file_size=settings.max_upload_mb * 1_000_000,
        css=CSS,
        show_error=False,
        footer_links=[],
        ssr_mode=False,
        prevent_thread_lock=not block,
        quiet=not block,
    )
    return app
