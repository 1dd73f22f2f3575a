"""The case form: widgets that mirror the case-file format (docs/CONTRACTS.md section 3), field for field.

This module only maps widgets to the plain data of a case file and back; validation is
``assistant.case.parse_case``'s alone, so the form shows exactly the messages a case file gets.
A field left empty is left out of the data (unknown), as in a case file.

Streamlit drops the state of widgets that a run does not draw (another page, say), so the values
also live under one ordinary session key (``FORM``) and are put back into the widgets on return.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    import pandas as pd

    from assistant.cases.facts import Case

FORM = "memo_form"  # field -> value, this session's case facts
OFFENSES = "memo_offenses"  # the rows of the criminal history
EDITOR_VERSION = "memo_offenses_version"
EDITOR_BASE = "memo_offenses_base"

TRI = ("unknown", "yes", "no")  # a yes/no fact that may be unknown (null in a case file)
MANNERS = ("unknown", "unlawful", "lawful")
LOCATIONS = ("unknown", "border", "port_of_entry", "interior")
OFFENSE_COLUMNS = ("offense", "date", "convicted", "sentence_months", "serious", "harm", "weapon", "sophistication",
                   "vacated_or_expunged")
FLAGS = (
    ("mental_condition_contributed", "Mental condition contributed"),
    ("condition_requiring_care", "Condition requiring care"),
    ("crime_victim", "Victim of a crime"),
    ("witness_or_party_in_proceedings", "Witness or party in proceedings"),
    ("provider_or_caregiver", "Provider or caregiver"),
    ("workplace_or_tenant_rights", "Workplace or tenant rights"),
)
FLAG_HELP = {
    "mental_condition_contributed": "A mental condition contributed to the criminal conduct.",
    "condition_requiring_care": "A mental or physical condition requiring care or treatment.",
    "crime_victim": "The person is a victim of a crime.",
    "witness_or_party_in_proceedings": "A victim, witness or party in legal proceedings.",
    "provider_or_caregiver": "The person provides for or cares for family in the United States.",
    "workplace_or_tenant_rights": "Exercised workplace or tenant rights, or is a witness in a labor or housing dispute.",
}
LISTS = (
    ("family_in_us", "Family in the United States", "U.S. citizen daughter, age 9"),
    ("relief_eligibility", "Possible relief", "asylum"),
    ("service", "Military or public service", "son: U.S. Army, 2015-2019"),
    ("rehabilitation", "Evidence of rehabilitation", "completed a treatment program in 2019"),
)
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def defaults(today: dt.date) -> dict[str, Any]:
    """An empty case: everything unknown, assessed today."""
    values: dict[str, Any] = {
        "case_id": "", "assessed_on": today, "age": None, "birth_date": None, "years_in_us": None, "name": "",
        "a_number": "", "entry_date": None, "entry_manner": "unknown", "appr_date": None, "appr_location": "unknown",
        "appr_attempting": "unknown", "ns_terrorism": "unknown", "ns_other": "unknown", "notes": "",
    }
    values.update({name: False for name, _ in FLAGS})
    values.update({name: "" for name, _, _ in LISTS})
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
    values.update({name: getattr(c, name) for name, _ in FLAGS})
    values.update({name: "\n".join(getattr(c, name)) for name, _, _ in LISTS})
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


def _date(label: str, name: str, help: str | None = None) -> None:
    st.date_input(label, key=f"cf_{name}", min_value=DATE_MIN, max_value=DATE_MAX, format="YYYY-MM-DD", help=help)


def _select(label: str, name: str, options: tuple[str, ...], help: str | None = None) -> None:
    st.selectbox(label, options, key=f"cf_{name}", help=help, format_func=lambda v: v.replace("_", " "))


def draw(today: dt.date) -> None:
    """Draw the form's widgets (values kept in this session)."""
    values = _restore(today)
    c1, c2 = st.columns(2)
    c1.text_input("Case id (case_id)", key="cf_case_id", placeholder="HX-001")
    with c2:
        _date("Assessment date (assessed_on)", "assessed_on", "The date the assessment is made; the guidelines' status is given for it.")

    st.markdown("**Person**")
    c1, c2, c3 = st.columns(3)
    c1.number_input("Age (person.age)", key="cf_age", step=1, format="%d", help="Or give the birth date.")
    with c2:
        _date("Birth date (person.birth_date)", "birth_date")
    c3.number_input("Years in the United States (person.years_in_us)", key="cf_years_in_us", step=1.0, format="%.1f",
                    help="Or give the entry date.")
    c1, c2 = st.columns(2)
    c1.text_input("Name (person.name)", key="cf_name")
    c2.text_input("A-number (person.a_number)", key="cf_a_number")

    st.markdown("**Entry and apprehension**")
    c1, c2 = st.columns(2)
    with c1:
        _date("Entry date (entry.date)", "entry_date")
    with c2:
        _select("Manner of entry (entry.manner)", "entry_manner", MANNERS)
    c1, c2, c3 = st.columns(3)
    with c1:
        _date("Apprehension date (apprehension.date)", "appr_date")
    with c2:
        _select("Location (apprehension.location)", "appr_location", LOCATIONS)
    with c3:
        _select("Attempting unlawful entry (apprehension.attempting_unlawful_entry)", "appr_attempting", TRI)

    st.markdown("**National security**")
    c1, c2 = st.columns(2)
    with c1:
        _select("Engaged in or suspected of terrorism or espionage (national_security.terrorism_or_espionage)",
                "ns_terrorism", TRI)
    with c2:
        _select("Otherwise a danger to national security (national_security.other_danger)", "ns_other", TRI)

    st.markdown("**Criminal history** (one row per offense; leave a cell empty when it is unknown)")
    _draw_offenses()

    st.markdown("**Circumstances**")
    c1, c2 = st.columns(2)
    for i, (name, label) in enumerate(FLAGS):
        (c1 if i % 2 == 0 else c2).checkbox(f"{label} (circumstances.{name})", key=f"cf_{name}", help=FLAG_HELP[name])
    c1, c2 = st.columns(2)
    for i, (name, label, example) in enumerate(LISTS):
        (c1 if i % 2 == 0 else c2).text_area(f"{label} (circumstances.{name}), one per line", key=f"cf_{name}",
                                             placeholder=example, height=80)
    st.text_area("Notes (notes)", key="cf_notes", height=80)

    for name in values:
        values[name] = st.session_state.get(f"cf_{name}")


def _draw_offenses() -> None:
    import pandas as pd

    key = f"cf_offenses_{st.session_state[EDITOR_VERSION]}"
    if key not in st.session_state and st.session_state[EDITOR_BASE] != st.session_state[OFFENSES]:
        # The editor's own state was dropped (another page was shown): start it from the current rows.
        st.session_state[EDITOR_BASE] = [dict(r) for r in st.session_state[OFFENSES]]
        st.session_state[EDITOR_VERSION] += 1
        key = f"cf_offenses_{st.session_state[EDITOR_VERSION]}"
    base = pd.DataFrame(st.session_state[EDITOR_BASE], columns=list(OFFENSE_COLUMNS))
    base = base.astype({"offense": "object", "date": "object", "sentence_months": "float64", "vacated_or_expunged": "bool"})
    cc = st.column_config
    edited = st.data_editor(
        base, key=key, num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "offense": cc.TextColumn("offense", help="What the offense was, e.g. burglary"),
            "date": cc.DateColumn("date", format="YYYY-MM-DD", min_value=DATE_MIN, max_value=DATE_MAX),
            "convicted": cc.SelectboxColumn("convicted", options=["yes", "no"]),
            "sentence_months": cc.NumberColumn("sentence_months", min_value=0, step=1, format="%d"),
            "serious": cc.SelectboxColumn("serious", options=["yes", "no"]),
            "harm": cc.SelectboxColumn("harm", options=["none", "minor", "serious"]),
            "weapon": cc.SelectboxColumn("weapon", options=["none", "firearm", "dangerous_weapon"]),
            "sophistication": cc.SelectboxColumn("sophistication", options=["low", "moderate", "high"]),
            "vacated_or_expunged": cc.CheckboxColumn("vacated_or_expunged", default=False),
        },
    )
    st.session_state[OFFENSES] = _rows(edited)


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
    rows = []
    for record in frame.to_dict("records"):
        row = {name: _cell(record.get(name)) for name in OFFENSE_COLUMNS}
        row["vacated_or_expunged"] = bool(row["vacated_or_expunged"])
        if any(v not in (None, False) for v in row.values()):
            rows.append(row)
    return rows


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
    circumstances: dict[str, Any] = {name: bool(values.get(name)) for name, _ in FLAGS}
    circumstances.update({name: lines(name) for name, _, _ in LISTS})
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
