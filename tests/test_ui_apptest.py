"""The app's pages driven by Streamlit's AppTest, asserting on what a person sees.

The app reads its settings from the environment, like ``guidance ui``: each test points
``GUIDANCE_PATHS__DATA_DIR`` at a copy of the session's index of the bundled corpus (real Chroma,
the real model), so nothing here writes to the shared index.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

pytest.importorskip("streamlit")

from streamlit.testing.v1 import AppTest  # noqa: E402

from assistant.cli.ui import APP as APP_PATH
from assistant.evals import data_dir

SETS = data_dir("sets")
CASES = data_dir("cases")

REPO = Path(__file__).resolve().parent.parent
APP = APP_PATH
HX001 = CASES / "hx-001.yaml"
TIMEOUT = 120  # the first question of the test session loads the model


@pytest.fixture(scope="module")
def ui_data_dir(corpus_settings, tmp_path_factory) -> Path:
    """A copy of the session index for this module (feedback and run logs are written to it)."""
    target = tmp_path_factory.mktemp("ui-data") / "data"
    shutil.copytree(corpus_settings.paths.data_dir, target)
    return target


@pytest.fixture
def app_env(monkeypatch, ui_data_dir) -> Path:
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(ui_data_dir))
    return ui_data_dir


@pytest.fixture
def media(monkeypatch):
    """Read what a download button serves: AppTest keeps media in a store made per run; record them."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test

    stores: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)

    def content(button) -> bytes:
        name = button.proto.url.rsplit("/", 1)[-1]
        return stores[-1].get_file(name).content

    return content


def new_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(markdown: str) -> str:
    """The text a person sees of Markdown whose user text is escaped: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(elements) -> list[str]:
    return [shown(e.value) for e in elements]


# --- Ask ---------------------------------------------------------------------------------------------


def test_ask_shows_numbered_citation_with_label_and_highlighted_quote(app_env, corpus_index):
    at = ask(new_app(), "Does the person's age matter?")
    quote = "Advanced or tender age is a mitigating factor"
    assert any(quote in m and "**[1]**" in m for m in texts(at.markdown)), texts(at.markdown)

    labels = [e.label for e in at.expander]
    assert "[1] Guidelines 2021, part II.B, mitigating factor: advanced or tender age" in labels
    marker = at.expander[labels.index("[1] Guidelines 2021, part II.B, mitigating factor: advanced or tender age")]
    shown = " ".join(texts(marker.markdown))
    answer = at.session_state["ask_history"][0]["answer"]
    c = answer.citations[0]
    assert c.quote == corpus_index.texts[c.doc_id][c.start : c.end]
    assert f">{c.quote}</mark>" in shown  # the quoted words, highlighted inside their passage
    assert "(dhs-2021-guidelines, characters" in " ".join(texts(marker.caption))


def test_ask_refusal_is_plainly_marked_with_closest_passages(app_env):
    from assistant.check.rules import REFUSAL

    at = ask(new_app(), "How do I renew DACA?")
    assert any("Not addressed by the guidelines" in w for w in texts(at.warning))
    assert any(m.startswith(REFUSAL) for m in texts(at.markdown))
    answer = at.session_state["ask_history"][0]["answer"]
    assert answer.refused and not answer.citations
    closest = [r.label for r in answer.retrieved[:3]]
    assert closest and all(label in [e.label for e in at.expander] for label in closest)
    assert not any(e.label.startswith("[1]") for e in at.expander)  # no citation marker on a refusal


def test_status_banner_follows_the_picked_date(app_env):
    at = new_app()
    today_banner = texts(at.warning) + texts(at.success)
    assert any(f"on {dt.date.today().isoformat()}" in b for b in today_banner)

    at.date_input(key="ask_as_of").set_value(dt.date(2022, 3, 1)).run()
    assert any("on 2022-03-01: **IN EFFECT**" in s for s in texts(at.success))
    at.date_input(key="ask_as_of").set_value(dt.date(2022, 7, 1)).run()
    assert any("on 2022-07-01: **VACATED**" in w for w in texts(at.warning))

    ask(at, "Is being a crime victim considered?")
    assert any("on 2022-07-01: **VACATED**" in c for c in texts(at.caption))  # the answer states it too


def test_copy_download_and_feedback_of_an_answer(app_env, media):
    from assistant.audit.feedback import recent_feedback

    at = ask(new_app(), "Which characteristics must never be a factor?")
    answer = at.session_state["ask_history"][0]["answer"]
    assert not answer.refused

    copied = at.code[0].value
    assert copied.startswith(answer.answer) and "Sources:" in copied and answer.citations[0].label in copied
    served = json.loads(media(at.download_button(key="ask_dl_0")))
    assert served["question"] == answer.question and served["citations"][0]["quote"] == answer.citations[0].quote

    at.feedback(key="ask_fb_0").set_value(1).run()
    mark = recent_feedback(app_env)[0]
    assert mark.helpful is True and mark.question == answer.question
    assert mark.cited == [f"{c.doc_id}:{c.start}-{c.end}" for c in answer.citations]
    at.feedback(key="ask_fb_0").set_value(0).run()
    assert recent_feedback(app_env)[0].helpful is False


def test_two_sessions_never_share_chat_history(app_env):
    first = ask(new_app(), "Does the person's age matter?")
    second = new_app()
    assert not second.chat_message and not second.session_state["ask_history"]
    ask(second, "How do I renew DACA?")
    assert [t["answer"].question for t in first.session_state["ask_history"]] == ["Does the person's age matter?"]
    assert [t["answer"].question for t in second.session_state["ask_history"]] == ["How do I renew DACA?"]
    first.run()
    assert "How do I renew DACA?" not in " ".join(texts(first.markdown))

    from assistant.audit import runlog

    sessions = {r["subject"]: r["session"] for r in runlog.select(app_env, kinds=["ask"], limit=2)}
    assert sessions["Does the person's age matter?"] != sessions["How do I renew DACA?"]
    assert all(s.startswith("ui:") for s in sessions.values())  # each person's asks carry their own session id


# --- Case memo ------------------------------------------------------------------------------------------


def frame(at: AppTest, column: str):
    found = [d.value for d in [*at.table, *at.dataframe] if column in d.value.columns]
    assert found, f"no table with a column {column!r}"
    return [f.map(lambda v: shown(v) if isinstance(v, str) else v) for f in found]


def upload_case(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="memo_upload").upload(name, content, "application/yaml").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_memo_from_uploaded_case_shows_findings_tables_and_check(app_env):
    at = upload_case(new_app("views/memo.py"), "hx-001.yaml", HX001.read_bytes())
    assert "Findings for case HX-001" in texts(at.header)
    assert at.text_input(key="cf_case_id").value == "HX-001" and at.number_input(key="cf_age").value == 72

    priorities = frame(at, "Priority")[0].set_index("Priority")
    assert priorities.loc["Threat to public safety", "Finding"].startswith("OFFICER'S ASSESSMENT")
    assert priorities.loc["Threat to border security", "Finding"] == "DOES NOT MEET the priority"
    assert "Guidelines 2021" in priorities.loc["Threat to public safety", "Citations"]
    factors = {row["Factor"].rsplit("(", 1)[-1].rstrip(")") for f in frame(at, "Factor") for _, row in f.iterrows()}
    assert {"mit.age", "mit.lengthy_presence", "agg.offense_gravity"} <= factors
    assert any("Check: PASSED" in s for s in texts(at.success))
    assert any("on the assessment date 2022-03-01: **IN EFFECT**" in s for s in texts(at.success))
    assert any(e.label.startswith("[1] Guidelines 2021") for e in at.expander)


def test_memo_edits_rerun_the_analysis(app_env):
    at = upload_case(new_app("views/memo.py"), "hx-001.yaml", HX001.read_bytes())
    factors = " ".join(" ".join(f["Factor"]) for f in frame(at, "Factor"))
    assert "(mit.age)" in factors

    at.number_input(key="cf_age").set_value(40).run()
    factors = " ".join(" ".join(f["Factor"]) for f in frame(at, "Factor"))
    assert "(mit.age)" not in factors and "(mit.lengthy_presence)" in factors
    assert at.session_state["memo_result"][2].mitigating[0].id != "mit.age"


@pytest.mark.slow
def test_memo_validation_messages_name_the_field(app_env):
    from assistant.cases.facts import CaseError, parse_case

    bad = yaml.safe_load(HX001.read_text())
    bad["criminal_history"][0]["weapon"] = "knife"
    at = upload_case(new_app("views/memo.py"), "bad.yaml", yaml.safe_dump(bad).encode())
    shown = texts(at.error)
    assert any(e.startswith("case file bad.yaml: criminal_history[0].weapon: must be one of none, firearm, dangerous_weapon")
               for e in shown), shown
    assert not at.download_button  # nothing is written from a bad case

    at = upload_case(new_app("views/memo.py"), "hx-001.yaml", HX001.read_bytes())
    at.date_input(key="cf_appr_date").set_value(dt.date(1990, 1, 1)).run()
    data = {**yaml.safe_load(HX001.read_text())}
    data["apprehension"] = {**data["apprehension"], "date": dt.date(1990, 1, 1)}
    with pytest.raises(CaseError) as expected:
        parse_case(data, "case form")
    assert expected.value.problems == [("apprehension.date", "1990-01-01 is before entry.date 1992-05-01")]
    # parse_case's own problem, shown under its field with the other field named by its label
    assert "1990-01-01 is before Entry date 1992-05-01" in texts(at.error)
    assert "apprehension.date: 1990-01-01 is before entry.date 1992-05-01" in str(expected.value)
    assert not at.download_button


def test_memo_downloads_markdown_word_pdf_and_json(app_env, media):
    import docx

    at = upload_case(new_app("views/memo.py"), "hx-001.yaml", HX001.read_bytes())
    buttons = {b.label: b for b in at.download_button}
    assert set(buttons) == {"Markdown", "Word", "PDF", "JSON"}

    markdown = media(buttons["Markdown"]).decode()
    assert markdown.startswith("# Factor analysis memo: case HX-001")
    word = docx.Document(io.BytesIO(media(buttons["Word"])))
    assert any("HX-001" in p.text for p in word.paragraphs)
    assert media(buttons["PDF"]).startswith(b"%PDF")
    analysis = json.loads(media(buttons["JSON"]))
    buttons["Word"].click().run()  # a download is recorded in the audit log
    from assistant.audit import runlog

    memo = runlog.select(app_env, kinds=["memo"], limit=1)[0]
    assert memo["subject"] == "HX-001" and memo["session"].startswith("ui:")
    assert analysis["case_id"] == "HX-001"
    assert {p["id"]: p["finding"] for p in analysis["priorities"]}["public_safety"] == "officer_assessment"


def test_memo_form_state_is_per_session(app_env):
    first = upload_case(new_app("views/memo.py"), "hx-001.yaml", HX001.read_bytes())
    second = new_app("views/memo.py")
    assert second.text_input(key="cf_case_id").value == ""
    assert not second.header and any("Enter a case id" in i for i in texts(second.info))
    assert first.text_input(key="cf_case_id").value == "HX-001"


# --- Corpus ---------------------------------------------------------------------------------------------


def test_corpus_lists_documents_status_history_and_passages_by_anchor(app_env):
    at = new_app("views/corpus.py")
    documents = frame(at, "Origin")[0].set_index("Document")
    assert documents.loc["dhs-2021-guidelines", "Origin"] == "bundled"
    history = frame(at, "Confidence")[0]
    rows = {(r["Date"], r["Status"]) for _, r in history.iterrows()}
    assert ("2021-11-29", "IN EFFECT") in rows and any(s == "VACATED" for _, s in rows)

    at.selectbox(key="corpus_anchor").set_value("mit.age").run()
    labels = [e.label for e in at.expander]
    assert labels == ["Guidelines 2021, II.B, mitigating factor: advanced or tender age"]
    assert "Advanced or tender age is a mitigating factor" in " ".join(texts(at.expander[0].markdown))


@pytest.fixture
def loopback_server():
    """The app as `guidance ui` starts it: Streamlit's server.address is 127.0.0.1 (uploads are off beyond it)."""
    from streamlit import config

    old = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", old)


@pytest.mark.slow
def test_corpus_ingests_an_uploaded_document(monkeypatch, corpus_settings, tmp_path, loopback_server):
    data = tmp_path / "data"
    shutil.copytree(corpus_settings.paths.data_dir, data)
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(data))
    at = new_app("views/corpus.py")
    note = b"# Field office note\n\n## I. Closures\n\nThe field office closes on days of heavy snow. Staff then work from home.\n"
    at.file_uploader(key="corpus_upload").upload("field-note.md", note, "text/markdown").run()
    at.button(key="corpus_ingest").click().run()
    at.button(key="corpus_ingest_confirm").click().run()  # it changes every user's answers: asked first
    assert not at.exception and not at.error, texts(at.error)
    documents = frame(at, "Origin")[0].set_index("Document")
    assert documents.loc["field-note", "Origin"] == "ingested"
    assert any("field-note" in s for s in texts(at.success))
    assert (data / "uploads" / "field-note.md").read_bytes() == note


def test_corpus_upload_is_off_beyond_loopback_or_by_setting(app_env, monkeypatch, loopback_server):
    at = new_app("views/corpus.py")
    assert [u.key for u in at.get("file_uploader")] == ["corpus_upload"]  # 127.0.0.1: on
    from streamlit import config

    config.set_option("server.address", "0.0.0.0")
    at = new_app("views/corpus.py")
    assert not at.get("file_uploader")
    assert any("beyond this machine" in t for t in texts(at.info))
    config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("GUIDANCE_UI__ALLOW_UPLOAD", "false")
    at = new_app("views/corpus.py")
    assert not at.get("file_uploader")
    assert any("GUIDANCE_UI__ALLOW_UPLOAD" in t for t in texts(at.info))


# --- Evaluations ----------------------------------------------------------------------------------------

SMALL_SET = b"""name: ui-small
items:
  - id: q-daca
    question: How do I renew DACA?
    kind: out_of_scope
    expect: {refused: true}
  - id: q-age-wrong
    question: Does the person's age matter?
    expect: {refused: true}
"""


@pytest.mark.slow
def test_evaluations_run_sets_filter_failures_and_compare_runs(monkeypatch, corpus_settings, tmp_path, media):
    data = tmp_path / "data"
    shutil.copytree(corpus_settings.paths.data_dir, data)
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(data))
    at = new_app("views/evaluations.py")
    assert any("No run yet" in i for i in texts(at.info))

    at.radio(key="eval_set").set_value(SETS / "dev-cases.yaml").run()
    at.button(key="eval_run").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert at.progress[0].value == 100 and at.progress[0].text.startswith("Done: ")
    cards = {m.label: m.value for m in at.metric}
    assert cards["Case findings right"].endswith("%") and "Items passed" in cards
    items = frame(at, "Failed expectations")[0]
    assert "c-status-2021-11-29" in set(items["Item"])

    at.radio(key="eval_mode").set_value("Upload a set").run()
    at.file_uploader(key="eval_upload").upload("ui-small.yaml", SMALL_SET, "application/yaml").run()
    at.button(key="eval_run").click().run()
    assert not at.exception and not at.error, texts(at.error)  # another set: a warning, not an error
    assert at.selectbox(key="eval_run_shown").value.endswith("-ui-small")  # the new run is shown
    at.toggle(key="eval_only_failures").set_value(True).run()
    failures = frame(at, "Failed expectations")[0]
    assert list(failures["Item"]) == ["q-age-wrong"]
    assert "refused: expected True, got False" in failures["Failed expectations"][0]
    report = json.loads(media(at.download_button(key="eval_dl_results.json")))
    assert report["set"]["name"] == "ui-small"

    deltas = frame(at, "Gated")[0]
    assert "item_pass_rate" in set(deltas["Metric"])
    assert any("the sets differ" in c for c in texts(at.caption))
    assert any(w.startswith("B is worse on item_pass_rate 100.0% -> 50.0%") for w in texts(at.warning))


@pytest.mark.slow
def test_runs_are_named_by_set_and_time_compared_like_for_like_and_held_to_their_targets(monkeypatch, corpus_settings, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(corpus_settings.paths.data_dir, data)
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(data))
    at = new_app("views/evaluations.py")
    shipped = at.radio(key="eval_set")
    labels = list(shipped.options)  # what the person reads in the list: each set's name, its description under it
    captions = [c for c in shipped.proto.captions]
    assert "blind3-questions" in labels and len(captions) == len(labels)
    assert captions[labels.index("blind3-questions")].startswith("Blind set written before")
    assert all(caption.strip() for caption in captions)  # a description each

    at.radio(key="eval_mode").set_value("Upload a set").run()
    at.file_uploader(key="eval_upload").upload("ui-small.yaml", SMALL_SET, "application/yaml").run()
    for _ in range(2):  # the same set twice: what a person compares after a change
        at.button(key="eval_run").click().run()
        assert not at.exception and not at.error, texts(at.error)
    shown = at.selectbox(key="eval_run_shown")
    assert re.fullmatch(r"ui-small, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", shown.options[shown.index])
    a, b = at.selectbox(key="eval_compare_a"), at.selectbox(key="eval_compare_b")
    assert a.value != b.value and a.options[a.index].startswith("ui-small, ") and b.options[b.index].startswith("ui-small, ")
    assert not any("the sets differ" in c for c in texts(at.caption))
    cards = {m.label: m for m in at.metric}
    assert cards["Out-of-scope refused"].delta == "meets the target at least 90.0%"
    assert str(cards["Valid citations"].delta).startswith(("meets the target", "below the target"))


# --- presentation helpers -----------------------------------------------------------------------------


def test_highlight_escapes_the_passage_and_marks_only_the_quote():
    from assistant.ui.render import highlight_html, md_escape

    html = highlight_html("A <b>bold</b> claim.\nNext $5 line.", 2, 13)
    assert "&lt;b&gt;bold&lt;/b&gt;</mark>" in html and "<br>" in html and "<b>" not in html
    assert md_escape("costs $5 *now* [1]") == r"costs \$5 \*now\* \[1\]"


def test_a_refused_near_miss_shows_related_quotes_apart_from_the_answer(app_env):
    from assistant.check.rules import REFUSAL

    at = ask(new_app(), "How do I apply for a U visa?")
    answer = at.session_state["ask_history"][0]["answer"]
    assert answer.refused and not answer.citations and answer.related
    assert any(m.startswith(REFUSAL) for m in texts(at.markdown))
    assert any("Related, not the answer" in c for c in texts(at.caption))
    # each related quote is shown with an R marker that opens its passage, never as a numbered citation
    for i, citation in enumerate(answer.related, 1):
        assert any(e.label.startswith(f"[R{i}]") for e in at.expander)
    assert not any(e.label.startswith("[1]") for e in at.expander)


def test_a_false_premise_is_corrected_before_the_quotes(app_env):
    from assistant.check.rules import PREMISE

    at = ask(new_app(), "Why does the memo make every DUI an automatic priority?")
    answer = at.session_state["ask_history"][0]["answer"]
    assert answer.premise_corrected and answer.citations
    assert any(PREMISE in i for i in texts(at.info))
    assert any(e.label.startswith("[1]") for e in at.expander)


def test_a_case_typed_into_the_chat_points_to_the_case_memo_page(app_env):
    from assistant.check.rules import MEMO_HINT

    at = ask(new_app(), "He entered in 2005, got a DUI in 2012 and has U.S.-citizen kids: is he a priority?")
    answer = at.session_state["ask_history"][0]["answer"]
    assert answer.memo_hint and not answer.refused
    assert MEMO_HINT in texts(at.info)
    links = at.get("page_link")
    assert any("memo" in str(link.proto.page) for link in links), [link.proto for link in links]


def test_a_follow_up_is_understood_in_context_and_the_chat_survives_a_reload(app_env):
    at = ask(new_app(), "What are the enforcement priorities?")
    ask(at, "Say more about the second one.")
    follow_up = at.session_state["ask_history"][1]["answer"]
    assert follow_up.context_turn == 1 and "priority.public_safety" in {c.anchor for c in follow_up.citations}
    assert any(c.startswith("Understood as: Say more about the threat to public safety priority") for c in texts(at.caption))
    chat_id = at.query_params["chat"]
    chat_id = chat_id[0] if isinstance(chat_id, list) else chat_id

    reloaded = AppTest.from_file(str(APP), default_timeout=TIMEOUT)  # a reload: a new session, the same address
    reloaded.query_params["chat"] = chat_id
    reloaded.run()
    assert not reloaded.exception, [e.value for e in reloaded.exception]
    restored = reloaded.session_state["ask_history"]
    assert [t["answer"].question for t in restored] == ["What are the enforcement priorities?", "Say more about the second one."]
    assert any(c.startswith("Understood as:") for c in texts(reloaded.caption))

    stranger = new_app()  # another session, without the address, sees none of it
    assert stranger.session_state["ask_history"] == []


def test_the_whole_conversation_exports_as_markdown_with_citations_and_status(app_env, media):
    at = ask(new_app(), "What are the enforcement priorities?")
    ask(at, "Say more about the second one.")
    exported = media(at.download_button(key="ask_export")).decode("utf-8")
    assert "## 1. What are the enforcement priorities?" in exported and "## 2. Say more about the second one." in exported
    assert "*Understood as:* Say more about the threat to public safety priority." in exported
    assert "Guidelines 2021, II.B, priority: threat to public safety (dhs-2021-guidelines," in exported
    assert exported.count("Status of the 2021 guidelines on") == 2
    copied = [c.value for c in at.code]
    assert any("## 2. Say more about the second one." in c for c in copied)  # the same text, one click to copy


def test_clear_the_conversation_works_right_after_the_first_answer(app_env):
    at = ask(new_app(), "Does the person's age matter?")
    clear = at.button(key="ask_clear")
    assert not clear.disabled  # enabled in the very run that drew the first answer
    first_id = at.query_params["chat"]
    clear.click().run()
    assert at.session_state["ask_history"] == [] and at.button(key="ask_clear").disabled
    assert at.query_params["chat"] != first_id  # a new conversation
    assert not [m for m in at.chat_message]


# --- user text is shown as text (issue 16, item 3) -----------------------------------------------------------

IMAGE = "![pixel](http://127.0.0.1:9/track.png)"
LINK = "[official DHS guidance](http://evil.example/guidance)"
HOSTILE_ID = f"HX-16 {IMAGE} {LINK}"


def _live_markdown(body: str) -> list[str]:
    """The Markdown constructs in ``body`` that a browser would turn into an image or a link (none if escaped)."""
    import re

    return re.findall(r"(?<!\\)!?(?<!\\)\[[^\]\\]*(?<!\\)\]\(", body)


def test_a_hostile_case_file_is_shown_as_text(app_env):
    import re

    from assistant.ui.render import md_escape

    case = yaml.safe_load(HX001.read_text(encoding="utf-8"))
    case["case_id"] = HOSTILE_ID
    case["circumstances"]["family_in_us"] = [f"daughter {IMAGE}", f"see {LINK} **now**"]
    case["circumstances"]["rehabilitation"] = [f"<img src=http://127.0.0.1:9/x.png> {LINK}"]
    at = upload_case(new_app("views/memo.py"), "hx-16.yaml", yaml.safe_dump(case).encode())
    assert not at.exception and not at.error, texts(at.error)
    header = next(h.value for h in at.header if h.value.startswith("Findings for case"))
    assert header == f"Findings for case {md_escape(HOSTILE_ID)}" and not _live_markdown(header)
    cells = [str(v) for t in at.table for v in t.value.to_numpy().ravel()]
    assert any("daughter" in c for c in cells)
    assert not [c for c in cells if _live_markdown(c) or "**now**" in c or re.search(r"(?<!\\)<img", c)], cells
    preview = [m.value for m in at.markdown if "Factor analysis" in m.value or "HX-16" in m.value]
    assert preview and not [p for p in preview if _live_markdown(p) or re.search(r"(?<!\\)<img", p)]


def test_hostile_file_and_field_names_in_errors_are_shown_as_text(app_env):
    name = "[official DHS guidance](evil.example).yaml"  # a file name has no "/"
    at = upload_case(new_app("views/memo.py"), name, b"case_id: [unclosed\n")
    assert at.error and not [e.value for e in at.error if _live_markdown(e.value)], texts(at.error)
    assert any("official DHS guidance" in e.value for e in at.error)
    case = yaml.safe_load(HX001.read_text(encoding="utf-8"))
    case[IMAGE] = 1
    at = upload_case(new_app("views/memo.py"), "unknown-field.yaml", yaml.safe_dump(case).encode())
    assert at.error and "pixel" in " ".join(texts(at.error)), texts(at.error)
    assert not [e.value for e in at.error if _live_markdown(e.value)], texts(at.error)
