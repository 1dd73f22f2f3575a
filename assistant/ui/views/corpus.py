"""Corpus: the indexed documents, their legal status history as a timeline, passages by anchor,
ingestion of documents a person uploads (``Assistant.ingest``, atomic and locked) and removal of
documents a user added (``Assistant.remove``). Both ask for confirmation first: they change the
answers for every user of this index. Tables are static and wrap, so the page fits a narrow window.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from assistant.api import ingest_confirmation, remove_confirmation, upload_refusal
from assistant.corpus.readers import SUPPORTED_SUFFIXES
from assistant.corpus.status import states_in, status_on
from assistant.errors import GuidanceError
from assistant.ui import render, resources

settings = resources.settings()
st.title("Corpus")
st.caption(
    "The documents the assistant answers from. The bundled documents are unofficial restatements written in this "
    "project's own words; ingest the official text to search it too."
)

status = resources.assistant(settings).status()
if not status.exists:
    st.warning(f"There is no index yet ({status.problem or 'nothing has been ingested'}). Ingest the bundled corpus "
               "below, or ask a question on the Ask page: the index is built on first use.", icon=":material/warning:")
else:
    c1, c2, _ = st.columns([1, 1, 2])
    c1.metric("Documents", len(status.documents))
    c2.metric("Passages", status.passages)
    st.caption(f"Last ingest {status.created} (UTC), build {status.build_id}, {status.store} store; embedding model "
               f"{status.embedding_model}, chunker {status.chunker_version}; index folder {status.index_dir}")

source = resources.passages(settings)
today = render.today()

# --- documents --------------------------------------------------------------------------------------
st.header("Documents")
rows = []
documents = status.documents or [{"doc_id": m.id, "title": m.title, "passages": None, "bundled": True, "source": m.path,
                                  "removable": False} for m in source.metas.values()]
for d in documents:
    meta = source.metas.get(d["doc_id"])
    current = status_on(meta, today) if meta and meta.status_history else None
    title = render.md_escape(d["title"])
    rows.append({
        "Document": render.md_escape(d["doc_id"]),
        "Title": f"{title} ([official text]({meta.official_source}))" if meta and meta.official_source else title,
        "Passages": d["passages"], "Origin": "bundled" if d["bundled"] else "ingested",
        f"Status on {today.isoformat()}": render.STATE_TEXT.get(current.state, current.state) if current else "",
    })
render.fitting_table(rows, wrap=("Document", "Title"))


def _run(action, verb: str, label: str) -> None:
    """Run an ingest or a removal with a progress bar; on success show the new build on the next run."""
    with st.status(label, expanded=True) as box:
        bar = st.progress(0.0, text=label)
        spans = {"embedding": (0.1, 0.9), "storing": (0.9, 1.0)}

        def _progress(stage: str, done: int, total: int) -> None:
            lo, hi = spans.get(stage, (0.1, 0.1))
            bar.progress(lo + (hi - lo) * done / max(total, 1), text=f"{stage.capitalize()}: {done} of {total} passages")

        st.session_state.pop("corpus_pending", None)  # asked once: a failure is not tried again on the next run
        try:
            report = action(_progress)
        except (GuidanceError, OSError) as exc:
            bar.progress(1.0, text="Stopped")
            box.update(label=f"{verb} failed; the current index is unchanged", state="error")
            st.error(render.md_escape(str(exc)), icon=":material/error:")
            return
        bar.progress(1.0, text="Done")
    st.session_state["corpus_last_ingest"] = report.model_dump()
    st.rerun()  # so the tables above show the new build


refusal = upload_refusal(settings, st.get_option("server.address"))  # what may not add a document may not remove one
removable = [d for d in documents if d.get("removable")]
if removable:
    st.subheader("Documents you added")
    st.caption("Remove a document that a user ingested; the bundled corpus cannot be removed.")
    if refusal is not None:
        st.caption("Removing them from the app is off for the same reason as uploads (below); use "
                   "`guidance remove DOC_ID` on the server.")
for d in removable if refusal is None else []:
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    c1.markdown(f"**{render.md_escape(d['doc_id'])}**: {render.md_escape(d['title'])} "
                f"({d['passages']} passage{'' if d['passages'] == 1 else 's'})")
    if c2.button("Remove", icon=":material/delete:", key=f"corpus_remove_{d['doc_id']}", width="stretch"):
        st.session_state["corpus_pending"] = {"remove": d["doc_id"]}
    if st.session_state.get("corpus_pending") == {"remove": d["doc_id"]}:
        st.warning(render.md_escape(remove_confirmation(d["doc_id"], d["title"])), icon=":material/warning:")
        y, n, _ = st.columns([2, 1, 2])
        if n.button("Cancel", key="corpus_remove_cancel", width="stretch"):
            st.session_state.pop("corpus_pending", None)
            st.rerun()
        if y.button("Remove for everyone", type="primary", key="corpus_remove_confirm", width="stretch"):
            doc_id = d["doc_id"]
            _run(lambda progress, doc_id=doc_id: resources.assistant(settings).remove(doc_id, on_progress=progress),
                 "Removal", f"Removing {doc_id}...")

# --- status history timeline ------------------------------------------------------------------------------
st.header("Status history")
COLORS = {"not_yet_effective": "#9e9e9e", "in_effect": "#2e7d32", "enjoined": "#8e24aa", "vacated": "#ef6c00",
          "rescinded": "#c62828", "unknown": "#607d8b"}
dated = [m for m in source.metas.values() if m.status_history]
if not dated:
    st.markdown("No document in the index records a status history.")
for meta in dated:
    st.subheader(render.md_escape(meta.short_title or meta.title))
    events = sorted(meta.status_history, key=lambda e: e.date)
    segments = [
        {"document": meta.short_title, "from": e.date.isoformat(),
         "to": (events[i + 1].date if i + 1 < len(events) else max(today, e.date + dt.timedelta(days=30))).isoformat(),
         "state": render.STATE_TEXT.get(e.state, e.state), "event": e.event}
        for i, e in enumerate(events)
    ]
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(segments)
    occurring = states_in(events)  # the legend lists only the states of these events
    scale = alt.Scale(domain=[render.STATE_TEXT[s] for s in occurring], range=[COLORS[s] for s in occurring])
    bars = alt.Chart(frame).mark_bar(height=28).encode(
        x=alt.X("from:T", title=None, axis=alt.Axis(format="%Y", tickCount="year")), x2="to:T", y=alt.Y("document:N", title=None),
        color=alt.Color("state:N", scale=scale, legend=None),  # the legend is drawn below, where it can wrap
        tooltip=["from:T", "to:T", "state:N", "event:N"],
    )
    ticks = alt.Chart(frame).mark_tick(color="black", thickness=2, size=34).encode(x="from:T", y="document:N",
                                                                                   tooltip=["from:T", "event:N"])
    rule = alt.Chart(pd.DataFrame({"today": [today.isoformat()]})).mark_rule(strokeDash=[4, 3]).encode(x="today:T")
    st.altair_chart((bars + ticks + rule).properties(height=90), width="stretch")
    st.markdown(" ".join(f'<span style="white-space:nowrap;margin-right:1em"><span style="color:{COLORS[s]}">&#9632;</span> '
                         f"{render.STATE_TEXT[s]}</span>" for s in occurring), unsafe_allow_html=True)  # constants only
    render.fitting_table([
        {"Date": e.date.isoformat(), "Status": render.STATE_TEXT.get(e.state, e.state),
         "What happened": render.md_escape(" ".join(t for t in (e.event, e.note) if t)), "Confidence": e.confidence}
        for e in events
    ], wrap=("What happened",))

# --- passages by anchor ------------------------------------------------------------------------------------
st.header("Passages by anchor")
doc_ids = list(dict.fromkeys(p.doc_id for p in source.passages))
if doc_ids:
    doc_id = st.selectbox("Document", doc_ids, key="corpus_doc",
                          format_func=lambda d: f"{source.metas[d].short_title} ({d})" if d in source.metas else d)
    meta = source.metas.get(doc_id)
    in_doc = [p for p in source.passages if p.doc_id == doc_id]
    anchors = list(dict.fromkeys(p.anchor for p in in_doc if p.anchor))

    def _anchor_name(anchor: str) -> str:
        if anchor == "(all)":
            return f"(all {len(in_doc)} passages)"
        label = meta.anchors.get(anchor) if meta else None
        return f"{anchor}: {label}" if label else anchor

    anchor = st.selectbox("Anchor", ["(all)"] + anchors, key="corpus_anchor", format_func=_anchor_name)
    shown = in_doc if anchor == "(all)" else [p for p in in_doc if p.anchor == anchor]
    for p in shown:
        render.show_passage(p, expanded=anchor != "(all)")

# --- ingest documents ----------------------------------------------------------------------------------------
st.header("Ingest documents")
st.caption("Add .md, .txt, .pdf, .docx or .html files: they are split by section, embedded and indexed with the bundled "
           "corpus, in a new build that replaces the current one only when it is complete. Uploading a file with the "
           "name of an earlier upload replaces that document.")
if refusal is not None:
    st.info(render.md_escape(refusal), icon=":material/lock:")
    files = []
else:
    files = st.file_uploader("Documents to ingest", type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
                             accept_multiple_files=True, key="corpus_upload")
if st.button("Ingest", type="primary", icon=":material/upload:", disabled=not files and status.exists, key="corpus_ingest"):
    st.session_state["corpus_pending"] = {"ingest": [f.name for f in files or []]}
pending = st.session_state.get("corpus_pending") or {}
names = [f.name for f in files or []]
if "ingest" in pending and pending["ingest"] == names:
    if names:
        st.warning(render.md_escape(ingest_confirmation(names)), icon=":material/warning:")
        y, n, _ = st.columns([2, 1, 2])
        if n.button("Cancel", key="corpus_ingest_cancel", width="stretch"):
            st.session_state.pop("corpus_pending", None)
            st.rerun()
        go = y.button("Ingest for everyone", type="primary", key="corpus_ingest_confirm", width="stretch")
    else:  # only the bundled corpus, into an empty index: it changes no one's answers
        go = True
    if go:
        def _ingest(progress):
            folder = settings.paths.data_dir / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            saved = []
            for i, f in enumerate(files or [], 1):
                path = folder / (Path(f.name).name or f"upload-{i}")
                path.write_bytes(f.getvalue())
                saved.append(path)
            return resources.assistant(settings).ingest(saved, on_progress=progress)

        _run(_ingest, "Ingest", f"Ingesting {len(names)} document(s) with the bundled corpus...")
last = st.session_state.get("corpus_last_ingest")
if last and last.get("removed"):
    st.success(f"Removed in this session: {render.md_escape(', '.join(last['removed']))}. Build {last['build_id']}, "
               f"{last['passages']} passages from {len(last['documents'])} documents remain.", icon=":material/check:")
elif last:
    st.success(f"Last ingest in this session: build {last['build_id']}, {last['passages']} passages from "
               f"{len(last['documents'])} documents ({', '.join(last['documents'])}).", icon=":material/check:")
