"""The case-memo page as a person meets it, driven by Streamlit's AppTest (issue 15, points 7-9).

Plain labels with the case-file field in the tooltip, a readable offense table with "unknown" and
an "Add offense" button; a problem shown right under its field, the field marked, and the last
findings kept but marked out of date; nothing analyzed before "Draft the memo", and a jump to the
findings. The reload (point 11) needs a real browser: tests/test_ui_browser_memo.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

pytest.importorskip("streamlit")

from .test_ui_apptest import HX001, app_env, new_app, texts, ui_data_dir, upload_case  # noqa: E402, F401

FIELD_PATH = re.compile(r"\(([a-z_]+\.)?[a-z_]+\)")  # "Age (person.age)": a case-file name in the label


def _children(node) -> list:
    children = getattr(node, "children", None)
    return [children[i] for i in sorted(children)] if isinstance(children, dict) else []


def _after(at, key: str):
    """The element drawn right after the widget ``key`` in its own block (its column or container)."""
    stack = [at._tree]
    while stack:
        node = stack.pop()
        kids = _children(node)
        for i, kid in enumerate(kids):
            if getattr(kid, "key", None) == key:
                return kids[i + 1] if i + 1 < len(kids) else None
        stack += kids
    raise AssertionError(f"no widget {key}")


def _marked(at) -> str:
    """The style rules the page injects (the marking of fields with a problem)."""
    return " ".join(h.proto.body for h in at.get("html"))


def test_the_form_speaks_plain_words_and_names_the_field_in_the_tooltip(app_env):
    at = new_app("views/memo.py")
    widgets = [*at.text_input, *at.number_input, *at.date_input, *at.selectbox, *at.checkbox, *at.text_area]
    labels = {w.key: w.label for w in widgets if w.key and w.key.startswith("cf_")}
    assert labels["cf_case_id"] == "Case id" and labels["cf_appr_attempting"] == "Attempting unlawful entry"
    assert labels["cf_ns_terrorism"] == "Terrorism or espionage" and labels["cf_condition_requiring_care"] == "Needs care or treatment"
    for w in widgets:
        if w.key and w.key.startswith("cf_"):
            assert not FIELD_PATH.search(w.label) and len(w.label) <= 34, w.label  # short, no field name in it
            assert re.search(r"Case-file field: `[a-z_.]+`\.$", w.help or ""), (w.label, w.help)
    assert "Case-file field: `apprehension.attempting_unlawful_entry`" in at.selectbox(key="cf_appr_attempting").help
    assert all(d.proto.format == "YYYY-MM-DD" for d in at.date_input if d.key.startswith("cf_"))  # one date format
    tri = at.selectbox(key="cf_ns_other")
    assert tri.value == "unknown" and list(tri.options) == ["unknown", "yes", "no"]

    upload_case(at, "hx-001.yaml", HX001.read_bytes())
    table = at.dataframe[0]
    columns = json.loads(table.proto.columns)
    assert [columns[name]["label"] for name in ("offense", "date", "sentence_months", "vacated_or_expunged")] == [
        "Offense", "Date", "Sentence (months)", "Vacated or expunged"]
    assert columns["date"]["type_config"]["format"] == "YYYY-MM-DD"
    assert "Case-file field: `criminal_history[].weapon`" in columns["weapon"]["help"]
    assert columns["harm"]["type_config"]["options"][0] == "unknown"
    assert table.proto.placeholder == "unknown"  # an empty cell reads "unknown", never "None"
    assert list(table.value["offense"]) == ["burglary"]

    at.button(key="cf_add_offense").click().run()
    rows = at.dataframe[0].value
    assert len(rows) == 2 and rows.iloc[1]["harm"] == "unknown" and rows.iloc[1]["convicted"] == "unknown"
    assert "Findings for case HX-001" in texts(at.header)  # an empty new row is no offense yet, and no problem
    assert not at.error


def test_a_problem_shows_under_its_field_and_the_last_findings_stay_marked_out_of_date(app_env):
    at = upload_case(new_app("views/memo.py"), "hx-001.yaml", HX001.read_bytes())
    assert at.download_button and not at.error

    at.date_input(key="cf_appr_date").set_value(dt.date(1990, 1, 1)).run()
    under = _after(at, "cf_appr_date")
    assert under is not None
    assert texts([under]) == ["1990-01-01 is before Entry date 1992-05-01"]  # right under the field, in its words
    assert ".st-key-cf_appr_date" in _marked(at) and "border-left" in _marked(at)  # the field is marked
    assert "Findings for case HX-001" in texts(at.header)  # the last findings stay
    assert any(w.startswith("**Out of date.**") and "1 problem " in w for w in texts(at.warning))
    assert not at.download_button  # nothing out of date can be downloaded

    at.date_input(key="cf_appr_date").set_value(dt.date(2022, 2, 20)).run()
    assert not at.error and ".st-key-cf_appr_date" not in _marked(at)
    assert not any("Out of date" in w for w in texts(at.warning)) and at.download_button


def test_a_problem_of_an_offense_names_its_row_under_the_table(app_env):
    at = upload_case(new_app("views/memo.py"), "hx-001.yaml", HX001.read_bytes())
    at.date_input(key="cf_assessed_on").set_value(dt.date(2009, 1, 1)).run()
    shown = texts(at.error)
    assert "Offense 1, date: 2010-04-03 is after Assessment date 2009-01-01" in shown, shown
    assert "2022-02-20 is after Assessment date 2009-01-01" in shown  # the apprehension date, under its own field
    assert ".st-key-cf_criminal_history" in _marked(at)


def test_nothing_is_analyzed_before_draft_the_memo_and_a_link_jumps_to_the_findings(app_env):
    at = new_app("views/memo.py")
    at.text_input(key="cf_case_id").set_value("BR-7").run()
    assert not at.header and not at.download_button  # a case id alone drafts nothing
    assert any("Press **Draft the memo**" in i for i in texts(at.info))
    assert "memo_result" not in at.session_state

    at.button(key="memo_draft").click().run()
    assert texts(at.header) == ["Findings for case BR-7"] and at.header[0].proto.anchor == "findings"
    assert any(m == "[Jump to the findings](#findings)" for m in (x.value for x in at.markdown))
    assert at.download_button

    at.number_input(key="cf_age").set_value(72).run()  # once drafted, every valid edit updates the findings
    assert "mit.age" in {f.id for f in at.session_state["memo_result"][2].mitigating}


def test_the_missing_case_id_is_named_only_once_the_memo_is_asked_for(app_env):
    at = new_app("views/memo.py")
    at.number_input(key="cf_age").set_value(40).run()
    assert not at.error
    at.button(key="memo_draft").click().run()
    assert texts([_after(at, "cf_case_id")]) == ["must not be empty"]
    assert not at.header


def test_the_form_as_kept_by_the_tab_comes_back_whole_and_only_as_form_fields():
    from assistant.ui import case_form

    today = dt.date(2026, 12, 7)
    values = {**case_form.defaults(today), "case_id": "BR-7", "age": 72, "entry_date": dt.date(1992, 5, 1),
              "family_in_us": "daughter | age 9\nson - 12", "appr_attempting": "no"}
    rows = [{**case_form.blank_offense(), "offense": "theft; w/ priors", "date": dt.date(2010, 4, 3), "convicted": "yes"}]
    text = json.dumps({"form": 1, "values": {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()},
                       "rows": [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in r.items()} for r in rows],
                       "drafted": True})
    back_values, back_rows, extra = case_form.from_snapshot(text, today)
    assert case_form.to_data(back_values, back_rows) == case_form.to_data(values, [case_form._normal(r) for r in rows])
    assert extra == {"drafted": True}
    hostile = json.dumps({"form": 1, "values": {"case_id": {"x": 1}, "age": "7; DROP", "evil": "<script>", "assessed_on": "no"},
                          "rows": ["x", {"offense": 5, "harm": "catastrophic", "date": "2010-99-01"}]})
    back_values, back_rows, _ = case_form.from_snapshot(hostile, today)
    assert back_values == case_form.defaults(today) and back_rows == []
    assert case_form.from_snapshot("not json", today) is None and case_form.from_snapshot("[1]", today) is None


def test_every_label_and_tooltip_is_data_below_the_app():
    from assistant.cases import fields

    for path, text in fields.FIELDS.items():
        assert text.label and text.meaning.endswith((".", ")")), path
        assert fields.tooltip(path).endswith(f"Case-file field: `{path}`.")
    assert fields.label("criminal_history[2].date") == "Offense 3, date"
    assert fields.plain_problem("1990-01-01 is before entry.date 1992-05-01") == "1990-01-01 is before Entry date 1992-05-01"
