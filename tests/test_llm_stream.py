"""Streaming of verified text: SSE from a real loopback server, each claim shown only once verified."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from assistant.answer.pipeline import stream as stream_answer
from assistant.api import Assistant
from assistant.cli import cli
from assistant.llm.client import ItemScanner

from .conftest import make_settings
from .fake_openai import Reply, fake_openai  # noqa: F401 - the fixture
from .test_llm_answer import AGE_CLAIM, AGE_Q, AGE_QUOTE, AGE_QUOTE_2, INVENTED, extractive, llm_settings, pid, reply

SECOND = "Being elderly or very young weighs in favor of declining enforcement action."


def test_item_scanner_yields_each_claim_when_its_object_closes():
    text = json.dumps({"refused": False, "claims": [
        {"text": 'a {tricky} "quoted" claim ]', "citations": [{"passage_id": "P1", "quote": "x"}]},
        {"text": "second", "citations": []}]})
    scanner, seen = ItemScanner("claims"), []
    for i, ch in enumerate(text):
        for item in scanner.feed(ch):
            seen.append((i, item["text"]))
    first_end = text.index("]}", text.index("tricky")) + 1  # the first claim's closing brace
    assert seen[0] == (first_end, 'a {tricky} "quoted" claim ]') and seen[1][1] == "second"


def test_stream_shows_verified_lines_before_the_reply_ends_and_never_a_failed_claim(corpus_index, corpus_settings, fake_openai):
    settings = llm_settings(corpus_settings, fake_openai)
    p = pid(corpus_index, settings, AGE_Q, "mit.age")
    body = json.dumps(reply((AGE_CLAIM, [(p, AGE_QUOTE)]), ("Age always decides removal.", [(p, INVENTED)]),
                            (SECOND, [(p, AGE_QUOTE_2)])))
    fake_openai.script(Reply(text=body, chunk_delay=0.02), Reply(text='{"refused": false, "claims": []}'))

    started, events = time.perf_counter(), []
    for event in stream_answer(corpus_index, settings, AGE_Q):
        events.append((time.perf_counter() - started, event))

    lines = [e.text for _, e in events if e.kind == "line"]
    assert lines == [f"{AGE_CLAIM} [1]", f"{SECOND} [2]"]
    final = events[-1][1].answer
    assert final.answer == "\n".join(lines) and final.check.passed and final.status is not None
    assert all("Age always decides" not in e.text for _, e in events)
    # the first verified line came out while the server was still sending the rest of the reply
    first_line_at = next(t for t, e in events if e.kind == "line")
    assert first_line_at < events[-1][0] - 0.3
    assert fake_openai.requests[0]["stream"] is True
    assert f'the quote "{INVENTED}" is not in {p}' in fake_openai.requests[1]["messages"][-1]["content"]


def test_stream_with_tool_call_deltas(corpus_index, corpus_settings, fake_openai):
    settings = llm_settings(corpus_settings, fake_openai, llm__structured_output="tool_calling")
    p = pid(corpus_index, settings, AGE_Q, "mit.age")
    fake_openai.script(reply((AGE_CLAIM, [(p, AGE_QUOTE)])))

    events = list(stream_answer(corpus_index, settings, AGE_Q))

    assert [e.text for e in events if e.kind == "line"] == [f"{AGE_CLAIM} [1]"]
    assert fake_openai.requests[0]["tools"][0]["function"]["name"] == "answer"


def test_stream_fallback_says_so_then_shows_the_extractive_answer(corpus_index, corpus_settings, fake_openai):
    settings = llm_settings(corpus_settings, fake_openai)
    fake_openai.script("not json", "still not json")

    events = list(stream_answer(corpus_index, settings, AGE_Q))

    kinds = [e.kind for e in events]
    assert kinds[0] == "notice" and "could not be verified (malformed JSON)" in events[0].text
    expected = extractive(corpus_index, corpus_settings, AGE_Q)
    assert [e.text for e in events if e.kind == "line"] == expected.answer.splitlines()
    assert events[-1].answer.backend == "extractive (fallback: malformed JSON)"


def test_stream_with_the_default_backend_is_the_extractive_answer(corpus_index, corpus_settings, fake_openai):
    settings = make_settings(corpus_settings.paths.data_dir, llm__base_url=fake_openai.url, llm__model="m")

    events = list(stream_answer(corpus_index, settings, "What are the mitigating factors?"))

    expected = extractive(corpus_index, corpus_settings, "What are the mitigating factors?")
    assert [e.text for e in events if e.kind == "line"] == expected.answer.splitlines()
    assert events[-1].answer.model_dump(exclude={"timings_ms"}) == expected.model_dump(exclude={"timings_ms"})
    assert fake_openai.requests == []


def test_assistant_stream_logs_the_final_answer(corpus_index, corpus_settings, fake_openai):
    from assistant.audit.runlog import recent

    settings = llm_settings(corpus_settings, fake_openai)
    p = pid(corpus_index, settings, AGE_Q, "mit.age")
    fake_openai.script(reply((AGE_CLAIM, [(p, AGE_QUOTE)])))
    assistant = Assistant(settings)
    assistant._index = corpus_index  # the session index, already loaded

    events = list(assistant.stream(AGE_Q))

    logged = next(r for r in recent(settings.paths.data_dir, limit=10) if r["kind"] == "ask")
    assert json.loads(logged["payload"])["answer"] == events[-1].answer.answer == f"{AGE_CLAIM} [1]"


def _cli(corpus_settings, server, monkeypatch, *args, **env):
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(corpus_settings.paths.data_dir))
    for key, value in {"BACKEND": "openai", "MODEL": "fake-model", "BASE_URL": server.url, **env}.items():
        monkeypatch.setenv(f"GUIDANCE_LLM__{key}", value)
    return CliRunner().invoke(cli, list(args), prog_name="guidance")


def test_cli_ask_stream_prints_verified_lines_then_sources(corpus_index, corpus_settings, fake_openai, monkeypatch):
    settings = llm_settings(corpus_settings, fake_openai)
    p = pid(corpus_index, settings, AGE_Q, "mit.age")
    fake_openai.script(reply((AGE_CLAIM, [(p, AGE_QUOTE)]), ("Age always decides removal.", [(p, INVENTED)])),
                       '{"refused": false, "claims": []}')

    result = _cli(corpus_settings, fake_openai, monkeypatch, "ask", AGE_Q, "--stream")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{AGE_CLAIM} [1]\n\nSources:\n  [1] Guidelines 2021, II.B, mitigating factor")
    assert "Age always decides" not in result.stdout
    assert "(answer backend: openai:fake-model (unverified claims dropped))" in result.stderr


@pytest.mark.slow
def test_cli_ask_backend_option_and_fallback_note(corpus_index, corpus_settings, fake_openai, monkeypatch):
    fake_openai.script(Reply(text="{}", delay=3.0))

    result = _cli(corpus_settings, fake_openai, monkeypatch, "ask", AGE_Q, "--json", BACKEND="extractive",
                  TIMEOUT_S="1")
    assert result.exit_code == 0 and json.loads(result.stdout)["backend"] == "extractive"
    assert fake_openai.requests == []

    result = _cli(corpus_settings, fake_openai, monkeypatch, "ask", AGE_Q, "--backend", "openai", BACKEND="extractive",
                  TIMEOUT_S="1")
    assert result.exit_code == 0, result.output
    assert "note: the language model's answer could not be verified (timeout after 1 s)" in result.stderr
    assert result.stdout.startswith(extractive(corpus_index, corpus_settings, AGE_Q).answer)


def test_cli_stream_and_json_cannot_be_combined(corpus_settings, fake_openai, monkeypatch):
    result = _cli(corpus_settings, fake_openai, monkeypatch, "ask", AGE_Q, "--stream", "--json")
    assert result.exit_code == 2 and "--stream" in result.output and fake_openai.requests == []


@pytest.mark.slow
def test_a_stream_that_stalls_keeps_the_verified_lines_and_says_it_is_incomplete(corpus_index, corpus_settings, fake_openai):
    settings = llm_settings(corpus_settings, fake_openai, llm__timeout_s=1.0)
    p = pid(corpus_index, settings, AGE_Q, "mit.age")
    body = json.dumps(reply((AGE_CLAIM, [(p, AGE_QUOTE)]), (SECOND, [(p, AGE_QUOTE_2)])))
    fake_openai.script(Reply(text=body, stall_at=body.index(SECOND) - 10, stall_s=3.0))

    events = list(stream_answer(corpus_index, settings, AGE_Q))

    assert [e.text for e in events if e.kind == "line"] == [f"{AGE_CLAIM} [1]"]
    final = events[-1].answer
    assert final.answer == f"{AGE_CLAIM} [1]" and final.backend == "openai:fake-model (incomplete: timeout after 1 s)"
    assert len(fake_openai.requests) == 1  # no repair round after a timeout


def test_stream_through_the_ollama_backend(corpus_index, corpus_settings, fake_openai):
    settings = llm_settings(corpus_settings, fake_openai, llm__backend="ollama", llm__base_url=fake_openai.url.removesuffix("/v1"))
    p = pid(corpus_index, settings, AGE_Q, "mit.age")
    fake_openai.script(reply((AGE_CLAIM, [(p, AGE_QUOTE)])))

    events = list(stream_answer(corpus_index, settings, AGE_Q))

    assert [e.text for e in events if e.kind == "line"] == [f"{AGE_CLAIM} [1]"]
    assert fake_openai.paths == ["/api/chat"] and events[-1].answer.backend == "ollama:fake-model"
