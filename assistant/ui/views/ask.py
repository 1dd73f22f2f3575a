"""Ask: a chat about the guidelines. Every answer is verified; each citation opens its passage.

The chat history is this person's alone (``st.session_state``); the assistant and its index are
shared, read-only. Feedback goes to the run log through ``assistant.feedback``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import streamlit as st

from assistant.answer.present import Presentation, present, text_lines, transcript_markdown
from assistant.audit.feedback import record_feedback
from assistant.check.rules import MEMO_HINT, PREMISE
from assistant.errors import GuidanceError
from assistant.types import Answer
from assistant.ui import keys, render, resources

HISTORY = "ask_history"
CONVERSATION = "ask_conversation"  # this session's conversation: follow-ups are read against its turns
PENDING = "ask_pending"
AS_OF = "ask_as_of_kept"  # the picked date, kept while another page is shown
EXAMPLES = (
    "What are the mitigating factors?",
    "Does the person's age matter?",
    "Can an officer arrest someone just because that person is removable?",
    "When did the guidelines take effect?",
)
YOU, ASSISTANT = "you", "the guidance assistant"  # who said what: each chat message is labelled "Chat message from ..."

settings = resources.settings()
assistant = resources.assistant(settings)  # loaded in the background once the page is drawn (app.py)
if CONVERSATION not in st.session_state:  # a new session, or a reload: the chat named in the address comes back
    restored = None
    chat_id = st.query_params.get("chat")
    with resources.shown_errors():
        restored = assistant.conversation(chat_id if chat_id and re.fullmatch(r"[0-9a-f]{32}", chat_id) else None)
    st.session_state[CONVERSATION] = restored or assistant.conversation()
    st.session_state[HISTORY] = [{"answer": a, "feedback": None} for a in st.session_state[CONVERSATION].turns]
conversation = st.session_state[CONVERSATION]
st.query_params["chat"] = conversation.id
history: list[dict] = st.session_state.setdefault(HISTORY, [])

# --- sidebar: the date the status is given for, and a fresh start -----------------------------------
if "ask_as_of" not in st.session_state:  # new session, or the widget's state was dropped on another page
    st.session_state["ask_as_of"] = st.session_state.get(AS_OF, render.today())
with st.sidebar:
    as_of = st.date_input(
        "Guidelines' status as of", key="ask_as_of", format="YYYY-MM-DD",
        min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31),
        help="Every answer states whether the 2021 guidelines governed on this date.",
    ) or render.today()
    st.session_state[AS_OF] = as_of
    export_area = st.container()  # filled at the end of the page, once this run's answer is in the history

st.html(keys.SCRIPT, unsafe_allow_javascript=True)  # Enter applies a typed date; "/" goes to the chat; the banner stays
st.title("Ask the 2021 guidelines")
status = None
with st.container(key=keys.BANNER_KEY), resources.shown_errors():  # short, and kept in view while the chat scrolls
    status = assistant.framework_status(as_of)
    render.status_banner(status, note=False)
if status is not None and status.note:
    st.caption(render.md_escape(status.note))
st.caption(
    "Every sentence of an answer is an exact quote with a numbered citation; click a number to see the quoted "
    "words in their passage. When the guidelines do not address a question, the assistant says so. "
    "Press / to type a question."
)


def _clear() -> None:
    """Start a new conversation (a new id in the address; the old one stays in the audit log)."""
    st.session_state[HISTORY].clear()
    st.session_state[CONVERSATION].clear()
    st.query_params["chat"] = st.session_state[CONVERSATION].id


def _target(idx: int, key: str) -> str:
    """The id a marker of answer ``idx`` links to (inside the expander of its source)."""
    return f"cite-{idx}-{key}"


def _answer_markdown(idx: int, shown: Presentation) -> str:
    """The answer's blocks as Markdown: the lead, quotes with marker links, a list's items short, part headers."""
    fixed = {PREMISE, MEMO_HINT}
    parts = []
    for block in shown.blocks:
        links = " ".join(render.marker_link(n, _target(idx, str(n))) for n in block.numbers)
        if block.kind == "list":
            parts.append("\n".join(
                f"- {f'*{render.md_escape(item.user_document)}:* ' if item.user_document else ''}{render.md_escape(item.label)}"
                f"{f' ({render.md_escape(item.kind)})' if item.kind else ''} "
                f"{render.marker_link(item.number, _target(idx, str(item.number)))}" for item in block.items))
        elif block.kind == "part":
            parts.append(f"**{render.md_escape(block.text)}**")
        elif block.kind == "constant":
            if block.text not in fixed:
                parts.append(render.md_escape(block.text))
        elif block.user_document:  # a quote of the user's own document says so where it is read
            parts.append(f"*{render.md_escape(block.user_document)}:* {render.md_escape(block.text)} {links}")
        else:
            parts.append(f"{render.md_escape(block.text)} {links}")
    return "\n\n".join(parts)


def _on_feedback(idx: int) -> None:
    value = st.session_state.get(f"ask_fb_{idx}")
    turn = st.session_state[HISTORY][idx]
    turn["feedback"] = value
    if value is None:
        return
    s = resources.settings()
    try:
        with resources.audited():
            saved = record_feedback(s, turn["answer"], helpful=value == 1, build_id=resources.build_id(s))
    except (GuidanceError, OSError) as exc:
        saved, reason = None, str(exc)
    else:
        reason = "the audit log could not be written"
    if saved is None:
        st.toast(f"Your mark could not be saved: {render.md_escape(reason)}", icon=":material/error:")
    else:
        st.toast("Thank you: your mark is saved in the audit log with this answer.", icon=":material/check:")


def _show_answer(idx: int, turn: dict) -> None:
    answer: Answer = turn["answer"]
    source = resources.passages(settings)
    shown = present(answer)
    if answer.resolved_question and answer.resolved_question != answer.question:  # a follow-up, read in context
        st.caption(f"Understood as: {render.md_escape(answer.resolved_question)}")
    if answer.refused:
        st.warning(shown.notice, icon=":material/block:")
        st.markdown(render.md_escape(answer.answer))
        if answer.related:  # verified quotes of the closest units: related, never the answer
            st.caption("**Related, not the answer:** what the guidelines say nearby.")
            for related in shown.related:
                st.markdown(f"> {render.md_escape(related.citation.quote)} {render.marker_link(related.key, _target(idx, related.key))}")
                render.show_source(source, related, _target(idx, related.key))
        closest = [r for r in answer.retrieved[:3]]
        if closest:
            st.caption("The closest passages, in case one of them is what you are looking for:")
            by_id = {p.id: p for p in source.passages}
            for r in closest:
                passage = by_id.get(r.passage_id)
                if passage is not None:
                    render.show_passage(passage, title=render.md_escape(r.label or passage.label))
    else:
        lines = answer.answer.splitlines()
        if answer.premise_corrected and lines and lines[0] == PREMISE:
            st.info(f"**{PREMISE}** The quotes below say what the guidelines say instead.", icon=":material/report:")
        st.markdown(_answer_markdown(idx, shown))
        if answer.memo_hint:
            st.info(MEMO_HINT, icon=":material/description:")
            st.page_link("views/memo.py", label="Open the case memo", icon=":material/description:")
        for cited in shown.sources:
            render.show_source(source, cited, _target(idx, cited.key))
    if answer.status is not None:  # the status this answer was given with stays with it, whatever the date picked later
        st.caption(render.status_sentence(answer.status, note=False)
                   + (f" {render.md_escape(shown.guidelines_only)}" if shown.guidelines_only else "")
                   + ("" if answer.backend == "extractive" else f" Composed by {render.md_escape(answer.backend)}."))
    if not answer.check.passed:  # never expected: verify() drops failing claims before we see them
        st.error("The checker reported problems: " + render.md_escape("; ".join(f.message for f in answer.check.findings)))
    with st.container(horizontal=True, vertical_alignment="center"):
        with st.popover("Copy", icon=":material/content_copy:"):
            st.code("\n".join(text_lines(answer)), language=None, wrap_lines=True)
        st.download_button(
            "JSON", data=json.dumps(answer.model_dump(mode="json"), indent=2, ensure_ascii=False),
            file_name="answer.json", mime="application/json", key=f"ask_dl_{idx}", on_click="ignore",
            icon=":material/download:",
        )
        st.feedback("thumbs", key=f"ask_fb_{idx}", on_change=_on_feedback, args=(idx,))


for idx, turn in enumerate(history):
    with st.chat_message(YOU, avatar="user"):
        st.markdown(render.md_escape(turn["answer"].question))
    with st.chat_message(ASSISTANT, avatar="assistant"):
        _show_answer(idx, turn)

question = st.chat_input("Ask about the 2021 guidelines, e.g. does the person's age matter?") or st.session_state.pop(PENDING, None)
if not history and not question:
    st.markdown("**Try a question:**")
    with st.container(horizontal=True):  # the examples wrap on a narrow window instead of being cut off
        for example in EXAMPLES:
            st.button(example, key=f"ask_example_{example}", on_click=st.session_state.__setitem__, args=(PENDING, example))

if question:
    with st.chat_message(YOU, avatar="user"):
        st.markdown(render.md_escape(question))
    with st.chat_message(ASSISTANT, avatar="assistant"):
        answer = None
        with resources.shown_errors():
            waiting = "Searching the guidelines..." if resources.assistant_ready(settings) else (
                "Loading the model and the index (first question only, a few seconds)...")
            draft = st.empty()  # the verified lines as they come; replaced by the whole answer at the end
            lines: list[str] = []
            with st.spinner(waiting):
                resources.warm_up_now(settings)  # at once when the background warming up has already run
                for event in assistant.stream(question, as_of=as_of, conversation=conversation):
                    if event.kind == "line":
                        lines.append(event.text)
                        draft.markdown("\n\n".join(render.answer_markdown_lines("\n".join(lines))))
                    elif event.kind == "notice":
                        lines.clear()
                        st.info(render.md_escape(event.text or ""), icon=":material/info:")
                    elif event.answer is not None:
                        answer = event.answer
        if answer is not None:
            turn = {"answer": answer, "feedback": None}
            history.append(turn)
            with draft.container():
                _show_answer(len(history) - 1, turn)

with export_area:  # the whole conversation, this run's answer included: one click to download, one to copy
    transcript = transcript_markdown([t["answer"] for t in history]) if history else ""
    st.download_button("Export the conversation", data=transcript.encode("utf-8"), file_name="conversation.md",
                       mime="text/markdown", key="ask_export", on_click="ignore", icon=":material/download:",
                       disabled=not history, help="Every question and answer, with its citations and status, as Markdown.")
    with st.popover("Copy the conversation", icon=":material/content_copy:", disabled=not history):
        st.code(transcript, language="markdown", wrap_lines=True)
    st.button("Clear the conversation", icon=":material/delete_sweep:", disabled=not history, key="ask_clear", on_click=_clear)
