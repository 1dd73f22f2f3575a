"""Conversation: follow-up questions answered in context, in the library, the terminal, the log and the evaluations."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.answer.conversation import Conversation, resolve, topic_phrase
from assistant.answer.pipeline import ask
from assistant.check.rules import CLARIFY


def anchors(answer) -> set[str]:
    return {c.anchor for c in answer.citations}


def converse(index, settings, *questions):
    conversation = Conversation()
    answers = [ask(index, settings, q, conversation=conversation) for q in questions]
    return conversation, answers


def test_a_first_question_resolves_to_itself(corpus_index, corpus_settings):
    _, [first] = converse(corpus_index, corpus_settings, "Does the person's age matter?")
    assert first.resolved_question == first.question and first.context_turn is None
    alone = ask(corpus_index, corpus_settings, "Does the person's age matter?")
    assert alone.resolved_question == alone.question


def test_an_ordinal_points_into_the_previous_list(corpus_index, corpus_settings):
    conversation, [listed, second] = converse(corpus_index, corpus_settings,
                                              "What are the enforcement priorities?", "Say more about the second one.")
    assert {"priority.national_security", "priority.public_safety", "priority.border_security"} <= anchors(listed)
    assert second.context_turn == 1 and "public safety" in second.resolved_question
    assert "priority.public_safety" in anchors(second) and not second.refused
    assert len(conversation.turns) == 2


def test_the_last_two_are_each_answered(corpus_index, corpus_settings):
    _, [_, both] = converse(corpus_index, corpus_settings, "What mitigating factors does the memo list?", "Explain the last two.")
    assert {"mit.rehabilitation", "mit.vacated_expunged"} <= anchors(both)


def test_an_ordinal_two_turns_back(corpus_index, corpus_settings):
    _, answers = converse(corpus_index, corpus_settings, "Give me the list of mitigating factors.",
                          "Are they the only ones officers may weigh?", "What does number 6 say?")
    assert answers[2].context_turn == 1 and "mit.relief_eligibility" in anchors(answers[2])


def test_an_ellipsis_keeps_the_ask_with_a_new_focus(corpus_index, corpus_settings):
    _, [_, witness] = converse(corpus_index, corpus_settings,
                               "Does the memo say anything about someone who is very old?", "And for a crime witness?")
    assert witness.context_turn == 1 and "crime witness" in witness.resolved_question
    assert "mit.victim_witness" in anchors(witness)


def test_an_ellipsis_with_a_new_date_reports_that_dates_status(corpus_index, corpus_settings):
    _, [_, later] = converse(corpus_index, corpus_settings, "Were the guidelines in effect in January 2022?", "What about August 2022?")
    assert later.resolved_question == "Were the guidelines in effect in August 2022?"
    assert later.status is not None and later.status.state == "vacated"


def test_a_pronoun_is_replaced_by_what_it_points_at(corpus_index, corpus_settings):
    _, [_, when] = converse(corpus_index, corpus_settings, "Was there ever a nationwide injunction against the guidelines?",
                            "Which court did it?")
    assert when.context_turn == 1 and "injunction" in when.resolved_question
    assert "guidelines-status-history.other_litigation" in anchors(when)


def test_a_complete_new_question_keeps_nothing(corpus_index, corpus_settings):
    _, [_, shift] = converse(corpus_index, corpus_settings, "When were the guidelines vacated?",
                             "Does it matter that a mental illness contributed to the offense?")
    assert shift.resolved_question == shift.question and shift.context_turn is None
    assert "mit.condition" in anchors(shift)


def test_a_follow_up_that_points_at_nothing_is_not_guessed(corpus_index, corpus_settings):
    _, [_, vague] = converse(corpus_index, corpus_settings, "Who signed the guidelines?", "What about the other one?")
    assert vague.refused and vague.answer == CLARIFY and not vague.citations and vague.check.passed
    _, [_, no_list] = converse(corpus_index, corpus_settings, "Does age matter?", "Tell me about the third one.")
    assert no_list.refused and no_list.answer == CLARIFY


def test_a_follow_up_that_resolves_to_a_near_miss_is_refused_with_related(corpus_index, corpus_settings):
    _, [_, fee] = converse(corpus_index, corpus_settings, "What does the memo say about case review?",
                           "Which form do I use for it, and what's the fee?")
    assert fee.refused and "impl.case_review" in {c.anchor for c in fee.related}


def test_resolution_without_the_index():
    assert resolve("What does the memo say about age?", []).how == "standalone"
    assert resolve("Say more about the second one.", []).how == "unresolved"  # nothing to point into
    assert topic_phrase("What happened in the Texas lawsuit against the guidelines?") == "the Texas lawsuit"


def test_chat_json_prints_one_answer_per_line_in_context(corpus_settings, corpus_index, monkeypatch):
    from assistant.cli import cli

    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(corpus_settings.paths.data_dir))
    result = CliRunner().invoke(cli, ["chat", "--json"], input="What are the enforcement priorities?\n\nSay more about the second one.\n",
                                prog_name="guidance")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    assert lines[0]["resolved_question"] == lines[0]["question"] and lines[0]["context_turn"] is None
    assert lines[1]["context_turn"] == 1 and lines[1]["resolved_question"] != lines[1]["question"]
    assert "priority.public_safety" in {c["anchor"] for c in lines[1]["citations"]}


def test_the_interactive_chat_reads_follow_ups_and_its_commands(corpus_settings, corpus_index, monkeypatch):
    from assistant.cli import cli

    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(corpus_settings.paths.data_dir))
    script = ("/help\nWhat are the enforcement priorities?\nSay more about the second one.\n/new\n"
              "Say more about the second one.\n/as-of 2022-04-01\nAre the guidelines in force?\n/as-of nonsense\n")
    result = CliRunner().invoke(cli, ["chat"], input=script, prog_name="guidance")
    assert result.exit_code == 0, result.output  # end of input (Ctrl-D) leaves quietly
    out = result.stdout
    assert "/as-of DATE" in out  # the help
    assert "Understood as: Say more about the threat to public safety priority." in out
    assert "A new conversation." in out and CLARIFY in out  # after /new there is no list to point into
    assert "Status of the 2021 guidelines on 2022-04-01: ENJOINED" in out
    assert "is not a date" in result.stderr


def test_the_audit_log_keeps_the_resolved_question_and_restores_the_chat(tmp_path, embedder, corpus_index):
    from assistant.api import Assistant
    from assistant.audit import list_records
    from .conftest import make_settings

    settings = make_settings(tmp_path / "data")
    assistant = Assistant(settings)
    assistant._index = corpus_index  # the session's loaded index; the log is this test's own
    conversation = assistant.conversation()
    assistant.ask("What are the enforcement priorities?", conversation=conversation)
    assistant.ask("Say more about the second one.", conversation=conversation)
    records = list_records(settings, kinds=["ask"])
    payloads = [json.loads(r.payload) if isinstance(r.payload, str) else r.payload for r in records]
    assert any(p["resolved_question"].startswith("Say more about the threat to public safety") for p in payloads)
    restored = Assistant(settings).conversation(conversation.id)
    assert [a.question for a in restored.turns] == ["What are the enforcement priorities?", "Say more about the second one."]
    assert Assistant(settings).conversation("0" * 32).turns == []


@pytest.mark.slow
def test_dialog_items_are_answered_in_one_conversation_by_the_runner(corpus_settings, corpus_index, tmp_path, monkeypatch):
    from assistant.cli import cli

    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(corpus_settings.paths.data_dir))
    sets = tmp_path / "dialogs.yaml"
    sets.write_text(
        "name: dialogs\nitems:\n"
        "  - id: d-1\n    kind: dialog\n    turns: ['What are the enforcement priorities?']\n"
        "    question: Say more about the second one.\n    expect: {anchors_any: [priority.public_safety]}\n"
        "  - id: d-2\n    kind: dialog\n    turns: ['Who signed the guidelines?']\n"
        "    question: What about the other one?\n    expect: {refused: true}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "run", str(sets), "--out", str(tmp_path / "run"), "--json"], prog_name="guidance")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["metrics"]["dialog_accuracy"] == 1.0


@pytest.mark.slow  # an evaluation run of its own
def test_an_evaluation_run_logs_its_items_apart_from_peoples_questions(tmp_path, corpus_index, monkeypatch):
    from assistant.audit import list_records
    from assistant.cli import cli

    from .conftest import make_settings

    settings = make_settings(tmp_path / "data")
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(settings.paths.data_dir))
    sets = tmp_path / "two.yaml"
    sets.write_text("name: two\nitems:\n  - id: q-1\n    question: Does the person's age matter?\n"
                    "    expect: {anchors_any: [mit.age]}\n  - id: q-2\n    question: How do I renew a passport?\n"
                    "    kind: out_of_scope\n    expect: {refused: true}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "run", str(sets), "--out", str(tmp_path / "run")], prog_name="guidance")
    assert result.exit_code == 0, result.output
    assert list_records(settings, kinds=["ask"]) == []
    items = list_records(settings, kinds=["evaluation_item"])
    assert sorted(r.subject for r in items) == ["Does the person's age matter?", "How do I renew a passport?"]
    assert [r.kind for r in list_records(settings, kinds=["evaluation"])] == ["evaluation"]
