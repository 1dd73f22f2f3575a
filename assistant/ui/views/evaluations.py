"""Evaluations: run a question or case set (``Assistant.evaluate``) with a progress bar, read its
metrics, charts and per-item results, and compare two runs (``Assistant.compare``).

Runs are written where `guidance eval run` writes them (``Assistant.runs_dir``, in the data
folder, one folder per run named by its set and time), so runs from the app and the command can
be compared.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant.errors import GuidanceError
from assistant.evals import catalog, data_dir
from assistant.ui import render, resources
from assistant.ui.render import md_escape

SETS_DIR = data_dir("sets")
SET_SUFFIXES = (".yaml", ".yml", ".jsonl", ".json")
CARDS = (
    ("item_pass_rate", "Items passed"), ("recall@5", "Recall@5"), ("mrr", "MRR"), ("accurate_rate", "Accurate answers"),
    ("hallucination_rate", "Hallucination rate"), ("refusal_accuracy", "Refusal accuracy"),
    ("oos_refusal_accuracy", "Out-of-scope refused"),
    ("citation_validity", "Valid citations"), ("case_finding_accuracy", "Case findings right"),
    ("factor_precision", "Factor precision"), ("factor_recall", "Factor recall"), ("status_accuracy", "Status right"),
    ("latency_p50_ms", "Latency p50"),
)
SELECTED = "eval_selected_run"
CARD_WIDTH = 215  # px: the longest label, value and "meets the target at least 100.0%" fit on one line

settings = resources.settings()
assistant = resources.assistant(settings)
st.title("Evaluations")
st.caption(
    "Measure the assistant on a question set (retrieval, answers, refusals, citations) or a case set (priority "
    "findings, factors, status). A run writes the same results.json and reports as `guidance eval run`."
)


def _value(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if name.endswith("_ms"):
        return f"{value:.0f} ms"
    return f"{value:.1%}" if 0 <= value <= 1 else f"{value:.3f}"


# --- run a set -------------------------------------------------------------------------------------------
st.header("Run a set")
mode = st.radio("Question or case set", ["A shipped set", "Upload a set"], horizontal=True, key="eval_mode")
set_path: Path | None = None
if mode == "A shipped set":
    sets = sorted(p for p in SETS_DIR.glob("*") if p.suffix.lower() in SET_SUFFIXES) if SETS_DIR.is_dir() else []
    if sets:
        # A radio, not a drop-down: each set's description is read in full, wrapped, under its name.
        set_path = st.radio("Set", sets, format_func=lambda p: p.stem, key="eval_set",
                            captions=[md_escape(catalog.set_description(p)) for p in sets])
    else:
        st.info(f"No set in {SETS_DIR}.")
else:
    upload = st.file_uploader("A set (YAML or JSONL, the format of docs/CONTRACTS.md section 6)",
                              type=[s.lstrip(".") for s in SET_SUFFIXES], key="eval_upload",
                              help="Case items must give their case inline: a case_file path is read relative to "
                                   "the uploaded copy.")
    if upload is not None:
        folder = settings.paths.data_dir / "eval-sets"
        folder.mkdir(parents=True, exist_ok=True)
        set_path = folder / (Path(upload.name).name or "uploaded.yaml")
        set_path.write_bytes(upload.getvalue())
baselines = st.checkbox("Also run the baselines (lexical only, dense only, a plain LangChain recipe); slower",
                        key="eval_baselines")

if st.button("Run", type="primary", icon=":material/play_arrow:", disabled=set_path is None, key="eval_run"):
    bar = st.progress(0.0, text=f"Loading {set_path.name} and the index")

    def _progress(done: int, total: int, label: str) -> None:  # done and total count the whole run's steps
        bar.progress(min(1.0, done / max(total, 1)), text=f"{label} (step {done} of {total})")

    with resources.shown_errors():
        with st.spinner(f"Running every item of {set_path.name}..."):
            # The shared assistant: its index is loaded once per process, not again for the run.
            result = assistant.evaluate(set_path, baselines=baselines, on_progress=_progress)
        bar.progress(1.0, text=f"Done: {result.items} items in {result.seconds:.1f} s, {len(result.failed)} failed")
        st.session_state[SELECTED] = result.out_dir
        st.session_state["eval_run_shown"] = result.out_dir  # show the new run (its selectbox is drawn below)

# --- a run's results ----------------------------------------------------------------------------------------
runs = assistant.runs()
st.header("Results")
if not runs:
    st.info("No run yet: run a set above.")
    st.stop()

from assistant.evals.report import failed_expectations  # noqa: E402 - only once there is something to read
from assistant.evals.results import read_results  # noqa: E402

names = [str(p) for p in runs]
chosen = st.session_state.get(SELECTED)
if st.session_state.get("eval_run_shown") not in names:
    st.session_state["eval_run_shown"] = chosen if chosen in names else names[0]
run = Path(st.selectbox("Run", names, key="eval_run_shown", format_func=lambda p: catalog.run_label(Path(p))))
try:
    results = read_results(run)
except GuidanceError as exc:
    st.error(md_escape(str(exc)), icon=":material/error:")
    st.stop()
ours = results.systems["assistant"]
meta = results.set_info
st.caption(f"Set {md_escape(meta.name)} ({meta.items} items: {meta.questions} questions, {meta.cases} cases), "
           f"run {results.created}, {results.seconds} s, index build {results.index.get('build_id')}")

metrics = results.metrics
shown = [(name, label) for name, label in CARDS if metrics.get(name) is not None]
cards = st.container(horizontal=True, gap="medium")  # cards wrap onto more rows in a narrow window
for name, label in shown:
    met = catalog.meets(name, metrics[name])
    target = f"target at least {_value(name, catalog.TARGETS[name])}" if name in catalog.TARGETS else None
    cards.metric(label, _value(name, metrics[name]),
                 delta=None if met is None else f"{'meets' if met else 'below'} the {target}",
                 delta_color="normal" if met else "inverse", delta_arrow="off",
                 help=f"{name}: {results.definitions.get(name, '')}", width=CARD_WIDTH)

import altair as alt  # noqa: E402
import pandas as pd  # noqa: E402

by_kind = ours.by_kind
if by_kind:
    st.subheader("Answers by kind of question")
    labels = ("accurate", "incomplete", "incorrect", "misgrounded")
    st.bar_chart(pd.DataFrame({k: {catalog.label(name): getattr(v, name) for name in labels} for k, v in by_kind.items()}).T,
                 color=["#3b8f4a", "#c9a227", "#b3362f", "#e07a5f"], stack=True)
systems = results.systems
if len(systems) > 1:
    st.subheader("The assistant and the baselines")
    compared = ["recall@5", "mrr", "accurate_rate", "refusal_accuracy", "citation_validity"]
    long = pd.DataFrame([{"metric": catalog.label(m), "system": s, "value": v.metrics.get(m)}
                         for s, v in systems.items() for m in compared])
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        y=alt.Y("metric:N", title=None, axis=alt.Axis(labelLimit=0)), yOffset="system:N",
        x=alt.X("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("system:N", legend=alt.Legend(orient="bottom", title=None, columns=2, labelLimit=0)),
        tooltip=["system:N", "metric:N", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=60 * len(compared)), width="stretch")
by_anchor = ours.by_anchor
if by_anchor:
    with st.expander("Retrieval by anchor (recall@5)"):
        anchors = pd.DataFrame([{"anchor": a, "recall@5": v.get("recall@5")} for a, v in by_anchor.items()])
        st.altair_chart(alt.Chart(anchors).mark_bar().encode(
            y=alt.Y("anchor:N", title=None, sort=None, axis=alt.Axis(labelLimit=0)),
            x=alt.X("recall@5:Q", scale=alt.Scale(domain=[0, 1])), tooltip=["anchor:N", "recall@5:Q"],
        ).properties(height=18 * len(anchors)), width="stretch")

st.subheader("Items")
only_failures = st.toggle("Only failures", key="eval_only_failures")
rows = []
for r in ours.items:
    if only_failures and r.passed:
        continue
    rows.append({"Item": md_escape(r.id), "Passed": "yes" if r.passed else "no", "Kind": md_escape(r.kind or r.type),
                 "Question or case": md_escape(getattr(r, "question", None) or getattr(r, "case_id", "")),
                 "Failed expectations": md_escape(failed_expectations(r)), "ms": "" if r.ms is None else f"{r.ms:.1f}"})
st.caption(f"{len(rows)} of {len(ours.items)} items shown.")
if rows:  # a static table: its cells wrap, so no column is cut off in a narrow window
    render.fitting_table(rows, wrap=("Item", "Kind", "Question or case", "Failed expectations"),
                         height=600 if len(rows) > 12 else "content")

cols = st.columns(3)
for col, (name, mime) in zip(cols, (("report.html", "text/html"), ("report.md", "text/markdown"),
                                    ("results.json", "application/json"))):
    path = run / name
    if path.is_file():
        col.download_button(name, data=path.read_bytes(), file_name=f"{run.name}-{name}", mime=mime, key=f"eval_dl_{name}",
                            on_click="ignore", icon=":material/download:", width="stretch")

# --- compare two runs -------------------------------------------------------------------------------------------
st.header("Compare two runs")
if len(runs) < 2:
    st.info("Run a second set (or the same set after a change) to compare two runs.")
    st.stop()
pair = catalog.comparison_pair(runs)  # by default the newest run and the one before it of the same set
assert pair is not None
run_a = st.selectbox("Run A (before)", names, index=names.index(str(pair[0])), key="eval_compare_a",
                     format_func=lambda p: catalog.run_label(Path(p)))
run_b = st.selectbox("Run B (after)", names, index=names.index(str(pair[1])), key="eval_compare_b",
                     format_func=lambda p: catalog.run_label(Path(p)))
with resources.shown_errors():
    comparison = assistant.compare(run_a, run_b)
    notes = [text for same, text in ((comparison.same_set, "the sets differ"), (comparison.same_corpus, "the corpora differ"),
                                     (comparison.same_settings, "the settings differ")) if not same]
    if notes:
        st.caption("Note: " + "; ".join(notes) + ".")
    if comparison.regression:
        worse = ", ".join(f"{d.metric} {_value(d.metric, d.a)} -> {_value(d.metric, d.b)}" for d in comparison.regressions)
        if comparison.same_set:
            st.error(f"B regressed: {worse}", icon=":material/trending_down:")
        else:  # not a like-for-like comparison
            st.warning(f"B is worse on {worse}, but it ran another set", icon=":material/trending_down:")
    else:
        st.success("No gated metric is worse in B.", icon=":material/check:")
    st.dataframe(
        [{"Metric": d.metric, "A": d.a, "B": d.b, "Change": d.delta, "Gated": d.gated, "Worse": d.worse}
         for d in comparison.deltas],
        hide_index=True, width="stretch",
        column_config={n: st.column_config.NumberColumn(n, format="%.3f") for n in ("A", "B", "Change")},
    )
    c1, c2 = st.columns(2)
    c1.markdown("**Newly failing in B:** " + (", ".join(comparison.newly_failing) or "none"))
    c2.markdown("**Newly passing in B:** " + (", ".join(comparison.newly_passing) or "none"))
