"""Follow-ups that point without naming, evidence asks, and what a refused follow-up shows as related.

Each test is a short chat a staff member would have, on the bundled corpus and the real model.
"""

from __future__ import annotations

import pytest

from assistant.answer.conversation import Conversation
from assistant.answer.pipeline import ask
from assistant.check.rules import CLARIFY


def converse(index, settings, *questions):
    conversation = Conversation()
    return [ask(index, settings, q, conversation=conversation) for q in questions]


@pytest.mark.parametrize("follow_up", ["and the other thing?", "What about the other stuff?", "and that one?"])
def test_a_follow_up_that_names_nothing_asks_to_rephrase(corpus_index, corpus_settings, follow_up):
    first, second = converse(corpus_index, corpus_settings, "What are the enforcement priorities?", follow_up)
    assert not first.refused
    assert second.refused and second.answer == CLARIFY and not second.citations


def test_an_ellipsis_with_a_new_focus_is_still_resolved(corpus_index, corpus_settings):
    turns = converse(corpus_index, corpus_settings, "Does old age count in someone's favor?", "What about a crime victim?")
    assert turns[1].resolved_question == "Does a crime victim count in someone's favor?"


def test_get_that_done_points_at_the_earlier_subject(corpus_index, corpus_settings):
    first, second = converse(corpus_index, corpus_settings, "What does the memo say about expunged convictions?",
                             "How do I get that done in Texas?")
    assert second.context_turn == 1 and "expunged convictions" in second.resolved_question
    assert second.refused  # a procedure: the guidelines give none
    assert "mit.vacated_expunged" in {c.anchor for c in second.related}  # what the chat was about, shown as related


@pytest.mark.parametrize("question", [
    "What documents does ICE accept as proof of rehabilitation?",
    "Which papers do I need to submit to prove how long my client has lived here?",
])
def test_an_ask_for_the_documents_that_prove_a_fact_is_refused(corpus_index, corpus_settings, question):
    answer = ask(corpus_index, corpus_settings, question)
    assert answer.refused and not answer.citations


def test_evidence_the_guidelines_name_is_still_answered(corpus_index, corpus_settings):
    answer = ask(corpus_index, corpus_settings, "Does evidence of rehabilitation count in someone's favor?")
    assert not answer.refused and "mit.rehabilitation" in {c.anchor for c in answer.citations}


def test_a_refused_follow_up_shows_the_earlier_subject_as_related(corpus_index, corpus_settings):
    first, second = converse(corpus_index, corpus_settings, "Does lengthy presence count as a mitigating factor?",
                             "OK, so which documents does ICE accept to prove it?")
    assert not first.refused and second.refused and not second.citations
    assert "mit.lengthy_presence" in {c.anchor for c in second.related}
