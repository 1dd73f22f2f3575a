"""The case form: widgets that mirror the case-file format (docs/CONTRACTS.md section 3), field for field.

This module only maps widgets to the plain data of a case file and back; validation is
``assistant.case.parse_case``'s alone, so the form shows exactly the messages a case file gets.
A field left empty is left out of the data (unknown), as in a case file.

Streamlit drops the state of widgets that a run does not draw (another page, say), so the values
also live under one ordinary session key (``FORM``) and are put back into the widgets on return.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import TYPE_CHECKING, Any

import streamlit as st

from assistant.cases import fields
from assistant.ui.render import md_escape

if TYPE_CHECKING:
    import pandas as pd

    from assistant.cases.facts import Case

FORM = "memo_form"  # field -> value, this session's case facts
OFFENSES = "memo_offenses"  # the rows of the criminal history
EDITOR_VERSION = "memo_offenses_version"
EDITOR_BASE = "memo_offenses_base"
EDITOR_ROWS_NOW = "memo_offenses_now"  # the table's rows as last drawn, empty ones included
SLOTS = "memo_form_slots"  # this run's placeholders under the fields, for their problems

TRI = (fields.UNKNOWN, "yes", "no")  # a yes/no fact that may be unknown (null in a case file)
MANNERS = (fields.UNKNOWN, "unlawful", "lawful")
LOCATIONS = (fields.UNKNOWN, "border", "port_of_entry", "interior")
OFFENSE_COLUMNS = ("offense", "date", "convicted", "sentence_months", "serious", "harm", "weapon", "sophistication",
                   "vacated_or_expunged")
OFFENSE_SELECTS = {"convicted": ("yes", "no"), "serious": ("yes", "no"), "harm": ("none", "minor", "serious"),
                   "weapon": ("none", "firearm", "dangerous_weapon"), "sophistication": ("low", "moderate", "high")}
FLAGS = ("mental_condition_contributed", "condition_requiring_care", "crime_victim", "witness_or_party_in_proceedings",
         "provider_or_caregiver", "workplace_or_tenant_rights")
LISTS = (
    ("family_in_us", "U.S. citizen daughter, age 9"),
    ("relief_eligibility", "asylum"),
    ("service", "son: U.S. Army, 2015-2019"),
    ("rehabilitation", "completed a treatment program in 2019"),
)
KEYS = {  # case-file path -> the form's own widget name (cf_<name>)
    "case_id": "case_id", "assessed_on": "assessed_on", "person.age": "age", "person.birth_date": "birth_date",
    "person.years_in_us": "years_in_us", "person.name": "name", "person.a_number": "a_number",
    "entry.date": "entry_date", "entry.manner": "entry_manner", "apprehension.date": "appr_date",
    "apprehension.location": "appr_location", "apprehension.attempting_unlawful_entry": "appr_attempting",
    "national_security.terrorism_or_espionage": "ns_terrorism", "national_security.other_danger": "ns_other",
    "criminal_history": "criminal_history", "notes": "notes",
    **{f"circumstances.{name}": name for name in FLAGS}, **{f"circumstances.{name}": name for name, _ in LISTS},
}
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
DATE_FORMAT = "YYYY-MM-DD"  # the one date format of the page (the findings and the memo write ISO dates too)


def defaults(today: dt.date) -> dict[str, Any]:
    """An empty case: everything unknown, assessed today."""
    values: dict[str, Any] = {
        "case_id": "", "assessed_on": today, "age": None, "birth_date": None, "years_in_us": None, "name": "",
        "a_number": "", "entry_date": None, "entry_manner": "unknown", "appr_date": None, "appr_location": "unknown",
        "appr_attempting": "unknown", "ns_terrorism": "unknown", "ns_other": "unknown", "notes": "",
    }
    values.update({name: False for name in FLAGS})
    values.update({name: "" for name, _ in LISTS})
    return values


def _tri(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _untri(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "unknown")


def from_case(case: Case) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The form values and offense rows that show ``case``."""
    p, e, a, ns, c = case.person, case.entry, case.apprehension, case.national_security, case.circumstances
    values = {
        "case_id": case.case_id, "assessed_on": case.assessed_on, "age": p.age, "birth_date": p.birth_date,
        "years_in_us": p.years_in_us, "name": p.name or "", "a_number": p.a_number or "", "entry_date": e.date,
        "entry_manner": e.manner, "appr_date": a.date, "appr_location": a.location or "unknown",
        "appr_attempting": _tri(a.attempting_unlawful_entry), "ns_terrorism": _tri(ns.terrorism_or_espionage),
        "ns_other": _tri(ns.other_danger), "notes": case.notes,
    }
    values.update({name: getattr(c, name) for name in FLAGS})
    values.update({name: "\n".join(getattr(c, name)) for name, _ in LISTS})
    rows = [
        {
            "offense": o.offense, "date": o.date, "convicted": None if o.convicted is None else _tri(o.convicted),
            "sentence_months": o.sentence_months, "serious": None if o.serious is None else _tri(o.serious),
            "harm": o.harm, "weapon": o.weapon, "sophistication": o.sophistication,
            "vacated_or_expunged": o.vacated_or_expunged,
        }
        for o in case.criminal_history
    ]
    return values, rows


def load(values: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Show these values in the form (call before the form's widgets are drawn in this run)."""
    st.session_state[FORM] = dict(values)
    for name, value in values.items():
        st.session_state[f"cf_{name}"] = value
    st.session_state[OFFENSES] = [dict(r) for r in rows]
    st.session_state[EDITOR_BASE] = [dict(r) for r in rows]
    st.session_state[EDITOR_ROWS_NOW] = [dict(r) for r in rows]
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1


def _restore(today: dt.date) -> dict[str, Any]:
    values = st.session_state.setdefault(FORM, defaults(today))
    for name, value in values.items():
        if f"cf_{name}" not in st.session_state:  # dropped by Streamlit while another page was shown
            st.session_state[f"cf_{name}"] = value
    st.session_state.setdefault(OFFENSES, [])
    st.session_state.setdefault(EDITOR_BASE, [])
    st.session_state.setdefault(EDITOR_VERSION, 0)
    return values


def _help(path: str) -> str:
    return fields.tooltip(path)


def _date(path: str, name: str) -> None:
    st.date_input(fields.label(path), key=f"cf_{name}", min_value=DATE_MIN, max_value=DATE_MAX, format=DATE_FORMAT,
                  help=_help(path))
    _slot(path)


def _select(path: str, name: str, options: tuple[str, ...]) -> None:
    st.selectbox(fields.label(path), options, key=f"cf_{name}", help=_help(path), format_func=_option)
    _slot(path)


def _option(value: str | None) -> str:
    return fields.UNKNOWN if value is None else value.replace("_", " ")


def _slot(path: str) -> None:
    """The place right under a field where its validation problem is shown (filled by ``show_problems``)."""
    _slots()[path] = st.empty()


def _slots() -> dict[str, Any]:
    # This run's placeholders, in this person's session state (redrawn, so replaced, on every run).
    return st.session_state.setdefault(SLOTS, {})


def draw(today: dt.date) -> None:
    """Draw the form's widgets (values kept in this session)."""
    values = _restore(today)
    _slots().clear()
    _slot("")  # problems of the case as a whole
    c1, c2 = st.columns(2)
    with c1:
        st.text_input(fields.label("case_id"), key="cf_case_id", placeholder="HX-001", help=_help("case_id"))
        _slot("case_id")
    with c2:
        _date("assessed_on", "assessed_on")

    st.markdown("**Person**")
    c1, c2 = st.columns(2)
    with c1:
        st.text_input(fields.label("person.name"), key="cf_name", help=_help("person.name"))
        _slot("person.name")
    with c2:
        st.text_input(fields.label("person.a_number"), key="cf_a_number", help=_help("person.a_number"))
        _slot("person.a_number")
    c1, c2 = st.columns(2)
    with c1:
        st.number_input(fields.label("person.age"), key="cf_age", step=1, format="%d", help=_help("person.age"))
        _slot("person.age")
    with c2:
        _date("person.birth_date", "birth_date")
    c1, _ = st.columns(2)
    with c1:
        st.number_input(fields.label("person.years_in_us"), key="cf_years_in_us", step=1.0, format="%.1f",
                        help=_help("person.years_in_us"))
        _slot("person.years_in_us")

    st.markdown("**Entry and apprehension**")
    c1, c2 = st.columns(2)
    with c1:
        _date("entry.date", "entry_date")
    with c2:
        _select("entry.manner", "entry_manner", MANNERS)
    c1, c2 = st.columns(2)
    with c1:
        _date("apprehension.date", "appr_date")
    with c2:
        _select("apprehension.location", "appr_location", LOCATIONS)
    _select("apprehension.attempting_unlawful_entry", "appr_attempting", TRI)

    st.markdown("**National security**")
    c1, c2 = st.columns(2)
    with c1:
        _select("national_security.terrorism_or_espionage", "ns_terrorism", TRI)
    with c2:
        _select("national_security.other_danger", "ns_other", TRI)

    st.markdown(f"**{fields.label('criminal_history')}** (one row per offense; a cell left as {fields.UNKNOWN} or empty "
                "is unknown)", help=_help("criminal_history"))
    _draw_offenses()

    st.markdown("**Circumstances**")
    for name in FLAGS:
        path = f"circumstances.{name}"
        st.checkbox(fields.label(path), key=f"cf_{name}", help=_help(path))
        _slot(path)
    c1, c2 = st.columns(2)
    for i, (name, example) in enumerate(LISTS):
        path = f"circumstances.{name}"
        with c1 if i % 2 == 0 else c2:
            st.text_area(fields.label(path), key=f"cf_{name}", placeholder=example, height=80, help=_help(path))
            _slot(path)
    st.text_area(fields.label("notes"), key="cf_notes", height=80, help=_help("notes"))
    _slot("notes")

    for name in values:
        values[name] = st.session_state.get(f"cf_{name}")


def slot_of(path: str) -> str:
    """The form field a problem's path belongs to ("criminal_history[1].date" -> "criminal_history")."""
    if path.startswith("criminal_history"):
        return "criminal_history"
    if path in _slots():
        return path
    parent = path.rsplit(".", 1)[0]
    return parent if parent in _slots() else ""


def show_problems(problems: list[tuple[str, str]]) -> None:
    """Each problem right under its field, and the field marked (a red edge), until the input is valid."""
    slots = _slots()
    by_slot: dict[str, list[str]] = {}
    for path, what in problems:
        where = slot_of(path)
        text = fields.plain_problem(what)
        if where in ("criminal_history", "") and path:
            text = f"{fields.label(path)}: {text}"
        by_slot.setdefault(where, []).append(text)
    for where, texts in by_slot.items():
        if where in slots:
            slots[where].error("\n\n".join(md_escape(t) for t in texts), icon=":material/error:")
    marked = [KEYS.get(where, where) for where in by_slot if where]
    if marked:  # constant selectors built from the form's own keys, never from a person's text
        css = ", ".join(f".st-key-cf_{key}" for key in marked if re.fullmatch(r"[a-z_]+", key))
        st.html(f"<style>{css} {{ border-left: 4px solid #d93025; padding-left: 8px; }}</style>")


def add_offense() -> None:
    """Add an empty offense row to the table (a callback: runs before the table is drawn)."""
    rows = [dict(r) for r in st.session_state.get(EDITOR_ROWS_NOW, st.session_state.get(OFFENSES, []))]
    rows.append(blank_offense())
    st.session_state[OFFENSES] = [r for r in rows if _filled(r)]
    st.session_state[EDITOR_BASE] = rows
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1


def blank_offense() -> dict[str, Any]:
    """A new offense row: everything unknown."""
    row: dict[str, Any] = {name: None for name in OFFENSE_COLUMNS}
    row.update({name: fields.UNKNOWN for name in OFFENSE_SELECTS})
    row["vacated_or_expunged"] = False
    return row


def _draw_offenses() -> None:
    import pandas as pd

    key = f"cf_offenses_{st.session_state[EDITOR_VERSION]}"
    if key not in st.session_state and _shown(st.session_state[EDITOR_BASE]) != st.session_state[OFFENSES]:
        # The editor's own state was dropped (another page was shown): start it from the current rows.
        st.session_state[EDITOR_BASE] = [dict(r) for r in st.session_state[OFFENSES]]
        st.session_state[EDITOR_VERSION] += 1
        key = f"cf_offenses_{st.session_state[EDITOR_VERSION]}"
    base = pd.DataFrame([_display_row(r) for r in st.session_state[EDITOR_BASE]], columns=list(OFFENSE_COLUMNS))
    base = base.astype({"offense": "object", "date": "object", "sentence_months": "float64", "vacated_or_expunged": "bool"})
    cc = st.column_config
    label, tip = (lambda n: fields.OFFENSE_FIELDS[n].label), (lambda n: _help(f"criminal_history[].{n}"))
    selects = {name: cc.SelectboxColumn(label(name), options=[fields.UNKNOWN, *options], help=tip(name),
                                        default=fields.UNKNOWN, required=True)
               for name, options in OFFENSE_SELECTS.items()}
    with st.container(key="cf_criminal_history"):
        edited = st.data_editor(
            base, key=key, num_rows="dynamic", hide_index=True, width="stretch", placeholder=fields.UNKNOWN,
            column_config={
                "offense": cc.TextColumn(label("offense"), help=tip("offense")),
                "date": cc.DateColumn(label("date"), format=DATE_FORMAT, min_value=DATE_MIN, max_value=DATE_MAX,
                                      help=tip("date")),
                "sentence_months": cc.NumberColumn(label("sentence_months"), min_value=0, step=1, format="%d",
                                                   help=tip("sentence_months")),
                "vacated_or_expunged": cc.CheckboxColumn(label("vacated_or_expunged"), default=False,
                                                         help=tip("vacated_or_expunged")),
                **selects,
            },
        )
        rows = _rows(edited)
        st.session_state[EDITOR_ROWS_NOW] = rows
        st.session_state[OFFENSES] = [r for r in rows if _filled(r)]
        st.button("Add offense", icon=":material/add:", key="cf_add_offense", on_click=add_offense,
                  help="Adds an empty row to the criminal history; fill in what is known.")
        _slot("criminal_history")


def _display_row(row: dict[str, Any]) -> dict[str, Any]:
    shown = dict(row)
    for name in OFFENSE_SELECTS:
        shown[name] = fields.UNKNOWN if shown.get(name) is None else shown[name]
    return shown


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in (_normal(r) for r in rows) if _filled(r)]


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    out = {name: row.get(name) for name in OFFENSE_COLUMNS}
    for name in OFFENSE_SELECTS:
        out[name] = None if out[name] in (None, fields.UNKNOWN) else out[name]
    out["vacated_or_expunged"] = bool(out["vacated_or_expunged"])
    return out


def _filled(row: dict[str, Any]) -> bool:
    """Whether a row records anything (an empty row added to the table is not an offense yet)."""
    return any(v not in (None, False, "", fields.UNKNOWN) for v in row.values())


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        return None if str(value) == "NaT" else value.to_pydatetime().date()
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The table's rows as case-file values ("unknown" is None), empty rows included."""
    return [_normal({name: _cell(record.get(name)) for name in OFFENSE_COLUMNS}) for record in frame.to_dict("records")]


def to_data(values: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The case-file data the form shows (docs/CONTRACTS.md section 3); empty fields are left out (unknown)."""

    def text(name: str) -> str:
        return (values.get(name) or "").strip()

    def lines(name: str) -> list[str]:
        return [line.strip() for line in (values.get(name) or "").splitlines() if line.strip()]

    def compact(mapping: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in mapping.items() if v is not None and v != ""}

    def number(value: Any) -> Any:
        return int(value) if isinstance(value, float) and value.is_integer() else value

    data: dict[str, Any] = {"case_id": text("case_id"), "assessed_on": values.get("assessed_on")}
    person = compact({
        "age": number(values.get("age")), "birth_date": values.get("birth_date"),
        "years_in_us": None if values.get("years_in_us") is None else float(values["years_in_us"]),
        "name": text("name"), "a_number": text("a_number"),
    })
    entry = compact({"date": values.get("entry_date"), "manner": values.get("entry_manner") or "unknown"})
    location = values.get("appr_location")
    apprehension = compact({
        "date": values.get("appr_date"), "location": None if location in (None, "unknown") else location,
        "attempting_unlawful_entry": _untri(values.get("appr_attempting")),
    })
    national_security = compact({
        "terrorism_or_espionage": _untri(values.get("ns_terrorism")), "other_danger": _untri(values.get("ns_other")),
    })
    history = []
    for row in rows:
        offense = {
            "offense": row.get("offense") or "", "date": row.get("date"), "convicted": _untri(row.get("convicted")),
            "sentence_months": number(row.get("sentence_months")), "serious": _untri(row.get("serious")),
            "harm": row.get("harm"), "weapon": row.get("weapon"), "sophistication": row.get("sophistication"),
            "vacated_or_expunged": bool(row.get("vacated_or_expunged")),
        }
        history.append({k: v for k, v in offense.items() if v is not None})
    circumstances: dict[str, Any] = {name: bool(values.get(name)) for name in FLAGS}
    circumstances.update({name: lines(name) for name, _ in LISTS})
    for key, part in (("person", person), ("entry", entry), ("apprehension", apprehension),
                      ("national_security", national_security)):
        if part:
            data[key] = part
    if history:
        data["criminal_history"] = history
    data["circumstances"] = circumstances
    if text("notes"):
        data["notes"] = text("notes")
    return data


# --- the form kept in the browser tab (a reload keeps it) ------------------------------------------------

_DATE_VALUES = ("assessed_on", "birth_date", "entry_date", "appr_date")


def snapshot(extra: dict[str, Any] | None = None) -> str:
    """The form as JSON text (what the browser tab keeps across a reload), with ``extra`` page state."""
    values = dict(st.session_state.get(FORM) or {})
    rows = [dict(r) for r in st.session_state.get(OFFENSES) or []]

    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    return json.dumps({"form": 1, "values": {k: plain(v) for k, v in values.items()},
                       "rows": [{k: plain(v) for k, v in r.items()} for r in rows], **(extra or {})}, sort_keys=True)


def from_snapshot(text: str, today: dt.date) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]] | None:
    """The form values, offense rows and extra state of a ``snapshot``; None when the text is not one.

    The text comes back from the browser: only the form's own fields are taken, each of its own type."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("form") != 1 or not isinstance(data.get("values"), dict):
        return None
    base = defaults(today)
    values = dict(base)
    for name, value in data["values"].items():
        if name not in base:
            continue
        if name in _DATE_VALUES:
            value = _iso(value)
            if value is None and name == "assessed_on":
                continue
        elif isinstance(base[name], bool):
            value = value if isinstance(value, bool) else base[name]
        elif isinstance(base[name], str):
            value = value if isinstance(value, str) else base[name]
            if name in ("entry_manner", "appr_location", "appr_attempting", "ns_terrorism", "ns_other"):
                value = value if value in {"entry_manner": MANNERS, "appr_location": LOCATIONS}.get(name, TRI) else base[name]
        elif name == "age":
            value = int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        elif name == "years_in_us":
            value = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        values[name] = value
    rows = []
    for raw in data.get("rows") or []:
        if not isinstance(raw, dict):
            continue
        row = _normal({name: raw.get(name) for name in OFFENSE_COLUMNS})
        row["date"] = _iso(row["date"])
        row["offense"] = row["offense"] if isinstance(row["offense"], str) else None
        row["sentence_months"] = row["sentence_months"] if isinstance(row["sentence_months"], int | float) else None
        for name, options in OFFENSE_SELECTS.items():
            row[name] = row[name] if row[name] in options else None
        if _filled(row):
            rows.append(row)
    extra = {k: v for k, v in data.items() if k not in ("form", "values", "rows")}
    return values, rows, extra


def _iso(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
