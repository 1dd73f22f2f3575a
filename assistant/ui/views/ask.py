"""Ask: a chat about the guidelines. Every answer is verified; each citation opens its passage.

The chat history is this person's alone (``st.session_state``); the assistant and its index are
shared, read-only. Feedback goes to the run log through ``assistant.feedback``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import streamlit as st

from assistant.answer.conversation import transcript_markdown
from assistant.audit.feedback import record_feedback
from assistant.check.rules import MEMO_HINT, PREMISE
from assistant.errors import GuidanceError
from assistant.types import Answer
from assistant.ui import render, resources

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

st.title("Ask the 2021 guidelines")
with resources.shown_errors():
    render.status_banner(assistant.framework_status(as_of))
st.caption(
    "Every sentence of an answer is an exact quote with a numbered citation; open a citation to see the quoted "
    "words in their passage. When the guidelines do not address a question, the assistant says so."
)


def _clear() -> None:
    """Start a new conversation (a new id in the address; the old one stays in the audit log)."""
    st.session_state[HISTORY].clear()
    st.session_state[CONVERSATION].clear()
    st.query_params["chat"] = st.session_state[CONVERSATION].id


def _plain_text(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines += ["", "Sources:"] + [f"  [{i}] {c.label}  ({c.doc_id} {c.start}-{c.end})" for i, c in enumerate(answer.citations, 1)]
    if answer.status:
        s = answer.status
        lines += ["", f"Status of the 2021 guidelines on {s.as_of.isoformat()}: {render.STATE_TEXT.get(s.state, s.state)}. {s.note}"]
    return "\n".join(lines)


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
    if answer.resolved_question and answer.resolved_question != answer.question:  # a follow-up, read in context
        st.caption(f"Understood as: {render.md_escape(answer.resolved_question)}")
    if answer.refused:
        st.warning("**Not addressed by the guidelines.** The assistant found no passage that answers this question.",
                   icon=":material/block:")
        st.markdown(render.md_escape(answer.answer))
        if answer.related:  # verified quotes of the closest units: related, never the answer
            st.caption("**Related, not the answer:** what the guidelines say nearby.")
            for i, citation in enumerate(answer.related, 1):
                st.markdown(f"> {render.md_escape(citation.quote)} **[R{i}]**")
                render.show_citation(source, f"R{i}", citation)
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
        fixed = {PREMISE, MEMO_HINT}
        if answer.premise_corrected and lines and lines[0] == PREMISE:
            st.info(f"**{PREMISE}** The quotes below say what the guidelines say instead.", icon=":material/report:")
        st.markdown("\n\n".join(render.answer_markdown_lines("\n".join(line for line in lines if line not in fixed))))
        if answer.memo_hint:
            st.info(MEMO_HINT, icon=":material/description:")
            st.page_link("views/memo.py", label="Open the case memo", icon=":material/description:")
        for i, citation in enumerate(answer.citations, 1):
            render.show_citation(source, i, citation)
    if answer.status is not None:
        st.caption(render.status_sentence(answer.status, note=False)
                   + ("" if answer.backend == "extractive" else f" Composed by {render.md_escape(answer.backend)}."))
    if not answer.check.passed:  # never expected: verify() drops failing claims before we see them
        st.error("The checker reported problems: " + render.md_escape("; ".join(f.message for f in answer.check.findings)))
    with st.container(horizontal=True, vertical_alignment="center"):
        with st.popover("Copy", icon=":material/content_copy:"):
            st.code(_plain_text(answer), language=None, wrap_lines=True)
        st.download_button(
            "JSON", data=json.dumps(answer.model_dump(mode="json"), indent=2, ensure_ascii=False),
            file_name="answer.json", mime="application/json", key=f"ask_dl_{idx}", on_click="ignore",
            icon=":material/download:",
        )
        st.feedback("thumbs", key=f"ask_fb_{idx}", on_change=_on_feedback, args=(idx,))


for idx, turn in enumerate(history):
    with st.chat_message("user"):
        st.markdown(render.md_escape(turn["answer"].question))
    with st.chat_message("assistant"):
        _show_answer(idx, turn)

question = st.chat_input("Ask about the 2021 guidelines, e.g. does the person's age matter?") or st.session_state.pop(PENDING, None)
if not history and not question:
    st.markdown("**Try a question:**")
    cols = st.columns(len(EXAMPLES))
    for col, example in zip(cols, EXAMPLES):
        col.button(example, key=f"ask_example_{example}", on_click=st.session_state.__setitem__, args=(PENDING, example))

if question:
    with st.chat_message("user"):
        st.markdown(render.md_escape(question))
    with st.chat_message("assistant"):
        answer = None
        with resources.shown_errors():
            waiting = "Searching the guidelines..." if resources.assistant_ready(settings) else (
                "Loading the model and the index (first question only, a few seconds)...")
            draft = st.empty()  # the verified lines as they come; replaced by the whole answer at the end
            lines: list[str] = []
            with st.spinner(waiting):
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
