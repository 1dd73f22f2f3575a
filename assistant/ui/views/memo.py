"""Case memo: facts in a form (or an uploaded case file) -> the factor analysis, its check and the memo.

Nothing is analyzed until the person asks for it ("Draft the memo"; an uploaded case file or the
example case asks by itself); from then on every valid edit re-runs the analysis and the checker
(``Assistant.analyze``). A problem with the facts is shown under its field, the field marked, and
the last findings stay on the page, marked out of date, until every field is valid again. The
facts are this person's alone (``st.session_state``); the browser tab keeps a copy
(``sessionStorage``: that tab only, gone when it closes), so a reload (F5) keeps the form.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from pathlib import Path

import streamlit as st

from assistant.cases.facts import CaseError, load_case, parse_case, read_case_bytes
from assistant.cases.memo.blocks import FINDING_TEXT, PRIORITY_TITLES, counted
from assistant.citations.numbering import Numbering
from assistant.corpus.status import confidence_words, headline
from assistant.evals import data_dir
from assistant.ui import case_form, render, resources

RESULT = "memo_result"  # (facts digest, case, analysis) of the last analysis
UPLOADED = "memo_uploaded"  # id of the last uploaded file applied to the form
DRAFTED = "memo_drafted"  # the person asked for the memo (the button, an upload or the example case)
RESTORED = "memo_restored"  # the browser tab's copy of the form was read (once per session)
STORE = "memo_store"
EXAMPLE = data_dir("cases") / "hx-001.yaml"

# The tab's copy of the form. The script is a constant: it only moves the form's JSON between this
# page and the tab's sessionStorage (never HTML, never shared with another tab or browser).
_STORE_JS = """
export default function(component) {
  const { data, setStateValue } = component;
  const KEY = "guidance.memo.form";
  if (!data) return;
  if (typeof data.save === "string") { sessionStorage.setItem(KEY, data.save); }
  if (window.__guidanceMemoSession !== data.session) {
    window.__guidanceMemoSession = data.session;
    setStateValue("saved", sessionStorage.getItem(KEY) || "");
  }
}
"""
_store = st.components.v2.component("guidance_memo_store", js=_STORE_JS)
# The page's own presentation: findings out of date are faded; a date input reads 2022-03-01, as every
# other date of the page does (not "2022 - 03 - 01"); a findings table wraps its words rather than run
# past the page.
_CSS = """<style>
.st-key-memo_findings_stale { opacity: 0.55; }
[data-testid="stDateInputFieldsScroller"] [data-type="literal"] { padding-left: 0 !important; padding-right: 0 !important; }
[data-testid="stDateInputFieldsScroller"] [role="spinbutton"] { padding-left: 1px !important; padding-right: 1px !important; }
[data-testid="stTableStyledTable"] :is(td, th), [data-testid="stTableStyledTable"] :is(td, th) * {
  overflow-wrap: anywhere !important; white-space: normal !important; }
</style>"""

settings = resources.settings()
st.html(_CSS)
st.title("Case factor analysis and memo")
st.caption(
    "Enter the facts of a case, or upload a case file (YAML or JSON), then draft the memo. The analysis lists the "
    "priorities, the aggravating and mitigating factors the facts trigger, each with its citation, and the checker's "
    "report. It states no verdict: the decision stays the officer's."
)


def _restore_from_tab() -> None:
    """The tab's copy of the form arrived (a reload): show it, unless this session already has a form."""
    st.session_state[RESTORED] = True
    saved = getattr(st.session_state.get(STORE), "saved", None) or ""
    kept = case_form.from_snapshot(saved, render.today()) if saved else None
    blank = case_form.to_data(case_form.defaults(render.today()), [])
    if kept is None or case_form.to_data(st.session_state.get(case_form.FORM) or {}, st.session_state.get(
            case_form.OFFENSES) or []) != blank:  # this session's own form is never overwritten
        return
    values, rows, extra = kept
    case_form.load(values, rows)
    st.session_state[DRAFTED] = extra.get("drafted") is True


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
        st.session_state[DRAFTED] = True
if upload is None:
    st.session_state.pop(UPLOADED, None)
    st.session_state.pop("memo_upload_error", None)
if st.session_state.get("memo_upload_error"):
    st.error(render.md_escape(st.session_state["memo_upload_error"]), icon=":material/error:")


def _load_example() -> None:
    case_form.load(*case_form.from_case(load_case(EXAMPLE)))
    st.session_state[DRAFTED] = True


def _clear() -> None:
    case_form.load(case_form.defaults(render.today()), [])
    st.session_state[DRAFTED] = False
    st.session_state.pop(RESULT, None)


def _draft() -> None:
    st.session_state[DRAFTED] = True


with st.container(horizontal=True):
    st.button("Example case", icon=":material/lightbulb:", on_click=_load_example, disabled=not EXAMPLE.is_file(),
              help=f"The invented case {EXAMPLE.name} from the evaluation cases.", key="memo_example")
    st.button("Clear the form", icon=":material/restart_alt:", on_click=_clear, key="memo_clear")

with st.expander("Case facts", expanded=True, icon=":material/edit_note:"):
    case_form.draw(render.today())

actions = st.container(horizontal=True, vertical_alignment="center")
actions.button("Draft the memo", type="primary", icon=":material/description:", on_click=_draft, key="memo_draft",
               help="Analyze the facts as they stand and draft the memo; after that, every valid edit updates it.")

# --- validate the facts as they stand; analyze them once the memo was asked for -----------------------
data = case_form.to_data(st.session_state[case_form.FORM], st.session_state[case_form.OFFENSES])
empty = data == case_form.to_data(case_form.defaults(render.today()), [])
drafted = bool(st.session_state.get(DRAFTED))
_store(data={"session": st.session_state.get(resources.AUDIT_SESSION, ""),
             "save": case_form.snapshot({"drafted": drafted}) if st.session_state.get(RESTORED) else None},
       key=STORE, on_saved_change=_restore_from_tab)
digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
case = None
problems: list[tuple[str, str]] = []
if not empty:
    try:
        case = parse_case(data, "case form")
    except CaseError as exc:
        problems = exc.problems or [("", str(exc))]
if not drafted:  # a missing case id is no problem until the memo is asked for
    problems = [(path, what) for path, what in problems if path != "case_id"]
case_form.show_problems(problems)

result = st.session_state.get(RESULT)
if drafted and case is not None and (result is None or result[0] != digest):
    with resources.shown_errors():
        analysis = resources.assistant(settings).analyze(case, log=False)  # logged when the memo is downloaded
        result = (digest, case, analysis)
        st.session_state[RESULT] = result
if empty and not drafted:
    st.info("Enter a case id and the facts above, upload a case file, or load the example case; then press "
            "**Draft the memo**.", icon=":material/info:")
elif not drafted and case is not None:
    st.info("The facts are valid. Press **Draft the memo** to see the findings and the memo.", icon=":material/info:")
elif drafted and empty:
    st.info("Enter a case id and the facts above first.", icon=":material/info:")
if result is None or not drafted:
    st.stop()
stale = result[0] != digest  # the facts changed and are not valid yet: the last findings, marked out of date
actions.markdown("[Jump to the findings](#findings)")
shown_digest, case, analysis = result
source = resources.passages(settings)


def _lines(texts: list[str]) -> str:
    """A table cell of the case's own words (st.table renders Markdown): each shown literally, one per line."""
    return "\n".join(render.md_escape(t) for t in texts)


def _factor_table(title: str, factors, kind: str, numbering: Numbering) -> None:
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


def _record_memo() -> None:
    """A memo was downloaded: record its analysis in the audit log (personal details redacted there)."""
    kept = st.session_state.get(RESULT)
    if kept is not None:
        with resources.audited():
            resources.assistant(resources.settings()).log_analysis(kept[2], kept[1])


# --- findings -------------------------------------------------------------------------------------------
st.header(f"Findings for case {render.md_escape(case.case_id)}", anchor="findings")
if stale:
    st.warning(f"**Out of date.** These findings are for the facts before your last change. The form has "
               f"{counted(len(problems), 'problem')} (marked above); the findings update once every field is valid. "
               "Nothing can be downloaded until then.", icon=":material/history:")
with st.container(key="memo_findings_stale") if stale else contextlib.nullcontext():
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
        st.error(f"Check: FAILED with {counted(errors, 'error')}; do not rely on the findings it names.",
                 icon=":material/error:")

    numbering = Numbering(
        c for group in [p.citations for p in analysis.priorities]
        + [f.citations for f in analysis.aggravating + analysis.mitigating] for c in group
    )
    order = list(PRIORITY_TITLES)
    st.subheader("Enforcement priorities")
    st.table(
        [
            {"Priority": PRIORITY_TITLES[p.id], "Finding": FINDING_TEXT[p.finding], "Reasons": _lines(p.reasons),
             "Citations": numbering.refs(p.citations, "; ")}
            for p in sorted(analysis.priorities, key=lambda p: order.index(p.id))
        ],
        hide_index=True,
    )
    _factor_table("Aggravating factors", analysis.aggravating, "aggravating", numbering)
    _factor_table("Mitigating factors", analysis.mitigating, "mitigating", numbering)

    st.subheader("Citations")
    for i, citation in enumerate(numbering.cited, 1):
        render.show_citation(source, i, citation)

    st.subheader("Check report")
    if analysis.check.findings:
        st.dataframe(
            [{"Severity": f.severity.upper(), "Code": f.code, "Where": f.path or "", "Message": f.message,
              "Rule (anchor)": f.anchor or ""} for f in analysis.check.findings],
            hide_index=True, width="stretch", key="memo_check",
        )
    else:
        st.markdown("The checker found nothing to report.")

# --- the memo and its downloads (of findings that are up to date) ---------------------------------------
st.subheader("Memo")
if stale:
    st.caption("The memo is drafted again once every field of the form is valid.")
    st.stop()
stem = re.sub(r"[^A-Za-z0-9._-]+", "-", case.case_id).strip("-.") or "case"
downloads = st.session_state.get("memo_downloads")
if downloads is None or downloads[0] != shown_digest:
    with resources.shown_errors():
        files = {f".{fmt}": resources.assistant(settings).memo_bytes(analysis, case, fmt) for fmt in ("docx", "pdf", "md")}
        files[".preview"] = resources.assistant(settings).memo_preview(analysis, case).encode("utf-8")
        files[".json"] = json.dumps(analysis.model_dump(mode="json"), indent=2, ensure_ascii=False).encode("utf-8")
        downloads = (shown_digest, files)
        st.session_state["memo_downloads"] = downloads
files = downloads[1] if downloads and downloads[0] == shown_digest else {}
with st.container(horizontal=True):
    for suffix, label, mime in (
        (".md", "Markdown", "text/markdown"),
        (".docx", "Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (".pdf", "PDF", "application/pdf"),
        (".json", "JSON", "application/json"),
    ):
        if suffix in files:
            st.download_button(
                label, data=files[suffix], file_name=f"memo-{stem}{suffix}" if suffix != ".json" else f"analysis-{stem}.json",
                mime=mime, key=f"memo_dl{suffix}", on_click=_record_memo, icon=":material/download:",
            )
with st.expander("Preview the memo", icon=":material/article:"):
    if ".preview" in files:  # the memo with every text shown literally: a case's words never become links or images
        st.markdown(files[".preview"].decode("utf-8"))
