"""The ask model: near misses worded past the closed-class cues are refused with what is nearby,
questions of the same form that the guidelines answer are still answered (question-understanding issue).

All on the bundled corpus and the real embedding model. The questions are written for this test;
none comes from an evaluation set.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from assistant.answer.askmodel import EXAMPLES_PATH, MODEL_PATH
from assistant.answer.pipeline import ask, frame_context
from assistant.answer.understand import understand
from assistant.check.rules import REFUSAL
from tests.conftest import make_settings


def test_the_shipped_model_was_trained_from_the_shipped_examples_on_the_index_embeddings(corpus_index):
    model = json.loads(MODEL_PATH.read_text())
    assert model["examples_sha256"] == hashlib.sha256(EXAMPLES_PATH.read_bytes()).hexdigest(), (
        "examples.yaml changed since the model was trained: run bench/train_ask_model.py")
    assert model["embedding_model"] == corpus_index.embedder.model_id
    assert set(model["classes"]) == {"answerable", "procedure", "amount", "definition"}


NEAR_MISSES = [
    # (question, the passage a helpful refusal points to)
    ("Is there a form I need to fill in to ask for a review of my client's arrest?", "impl.case_review"),
    ("Who do I phone to check on a detainer?", "scope"),
]


@pytest.mark.parametrize(("question", "nearby"), NEAR_MISSES)
def test_a_near_miss_the_cues_do_not_read_is_refused_with_the_passage_nearby(corpus_index, corpus_settings, question, nearby):
    import datetime as dt

    frame = understand(question, frame_context(corpus_index, corpus_settings, dt.date.today()))
    assert frame.ask not in ("procedure", "amount", "definition")  # the closed-class cues alone would answer it
    answer = ask(corpus_index, corpus_settings, question)
    assert answer.refused and answer.answer.startswith(REFUSAL) and not answer.citations
    assert answer.understood.ask_model is not None and answer.understood.ask_model.probability >= 0.75
    assert "ask model" in answer.understood.unanswerable_reason
    assert nearby in {c.anchor for c in answer.related}


ANSWERED = [
    # reads like an agency's eligibility rule or a procedure; the guidelines answer it
    ("Who is allowed to ask for a case review?", "impl.case_review"),
    ("How were government attorneys in immigration court told to apply the guidelines?",
     "guidelines-status-history.signed_and_effective"),
    ("Why doesn't DHS simply try to deport every undocumented person in the country?", "principle.discretion"),
]


@pytest.mark.parametrize(("question", "anchor"), ANSWERED)
def test_a_question_of_the_same_form_that_the_guidelines_answer_is_answered(corpus_index, corpus_settings, question, anchor):
    answer = ask(corpus_index, corpus_settings, question)
    assert not answer.refused, answer.understood.unanswerable_reason
    assert anchor in {c.anchor for c in answer.citations}


def test_the_setting_at_one_turns_the_model_off(corpus_index, corpus_settings):
    question = NEAR_MISSES[0][0]
    off = make_settings(corpus_settings.paths.data_dir, answer__ask_model_min=1.0)
    assert ask(corpus_index, corpus_settings, question).refused
    assert not ask(corpus_index, off, question).refused


def test_a_later_part_that_points_back_is_read_with_the_earlier_part(corpus_index, corpus_settings):
    answer = ask(corpus_index, corpus_settings, "Which training did officers get on the guidelines, and who ran it?")
    first, second = answer.parts
    assert not first.refused and {answer.citations[i - 1].anchor for i in first.citations} == {"impl.training"}
    assert second.refused  # who ran the training: the guidelines name nobody (read alone, "who ran it?" cited the status)


def test_a_duration_of_another_system_is_not_read_as_a_number_the_guidelines_do_not_set(corpus_index, corpus_settings):
    # "how long does X stay ..." has the form of a threshold question ("how long must someone have lived here?"),
    # which is answered with the factor and the fact that the guidelines set no number; this one asks about sealed records
    answer = ask(corpus_index, corpus_settings, "How long does a juvenile record stay sealed in Texas?")
    assert answer.understood.number_ask and answer.refused and not answer.citations
    kept = ask(corpus_index, corpus_settings, "How many years in the country count as lengthy presence?")
    assert not kept.refused and "mit.lengthy_presence" in {c.anchor for c in kept.citations}


def test_the_model_reads_the_ask_after_a_setup_in_the_guidelines_words(corpus_index, corpus_settings):
    # read whole, the question is mostly about detainers; its ask is another authority's rule
    answer = ask(corpus_index, corpus_settings,
                 "The guidelines cover decisions about detainers. Which states have laws that stop local jails from honoring them?")
    assert answer.refused and not answer.citations
    assert "scope" in {c.anchor for c in answer.related}


def test_explain_and_json_show_the_ask_models_reading(corpus_settings, corpus_index, monkeypatch):
    from click.testing import CliRunner

    from assistant.cli import cli

    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(corpus_settings.paths.data_dir))
    question = NEAR_MISSES[1][0]
    shown = CliRunner().invoke(cli, ["ask", question, "--explain"], prog_name="guidance")
    assert shown.exit_code == 0, shown.output
    assert "ask model: 0.9" in shown.stdout and "(likeliest: procedure)" in shown.stdout
    data = json.loads(CliRunner().invoke(cli, ["ask", question, "--json"], prog_name="guidance").stdout)
    assert data["understood"]["ask_model"]["kind"] == "procedure" and data["understood"]["ask_model"]["probability"] >= 0.75
