"""A follow-up the rules cannot resolve, read by a configured chat model (a real OpenAI-protocol server on loopback).

The model only proposes the standalone question: the user sees it ("Understood as"), and the
answer to it is drafted and verified like any other. Without a model, or when the model cannot
tell or fails, the answer stays the fixed clarification.
"""

from __future__ import annotations

import json

from assistant.answer.conversation import Conversation
from assistant.answer.pipeline import ask
from assistant.check.rules import CLARIFY

from .fake_openai import Reply, fake_openai  # noqa: F401 - the fixture
from .test_llm_answer import llm_settings, pid, reply

FIRST = "What are the enforcement priorities?"
VAGUE = "and the other thing?"
PROPOSED = "What does the memo say about the threat to border security priority?"
BORDER = "Threat to Border Security is the third enforcement priority, and it has two prongs."


def after_a_list(corpus_index, corpus_settings, server):
    """Settings with the model at ``server``, and a conversation whose first turn listed the priorities (no model)."""
    settings = llm_settings(corpus_settings, server)
    conversation = Conversation()
    ask(corpus_index, settings, FIRST, backend="extractive", conversation=conversation)
    return settings, conversation


def test_the_model_proposes_the_question_which_is_shown_and_answered_with_verified_quotes(corpus_index, corpus_settings, fake_openai):
    settings, conversation = after_a_list(corpus_index, corpus_settings, fake_openai)
    p = pid(corpus_index, settings, PROPOSED, "priority.border_security")
    fake_openai.script({"resolved": True, "question": PROPOSED}, reply((BORDER, [(p, BORDER)])))

    answer = ask(corpus_index, settings, VAGUE, conversation=conversation)

    assert answer.question == VAGUE and answer.resolved_question == PROPOSED and answer.context_turn == 1
    assert not answer.refused and answer.answer == f"{BORDER} [1]"
    assert [c.anchor for c in answer.citations] == ["priority.border_security"] and answer.check.passed
    sent = fake_openai.requests[0]["messages"]
    assert json.dumps(VAGUE) in sent[-1]["content"] and json.dumps(FIRST) in sent[-1]["content"]  # the turns, as data


def test_when_the_model_cannot_tell_the_answer_is_the_clarification(corpus_index, corpus_settings, fake_openai):
    settings, conversation = after_a_list(corpus_index, corpus_settings, fake_openai)
    fake_openai.script({"resolved": False})

    answer = ask(corpus_index, settings, VAGUE, conversation=conversation)

    assert answer.refused and answer.answer == CLARIFY and not answer.citations and len(fake_openai.requests) == 1


def test_a_failing_model_leaves_the_clarification(corpus_index, corpus_settings, fake_openai):
    settings, conversation = after_a_list(corpus_index, corpus_settings, fake_openai)
    fake_openai.script(Reply(status=500, text="boom"))

    answer = ask(corpus_index, settings, VAGUE, conversation=conversation)

    assert answer.refused and answer.answer == CLARIFY


def test_an_answer_in_place_of_a_question_is_not_taken(corpus_index, corpus_settings, fake_openai):
    settings, conversation = after_a_list(corpus_index, corpus_settings, fake_openai)
    fake_openai.script({"resolved": True, "question": "The third priority is border security."})

    answer = ask(corpus_index, settings, VAGUE, conversation=conversation)

    assert answer.refused and answer.answer == CLARIFY


def test_without_a_model_the_rules_alone_decide(corpus_index, corpus_settings, fake_openai):
    settings, conversation = after_a_list(corpus_index, corpus_settings, fake_openai)

    answer = ask(corpus_index, settings, VAGUE, backend="extractive", conversation=conversation)

    assert answer.answer == CLARIFY and fake_openai.requests == []
