"""The Ask page as staff read it (issue 15, points 1-4 and 6), driven by Streamlit's AppTest.

Each test asserts on what a person sees: a list answer that leads with its point and shows its
items short, markers that link to their passage, sources captioned as a person cites them, a
user's document labelled as such, the status kept with each answer, and who said what. Real
index (a copy of the session's), real model; answers that a chat model could draft (a bulleted or
dangling lead-in) are built from the real answer's verified citations.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from streamlit.testing.v1 import AppTest  # noqa: E402

from assistant.cli.ui import APP  # noqa: E402

from .conftest import make_settings  # noqa: E402
from .test_trust import HOSTILE_MD  # noqa: E402

TIMEOUT = 120
LEAD_IN = "Mitigating factors that weigh in favor of declining enforcement action include, for example, the following."
REPEATED = "is a mitigating factor in the public safety assessment"


@pytest.fixture(scope="module")
def ask_data_dir(corpus_settings, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("ask-page") / "data"
    shutil.copytree(corpus_settings.paths.data_dir, target)
    return target


@pytest.fixture
def app_env(monkeypatch, ask_data_dir) -> Path:
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(ask_data_dir))
    return ask_data_dir


def shown(markdown: str) -> str:
    """What a person reads of escaped Markdown: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def new_app() -> AppTest:
    return run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question)
    return run(at)


def answer_markdown(at: AppTest, turn: int = 0) -> str:
    """The answer's own text: the markdown of the assistant's message that carries citation markers."""
    message = [m for m in at.chat_message if m.name not in ("you", "user")][turn]
    found = [shown(m.value) for m in message.markdown if "](#cite-" in m.value or "**[" in m.value]
    assert found, [m.value for m in message.markdown]
    return found[0]


def bullets(markdown: str) -> list[str]:
    return [line[2:] for line in markdown.splitlines() if line.startswith("- ")]


def direct_captions(expander) -> list[str]:
    """The captions shown in an opened source, outside its details view."""
    return [shown(c.value) for c in expander.children.values() if type(c).__name__ == "Caption"]


def details_captions(expander) -> list[str]:
    return [shown(c.value) for b in expander.children.values() if getattr(b, "type", None) == "popover"
            for c in b.children.values() if type(c).__name__ == "Caption"]


def with_history(answers) -> AppTest:
    """The page with a conversation already holding ``answers`` (as a reload restores one)."""
    from assistant.answer.conversation import Conversation

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["ask_conversation"] = Conversation(turns=list(answers))
    at.session_state["ask_history"] = [{"answer": a, "feedback": None} for a in answers]
    return run(at)


# --- 1. answers lead with the point ------------------------------------------------------------------------


def test_a_list_answer_leads_with_its_lead_in_and_shows_each_item_short(app_env):
    at = ask(new_app(), "What are the mitigating factors?")
    text = answer_markdown(at)
    first, *_ = text.split("\n\n")
    assert first.startswith(LEAD_IN)  # the point first, as a paragraph, not a bullet
    items = bullets(text)
    assert len(items) >= 9
    assert items[0].startswith("Advanced or tender age [**[2]**](#cite-0-2)"), items[0]
    assert not any(REPEATED in item or "weighs in favor" in item for item in items), items  # short, no repeated phrase
    assert not any("the following" in item for item in items)
    # each item's quote is one click away: its marker opens the passage with the quoted words highlighted
    answer = at.session_state["ask_history"][0]["answer"]
    opened = next(e for e in at.expander if e.label.startswith("[2] "))
    assert f">{answer.citations[1].quote}</mark>" in " ".join(m.value for m in opened.markdown)


def test_a_lead_in_is_never_a_bullet_nor_left_dangling(app_env):
    from assistant.api import Assistant

    real = Assistant(make_settings(app_env)).ask("What are the mitigating factors?")
    lines = real.answer.splitlines()
    assert lines[0].startswith(LEAD_IN)
    bulleted = real.model_copy(update={"answer": "\n".join(["- " + lines[0], *lines[1:]])})  # as a model may draft it
    dangling = real.model_copy(update={"answer": "\n".join([lines[0], lines[1][2:]]),  # the list not shown
                                       "citations": real.citations[:2]})
    at = with_history([bulleted, dangling])

    first = answer_markdown(at, 0)
    assert first.startswith(LEAD_IN) and not any("the following" in b for b in bullets(first))
    second = answer_markdown(at, 1)
    assert "the following" not in second  # a lead-in whose list is not shown is left out
    assert second.startswith("Advanced or tender age is a mitigating factor")


# --- 2. markers are links; sources are captioned as a person cites them -----------------------------------


def test_markers_link_to_their_passage_and_sources_read_as_cited(app_env):
    at = ask(new_app(), "Does the person's age matter?")
    text = answer_markdown(at)
    assert "Advanced or tender age is a mitigating factor" in text and "[**[1]**](#cite-0-1)" in text

    source = next(e for e in at.expander if e.label.startswith("[1] "))
    assert source.label == "[1] Guidelines 2021, part II.B, mitigating factor: advanced or tender age"
    assert '<span id="cite-0-1"></span>' in [m.value for m in source.markdown]  # what the link opens
    assert not any("characters" in c or "mit.age" in c for c in direct_captions(source))  # no offsets in the caption
    details = " ".join(details_captions(source))  # ... but in the details view, as in the JSON
    answer = at.session_state["ask_history"][0]["answer"]
    c = answer.citations[0]
    assert f"characters {c.start}-{c.end}" in details and "anchor mit.age" in details


# --- 3. a user's document is labelled as such; the status speaks for the guidelines only ------------------


@pytest.fixture(scope="module")
def user_doc_data_dir(corpus_settings, embedder, tmp_path_factory) -> Path:
    from assistant.index.ingest import ingest

    root = tmp_path_factory.mktemp("ask-user-doc")
    shutil.copytree(corpus_settings.paths.data_dir, root / "data")
    doc = root / "guidelines-2021.md"
    doc.write_text(HOSTILE_MD, encoding="utf-8")
    ingest(make_settings(root / "data"), [doc], embedder=embedder)
    return root / "data"


def test_a_passage_of_a_users_document_says_so_and_the_status_is_the_guidelines_own(monkeypatch, user_doc_data_dir):
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(user_doc_data_dir))
    at = ask(new_app(), "Is advanced age a mitigating factor?")
    answer = at.session_state["ask_history"][0]["answer"]
    mine = [i for i, c in enumerate(answer.citations, 1) if c.doc_id == "guidelines-2021"]
    assert mine and any(c.doc_id == "dhs-2021-guidelines" for c in answer.citations)
    label = 'User document "Guidelines 2021" (not part of the guidelines)'
    paragraphs = answer_markdown(at).split("\n\n")
    for n in mine:  # where the user's words are read, they are labelled as theirs
        line = next(p for p in paragraphs if answer.citations[n - 1].quote in p)
        assert line.startswith(f"*{label}:*"), line
    official = next(p for p in paragraphs if "Advanced or tender age is a mitigating factor" in p)
    assert "User document" not in official  # the guidelines' words are not
    status = [shown(c.value) for c in at.caption if "Status of the 2021 guidelines on" in c.value]
    assert status and "it does not apply to what your own documents say" in status[-1]


# --- 4. the status of each answer stays with it ----------------------------------------------------------


def test_each_answer_keeps_the_status_it_was_given_with_and_the_banner_shows_the_date(app_env):
    at = new_app()
    at.date_input(key="ask_as_of").set_value(dt.date(2022, 3, 1))
    ask(run(at), "Is being a crime victim considered?")
    at.date_input(key="ask_as_of").set_value(dt.date(2022, 7, 1))
    ask(run(at), "Does the person's age matter?")
    captions = [shown(c.value) for c in at.caption if "Status of the 2021 guidelines on" in c.value]
    assert any("on 2022-03-01: **IN EFFECT**" in c for c in captions)  # the first answer's, unchanged
    assert any("on 2022-07-01: **VACATED**" in c for c in captions)
    banner = [shown(w.value) for w in at.warning if "Status of the 2021 guidelines" in w.value]
    assert banner and "on 2022-07-01: **VACATED**" in banner[0]


# --- 6. who said what ---------------------------------------------------------------------------------------


def test_each_message_says_who_said_it_and_the_page_offers_a_shortcut_to_the_chat(app_env):
    at = ask(new_app(), "Does the person's age matter?")
    assert [m.name for m in at.chat_message] == ["you", "the guidance assistant"]  # "Chat message from you", ...
    assert any("Press / to type a question." in shown(c.value) for c in at.caption)


def test_bullets_that_are_not_items_of_a_list_keep_their_words(app_env):
    """Only the items of the guidelines' enumerated lists are shown by their label; other bullets (a model's) stay quotes."""
    from assistant.api import Assistant

    assistant = Assistant(make_settings(app_env))
    first = assistant.ask("Which characteristics must never be a factor?").citations[0]
    second = assistant.ask("When did the guidelines take effect?").citations[0]
    assert {first.anchor, second.anchor} == {"civil_rights", "effective_date"}
    drafted = assistant.ask("Which characteristics must never be a factor?").model_copy(update={
        "answer": f"- {first.quote} [1]\n- {second.quote} [2]", "citations": [first, second]})
    items = bullets(answer_markdown(with_history([drafted])))
    assert items[0].startswith(first.quote) and items[1].startswith(second.quote)


def test_a_follow_up_not_understood_is_not_called_unaddressed_by_the_guidelines(app_env):
    at = ask(new_app(), "What are the enforcement priorities?")
    ask(at, "and the other thing?")
    notices = [shown(w.value) for w in at.warning if "Status of the 2021 guidelines" not in w.value]
    assert notices == ["**Not understood as a follow-up.** The assistant could not tell what this question refers to."]
    ask(at, "How do I bake sourdough bread?")
    notices = [shown(w.value) for w in at.warning if "Status of the 2021 guidelines" not in w.value]
    assert notices[-1].startswith("**Not addressed by the guidelines.**")
