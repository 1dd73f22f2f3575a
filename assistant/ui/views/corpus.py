"""Corpus: the indexed documents, their legal status history as a timeline, passages by anchor, and
ingestion of documents a person uploads (``Assistant.ingest``, atomic and locked).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from assistant.api import upload_refusal
from assistant.corpus.readers import SUPPORTED_SUFFIXES
from assistant.corpus.status import status_on
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
for d in status.documents or [{"doc_id": m.id, "title": m.title, "passages": None, "bundled": True, "source": m.path}
                              for m in source.metas.values()]:
    meta = source.metas.get(d["doc_id"])
    current = status_on(meta, today) if meta and meta.status_history else None
    rows.append({
        "Document": d["doc_id"], "Title": d["title"], "Passages": d["passages"],
        "Origin": "bundled" if d["bundled"] else "ingested", "Source file": d["source"],
        f"Status on {today.isoformat()}": render.STATE_TEXT.get(current.state, current.state) if current else "",
        "Official text": meta.official_source if meta else "",
    })
st.dataframe(rows, hide_index=True, width="stretch", key="corpus_documents",
             column_config={"Official text": st.column_config.LinkColumn("Official text")})

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
    scale = alt.Scale(domain=[render.STATE_TEXT[s] for s in COLORS], range=list(COLORS.values()))
    bars = alt.Chart(frame).mark_bar(height=28).encode(
        x=alt.X("from:T", title=None, axis=alt.Axis(format="%Y", tickCount="year")), x2="to:T", y=alt.Y("document:N", title=None),
        color=alt.Color("state:N", scale=scale, legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["from:T", "to:T", "state:N", "event:N"],
    )
    ticks = alt.Chart(frame).mark_tick(color="black", thickness=2, size=34).encode(x="from:T", y="document:N",
                                                                                   tooltip=["from:T", "event:N"])
    rule = alt.Chart(pd.DataFrame({"today": [today.isoformat()]})).mark_rule(strokeDash=[4, 3]).encode(x="today:T")
    st.altair_chart((bars + ticks + rule).properties(height=90), width="stretch")
    st.dataframe(
        [{"Date": e.date.isoformat(), "Status": render.STATE_TEXT.get(e.state, e.state), "Label": e.label, "Event": e.event,
          "Note": e.note, "Confidence": e.confidence} for e in events],
        hide_index=True, width="stretch", key=f"corpus_history_{meta.id}",
    )

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
refusal = upload_refusal(settings, st.get_option("server.address"))
if refusal is not None:
    st.info(render.md_escape(refusal), icon=":material/lock:")
    files = []
else:
    files = st.file_uploader("Documents to ingest", type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
                             accept_multiple_files=True, key="corpus_upload")
if st.button("Ingest", type="primary", icon=":material/upload:", disabled=not files and status.exists, key="corpus_ingest"):
    folder = settings.paths.data_dir / "uploads"
    with st.status("Ingesting...", expanded=True) as box:
        bar = st.progress(0.0, text="Saving the uploaded files")
        saved = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for i, f in enumerate(files or [], 1):
                path = folder / (Path(f.name).name or f"upload-{i}")
                path.write_bytes(f.getvalue())
                saved.append(path)
                bar.progress(0.25 * i / len(files), text=f"Saved {path.name}")
            bar.progress(0.4, text=f"Reading and splitting {len(saved)} document(s) with the bundled corpus")
            spans = {"embedding": (0.4, 0.9), "storing": (0.9, 1.0)}

            def _progress(stage: str, done: int, total: int) -> None:
                lo, hi = spans.get(stage, (0.4, 0.4))
                bar.progress(lo + (hi - lo) * done / max(total, 1), text=f"{stage.capitalize()}: {done} of {total} passages")

            report = resources.assistant(settings).ingest(saved, on_progress=_progress)
        except (GuidanceError, OSError) as exc:
            bar.progress(1.0, text="Stopped")
            box.update(label="Ingest failed; the current index is unchanged", state="error")
            st.error(render.md_escape(str(exc)), icon=":material/error:")
        else:
            bar.progress(1.0, text="Done")
            verb = "Indexed" if report.changed else "Nothing changed:"
            box.update(label=f"{verb} {report.passages} passages from {len(report.documents)} documents "
                             f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s",
                       state="complete", expanded=False)
            st.session_state["corpus_last_ingest"] = report.model_dump()
            st.rerun()  # so the tables above show the new build
last = st.session_state.get("corpus_last_ingest")
if last:
    st.success(f"Last ingest in this session: build {last['build_id']}, {last['passages']} passages from "
               f"{len(last['documents'])} documents ({', '.join(last['documents'])}).", icon=":material/check:")
