"""The Gradio page: layout and event wiring only; `ui.actions` does the work.

Three tabs: "Ask" (the chat, filters and settings, the sources panel, the answer as Markdown),
"Timeline" (a story's articles in date order; "Timeline of this topic" opens it from the chat)
and "Collection" (upload, list, delete). Each browser session keeps its own conversation in
`gr.State`; the `chat` API endpoint returns the same JSON as `newsrag ask --json`.
"""

# No `from __future__ import annotations` here: Gradio reads the handlers' annotations
# (gr.SelectData, the API's types) at run time.
from types import SimpleNamespace
from typing import Any

import newsrag.offline  # noqa: F401  (analytics and hub look-ups off before gradio loads)
from newsrag.settings import Settings
from newsrag.ui import assets, render
from newsrag.ui.actions import BACKENDS, Actions, make_filters, parse_date
from newsrag.ui.uploads import FORMAT_SUFFIXES

EXAMPLE_QUESTIONS = (
    "What has Iran given Russia?",
    "What is the White House concerned about?",
    "Which countries are helping Russia's war in Ukraine?",
)
CHAT_CONCURRENCY = 4  # answers computed at once; more wait in the queue
WRITE_CONCURRENCY = 1  # uploads and deletes, one at a time
CHAT_PLACEHOLDER = (
    "<div style='text-align:center'><b>Ask about the articles in the collection.</b><br>"
    "Answers cite their passages; follow-up questions keep the conversation.</div>"
)
UPLOAD_TYPES = [*FORMAT_SUFFIXES, ".gz"]
# Gradio keeps its own copy of every upload; ours is in the store, so drop Gradio's after an hour.
UPLOAD_CACHE_CLEANUP = (3600, 3600)


def build_app(settings: Settings, actions: Actions):
    """The page over the store and answer backend that `settings` choose: three tabs, then their events."""
    import gradio as gr

    view = actions.collection()
    with gr.Blocks(
        title="newsrag: ask your news articles", fill_width=True, analytics_enabled=False, delete_cache=UPLOAD_CACHE_CLEANUP
    ) as demo:
        turns = gr.State([])
        gr.HTML(assets.HEADER_HTML, js_on_load=None)
        with gr.Tabs() as tabs:
            ask, timeline, collection = _ask_tab(gr, settings, view), _timeline_tab(gr), _collection_tab(gr, view)
        page = SimpleNamespace(tabs=tabs, turns=turns, **vars(ask), **vars(timeline), **vars(collection))
        _chat_events(gr, actions, page)
        _timeline_events(gr, actions, page)
        _collection_events(gr, actions, page, demo)
    return demo


def _ask_tab(gr, settings: Settings, view) -> SimpleNamespace:
    """The Ask tab: the chat, its filters and settings, the sources panel, the Markdown copy."""
    with gr.Tab("Ask", id="ask"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=7, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="nr-chat",
                    show_label=False,
                    height=None,
                    min_height=460,
                    max_height=680,
                    buttons=[],
                    feedback_options=None,
                    latex_delimiters=[],
                    allow_tags=False,  # our answer HTML uses standard tags only
                    placeholder=CHAT_PLACEHOLDER,
                    examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        elem_id="nr-question",
                        show_label=False,
                        placeholder="Ask about the articles…",
                        lines=1,
                        max_lines=5,
                        max_length=2000,
                        autofocus=True,
                        scale=8,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=0, min_width=90, elem_id="nr-ask")
                    new_chat = gr.Button("New chat", variant="secondary", scale=0, min_width=110, elem_id="nr-new")
                to_timeline = gr.Button("Timeline of this topic", variant="secondary", size="sm", elem_id="nr-to-timeline")
                with gr.Accordion("Filters and settings: they apply to the next question", open=False, elem_id="nr-settings"):
                    with gr.Row():
                        outlets = gr.Dropdown(
                            choices=view.outlets,
                            value=[],
                            multiselect=True,
                            interactive=True,
                            label="Outlets",
                            info="All when empty",
                            elem_id="nr-outlets",
                        )
                        date_from = gr.DateTime(include_time=False, type="string", label="Published from", elem_id="nr-from")
                        date_to = gr.DateTime(include_time=False, type="string", label="Published until", elem_id="nr-to")
                        as_of = gr.DateTime(
                            include_time=False,
                            type="string",
                            label="As of",
                            info="Empty: today. Nothing published later is used",
                            elem_id="nr-as-of",
                        )
                    with gr.Row():
                        backend = gr.Radio(list(BACKENDS), value=settings.llm.backend, label="Answer backend", elem_id="nr-backend")
                        top_k = gr.Slider(1, 20, value=settings.retrieval.top_k, step=1, label="Passages to retrieve", elem_id="nr-topk")
            with gr.Column(scale=5, min_width=360):
                sources = gr.HTML(render.SOURCES_PLACEHOLDER, elem_id="nr-sources", js_on_load=None)
                with gr.Accordion("Copy the answer with its sources (Markdown)", open=False, elem_id="nr-copy"):
                    markdown = gr.Textbox(
                        label="Markdown", lines=8, max_lines=20, buttons=["copy"], interactive=False, elem_id="nr-markdown"
                    )
    return SimpleNamespace(
        chatbot=chatbot,
        question=question,
        ask=ask,
        new_chat=new_chat,
        to_timeline=to_timeline,
        outlets=outlets,
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        backend=backend,
        top_k=top_k,
        sources=sources,
        markdown=markdown,
    )


def _timeline_tab(gr) -> SimpleNamespace:
    """The Timeline tab: a story, an as-of date, the articles in date order."""
    with gr.Tab("Timeline", id="timeline"):
        with gr.Row(equal_height=True):
            timeline_query = gr.Textbox(
                elem_id="nr-tl-query",
                show_label=False,
                placeholder="A story to follow, e.g. Iranian drones for Russia",
                lines=1,
                max_lines=2,
                max_length=500,
                scale=8,
            )
            timeline_as_of = gr.DateTime(include_time=False, type="string", label="As of", elem_id="nr-tl-as-of", scale=2)
            show_timeline = gr.Button("Show timeline", variant="primary", scale=0, min_width=140, elem_id="nr-tl-go")
        timeline = gr.HTML(render.TIMELINE_PLACEHOLDER, elem_id="nr-timeline", js_on_load=None)
    return SimpleNamespace(timeline_query=timeline_query, timeline_as_of=timeline_as_of, show_timeline=show_timeline, timeline=timeline)


def _collection_tab(gr, view) -> SimpleNamespace:
    """The Collection tab: upload, delete, the list of documents."""
    with gr.Tab("Collection", id="collection") as collection_tab:
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
                files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, label="Add articles", elem_id="nr-files")
                add = gr.Button("Add to the collection", variant="primary", elem_id="nr-add")
                report = gr.HTML("", elem_id="nr-report", js_on_load=None)
                doc_choice = gr.Dropdown(
                    choices=view.doc_ids, value=None, interactive=True, label="Delete a document", elem_id="nr-delete-choice"
                )
                delete = gr.Button("Delete document", variant="stop", elem_id="nr-delete")
            with gr.Column(scale=5):
                table = gr.HTML(view.table, elem_id="nr-documents", js_on_load=None)

    return SimpleNamespace(
        collection_tab=collection_tab, files=files, add=add, report=report, doc_choice=doc_choice, delete=delete, table=table
    )


def _chat_events(gr, actions: Actions, page: SimpleNamespace) -> None:
    """Ask, examples, new chat and the `chat` API endpoint."""
    question, chatbot, turns, outlets, date_from, date_to, as_of, backend, top_k, sources, markdown, ask, new_chat = (
        page.question,
        page.chatbot,
        page.turns,
        page.outlets,
        page.date_from,
        page.date_to,
        page.as_of,
        page.backend,
        page.top_k,
        page.sources,
        page.markdown,
        page.ask,
        page.new_chat,
    )

    def answer(text, chat, state, chosen_outlets, start, end, asked_as_of, backend_name, k):
        """Stream one answer into the chat; sources and Markdown change with the final answer."""
        filters = make_filters(chosen_outlets, start, end)
        first = True
        for update in actions.ask(text, chat, state, filters, backend_name, int(k) if k else None, parse_date(asked_as_of) or None):
            yield (
                update.chat,
                update.sources if update.sources is not None else gr.skip(),
                update.markdown if update.markdown is not None else gr.skip(),
                update.turns if update.turns is not None else gr.skip(),
                "" if first else gr.skip(),
            )
            first = False

    chat_inputs = [question, chatbot, turns, outlets, date_from, date_to, as_of, backend, top_k]
    chat_outputs = [chatbot, sources, markdown, turns, question]
    asked = gr.on(
        [question.submit, ask.click],
        answer,
        chat_inputs,
        chat_outputs,
        api_visibility="private",
        concurrency_limit=CHAT_CONCURRENCY,
        concurrency_id="answer",
        show_progress="hidden",
    )

    def example_text(event: gr.SelectData) -> str:
        """The question of the example the user clicked."""
        value = event.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")

    example = chatbot.example_select(example_text, None, question, api_visibility="private", queue=False).then(
        answer, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="answer", show_progress="hidden"
    )

    def reset():
        """A new conversation: no history, no sources (an answer still running is cancelled)."""
        return [], render.SOURCES_PLACEHOLDER, "", [], ""

    for trigger in (new_chat.click, chatbot.clear):  # our button, and the chat's own bin icon
        trigger(None, None, None, cancels=[asked, example]).then(reset, None, chat_outputs, api_visibility="private")

    def chat_api(question: str, history: list[list[str]] | None = None, as_of: str | None = None) -> dict:
        """Answer a question (with earlier [user, assistant] turns, as of a YYYY-MM-DD date, default
        today): the JSON of `newsrag ask --json`."""
        return actions.api_chat(question, history, as_of)

    gr.api(chat_api, api_name="chat", concurrency_limit=CHAT_CONCURRENCY, concurrency_id="answer")


def _timeline_events(gr, actions: Actions, page: SimpleNamespace) -> None:
    """Show a timeline; "Timeline of this topic" goes there from the chat."""
    timeline_query, timeline_as_of, show_timeline, timeline, outlets, date_from, date_to, to_timeline, turns, question, as_of, tabs = (
        page.timeline_query,
        page.timeline_as_of,
        page.show_timeline,
        page.timeline,
        page.outlets,
        page.date_from,
        page.date_to,
        page.to_timeline,
        page.turns,
        page.question,
        page.as_of,
        page.tabs,
    )

    def show_story(query, asked_as_of, chosen_outlets, start, end):
        """The timeline of a story under the chat's outlet and date filters."""
        return actions.timeline(query, parse_date(asked_as_of) or None, make_filters(chosen_outlets, start, end))

    timeline_inputs = [timeline_query, timeline_as_of, outlets, date_from, date_to]
    for trigger in (show_timeline.click, timeline_query.submit):
        trigger(show_story, timeline_inputs, timeline, api_visibility="private", concurrency_id="answer")

    def topic_of(state, typed, chat_as_of):
        """From the chat to the Timeline tab, on the last question asked (or the one being typed)."""
        topic = state[-1].question if state else (typed or "")
        return gr.Tabs(selected="timeline"), topic, chat_as_of

    to_timeline.click(
        topic_of, [turns, question, as_of], [tabs, timeline_query, timeline_as_of], api_visibility="private", queue=False
    ).then(show_story, timeline_inputs, timeline, api_visibility="private", concurrency_id="answer")


def _collection_events(gr, actions: Actions, page: SimpleNamespace, demo) -> None:
    """Upload, delete, and the list refreshed when the tab opens and when the page loads."""
    report, table, doc_choice, outlets, files, add, delete, collection_tab = (
        page.report,
        page.table,
        page.doc_choice,
        page.outlets,
        page.files,
        page.add,
        page.delete,
        page.collection_tab,
    )

    def show(view, with_report: bool = True) -> tuple[Any, ...]:
        """The collection outputs for a `CollectionView`."""
        listing = (view.table, gr.update(choices=view.doc_ids, value=None), gr.update(choices=view.outlets))
        return (view.report, *listing) if with_report else listing

    def upload(paths, progress=gr.Progress()):
        """Save and ingest the chosen files; clear the file box."""
        return (*show(actions.upload(paths or [], progress)), None)

    collection_outputs = [report, table, doc_choice, outlets]
    writes = dict(api_visibility="private", concurrency_limit=WRITE_CONCURRENCY, concurrency_id="write")
    add.click(upload, files, [*collection_outputs, files], **writes)
    delete.click(lambda doc_id: show(actions.delete(doc_id)), doc_choice, collection_outputs, **writes)
    refresh = dict(fn=lambda: show(actions.collection(), with_report=False), outputs=[table, doc_choice, outlets], api_visibility="private")
    collection_tab.select(**refresh)
    demo.load(**refresh)


def launch_options() -> dict[str, Any]:
    """Look and behaviour passed to `Blocks.launch` (Gradio 6 takes theme, css and js there)."""
    return {"theme": assets.theme(), "css": assets.CSS, "js": assets.PAGE_JS}
