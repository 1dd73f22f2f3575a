"""Case memo: facts in a form (or an uploaded case file) -> the factor analysis, its check and the memo.

Every edit re-runs the analysis and the checker (``Assistant.analyze``) on the facts as they now
stand; the validation messages are
``parse_case``'s own. The facts are this person's alone (``st.session_state``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import streamlit as st

from assistant.cases.facts import CaseError, load_case, parse_case, read_case_bytes
from assistant.cases.memo.blocks import FINDING_TEXT, PRIORITY_TITLES
from assistant.citations.numbering import Numbering
from assistant.corpus.status import confidence_words, headline
from assistant.evals import data_dir
from assistant.ui import case_form, render, resources

RESULT = "memo_result"  # (facts digest, case, analysis, downloads) of the last analysis
UPLOADED = "memo_uploaded"  # id of the last uploaded file applied to the form
EXAMPLE = data_dir("cases") / "hx-001.yaml"

settings = resources.settings()
st.title("Case factor analysis and memo")
st.caption(
    "Enter the facts of a case, or upload a case file (YAML or JSON). The analysis lists the priorities, the "
    "aggravating and mitigating factors the facts trigger, each with its citation, and the checker's report. "
    "It states no verdict: the decision stays the officer's."
)

# --- an uploaded case file fills the form ------------------------------------------------------------
upload = st.file_uploader("Upload a case file", type=["yaml", "yml", "json"], key="memo_upload",
                          help="The case-file format of docs/CONTRACTS.md section 3; the form below then shows its facts.")
if upload is not None and st.session_state.get(UPLOADED) != upload.file_id:
    st.session_state[UPLOADED] = upload.file_id
    name = Path(upload.name).name or "case.yaml"
    try:
        uploaded_case = read_case_bytes(upload.getvalue(), f"case file {name}")
    except CaseError as exc:
        uploaded_case = None
        st.session_state["memo_upload_error"] = str(exc)
    if uploaded_case is not None:
        st.session_state.pop("memo_upload_error", None)
        case_form.load(*case_form.from_case(uploaded_case))
if upload is None:
    st.session_state.pop(UPLOADED, None)
    st.session_state.pop("memo_upload_error", None)
if st.session_state.get("memo_upload_error"):
    st.error(render.md_escape(st.session_state["memo_upload_error"]), icon=":material/error:")


def _load_example() -> None:
    case_form.load(*case_form.from_case(load_case(EXAMPLE)))


def _clear() -> None:
    case_form.load(case_form.defaults(render.today()), [])


c1, c2, _ = st.columns([1, 1, 2])
c1.button("Example case", icon=":material/lightbulb:", on_click=_load_example, disabled=not EXAMPLE.is_file(),
          help=f"The invented case {EXAMPLE.name} from the evaluation cases.")
c2.button("Clear the form", icon=":material/restart_alt:", on_click=_clear)

with st.expander("Case facts", expanded=True, icon=":material/edit_note:"):
    case_form.draw(render.today())

# --- validate and analyze the facts as they stand ------------------------------------------------------
data = case_form.to_data(st.session_state[case_form.FORM], st.session_state[case_form.OFFENSES])
if data == case_form.to_data(case_form.defaults(render.today()), []):
    st.info("Enter a case id and the facts above, upload a case file, or load the example case.", icon=":material/info:")
    st.stop()
digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
result = st.session_state.get(RESULT)
if result is None or result[0] != digest:
    result = None
    try:
        case = parse_case(data, "case form")
    except CaseError as exc:
        st.error(render.md_escape(str(exc)), icon=":material/error:")
        st.caption("Nothing is analyzed or written until every field is valid.")
        st.session_state.pop(RESULT, None)
        st.stop()
    with resources.shown_errors():
        analysis = resources.assistant(settings).analyze(case, log=False)  # logged when the memo is downloaded
        result = (digest, case, analysis)
        st.session_state[RESULT] = result
    if result is None:
        st.stop()
_, case, analysis = result
source = resources.passages(settings)

# --- findings -------------------------------------------------------------------------------------------
st.header(f"Findings for case {render.md_escape(case.case_id)}")
fw = analysis.framework
words, rest = headline(fw.label, fw.status_on_assessed_date)
extra = "; ".join([f"confidence: {confidence_words(fw.confidence)}"] * bool(fw.confidence)
                  + [f"source: {fw.source_label}"] * bool(fw.source_label))
framework_text = (f"Status of the 2021 guidelines on the assessment date {analysis.assessed_on.isoformat()}: **{words}**"
                  f"{render.md_escape(rest)}{render.md_escape(f' ({extra})' if extra else '')}. {render.md_escape(fw.note)}")
if fw.status_on_assessed_date == "in_effect" and fw.confidence != "UNCONFIRMED":
    st.success(framework_text, icon=":material/gavel:")
else:
    st.warning(framework_text, icon=":material/warning:")

if analysis.check.passed:
    st.success("Check: PASSED. Every citation resolves to its passage and every finding agrees with the facts.",
               icon=":material/verified:")
else:
    errors = sum(f.severity == "error" for f in analysis.check.findings)
    st.error(f"Check: FAILED with {errors} error(s); do not rely on the findings it names.", icon=":material/error:")

numbering = Numbering(
    c for group in [p.citations for p in analysis.priorities] + [f.citations for f in analysis.aggravating + analysis.mitigating]
    for c in group
)
order = list(PRIORITY_TITLES)


def _lines(texts: list[str]) -> str:
    """A table cell of the case's own words (st.table renders Markdown): each shown literally, one per line."""
    return "\n".join(render.md_escape(t) for t in texts)


st.subheader("Enforcement priorities")
st.table(
    [
        {"Priority": PRIORITY_TITLES[p.id], "Finding": FINDING_TEXT[p.finding], "Reasons": _lines(p.reasons),
         "Citations": numbering.refs(p.citations, "; ")}
        for p in sorted(analysis.priorities, key=lambda p: order.index(p.id))
    ],
    hide_index=True,
)


def _factor_table(title: str, factors, kind: str) -> None:
    st.subheader(title)
    if not factors:
        st.markdown(f"The facts trigger none of the {kind} factors listed in the guidelines.")
        return
    st.table(
        [
            {"Factor": render.md_escape(f"{f.label or f.id} ({f.id})"), "Facts": _lines(f.facts),
             "Citations": numbering.refs(f.citations, "; "), "Note": render.md_escape(f.note or "")}
            for f in factors
        ],
        hide_index=True,
    )


_factor_table("Aggravating factors", analysis.aggravating, "aggravating")
_factor_table("Mitigating factors", analysis.mitigating, "mitigating")

st.subheader("Citations")
for i, citation in enumerate(numbering.cited, 1):
    render.show_citation(source, i, citation)

st.subheader("Check report")
if analysis.check.findings:
    st.dataframe(
        [{"Severity": f.severity.upper(), "Code": f.code, "Where": f.path or "", "Message": f.message, "Rule (anchor)": f.anchor or ""}
         for f in analysis.check.findings],
        hide_index=True, width="stretch", key="memo_check",
    )
else:
    st.markdown("The checker found nothing to report.")

# --- the memo and its downloads -------------------------------------------------------------------------
st.subheader("Memo")
stem = re.sub(r"[^A-Za-z0-9._-]+", "-", case.case_id).strip("-.") or "case"
downloads = st.session_state.get("memo_downloads")
if downloads is None or downloads[0] != digest:
    with resources.shown_errors():
        files = {f".{fmt}": resources.assistant(settings).memo_bytes(analysis, case, fmt) for fmt in ("docx", "pdf", "md")}
        files[".preview"] = resources.assistant(settings).memo_preview(analysis, case).encode("utf-8")
        files[".json"] = json.dumps(analysis.model_dump(mode="json"), indent=2, ensure_ascii=False).encode("utf-8")
        downloads = (digest, files)
        st.session_state["memo_downloads"] = downloads
files = downloads[1] if downloads and downloads[0] == digest else {}


def _record_memo() -> None:
    """A memo was downloaded: record its analysis in the audit log (personal details redacted there)."""
    kept = st.session_state.get(RESULT)
    if kept is not None:
        with resources.audited():
            resources.assistant(resources.settings()).log_analysis(kept[2], kept[1])


cols = st.columns(4)
for col, (suffix, label, mime) in zip(cols, (
    (".md", "Markdown", "text/markdown"),
    (".docx", "Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (".pdf", "PDF", "application/pdf"),
    (".json", "JSON", "application/json"),
)):
    if suffix in files:
        col.download_button(
            label, data=files[suffix], file_name=f"memo-{stem}{suffix}" if suffix != ".json" else f"analysis-{stem}.json",
            mime=mime, key=f"memo_dl{suffix}", on_click=_record_memo, icon=":material/download:", width="stretch",
        )
with st.expander("Preview the memo", icon=":material/article:"):
    if ".preview" in files:  # the memo with every text shown literally: a case's words never become links or images
        st.markdown(files[".preview"].decode("utf-8"))
