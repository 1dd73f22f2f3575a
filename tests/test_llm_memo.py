"""Memo prose drafted by a model through a real loopback server: every sentence cited and checked."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from assistant import api
from assistant.cases.analysis import analyze
from assistant.cases.facts import load_case
from assistant.cases.narrative import draft_narrative, narrative_passages
from assistant.cli import cli
from assistant.errors import ConfigError
from assistant.evals import data_dir
from assistant.index.load import load_passages

from .conftest import make_settings
from .fake_openai import fake_openai  # noqa: F401 - the fixture
from .test_llm_answer import AGE_QUOTE, INVENTED, llm_settings, reply

CASES = data_dir("cases")

CASE = CASES / "hx-001.yaml"
GOOD = "Advanced or tender age is a mitigating factor in the public safety assessment, and it applies here."
BORDER_QUOTE = "A noncitizen is a threat to border security if they are apprehended while attempting an unlawful entry"


@pytest.fixture
def analysis(corpus_settings):
    source = load_passages(corpus_settings)
    return analyze(load_case(CASE), source, corpus_settings), source


def _ids(analysis, source):
    shown = narrative_passages(analysis, source)
    return {p.anchor: pid for pid, p in shown.items()}


def test_only_verified_sentences_that_keep_the_findings_survive(analysis, corpus_settings, fake_openai):
    analysis, source = analysis
    before = analysis.model_dump()
    ids = _ids(analysis, source)
    settings = llm_settings(corpus_settings, fake_openai)
    fake_openai.script(
        reply(
            (GOOD, [(ids["mit.age"], AGE_QUOTE)]),
            ("Long residence guarantees relief from removal.", [(ids["mit.lengthy_presence"], INVENTED)]),
            ("The person meets the border security priority as a threat to border security.",
             [(ids["priority.border_security"], BORDER_QUOTE)]),
            ("The officer should decline enforcement because advanced or tender age is a mitigating factor.",
             [(ids["mit.age"], AGE_QUOTE)]),
        ),
        {"claims": []},
    )

    sentences = draft_narrative(analysis, source, settings)

    assert [text for text, _ in sentences] == [GOOD]
    citation = sentences[0][1]
    assert citation.anchor == "mit.age" and source.texts[citation.doc_id][citation.start : citation.end] == AGE_QUOTE
    assert analysis.model_dump() == before  # read-only
    prompt = fake_openai.prompt(0)
    assert '"id": "border_security"' in prompt and '"finding": "does_not_meet"' in prompt
    assert "never change, weigh or contradict them" in prompt
    repair = fake_openai.requests[1]["messages"][-1]["content"]
    assert "says the border security priority is 'meets', but the analysis finds 'does_not_meet'" in repair
    assert "states a verdict or recommendation" in repair and f'"{INVENTED}" is not in' in repair
    assert fake_openai.requests[0]["response_format"] == {"type": "json_object"}


def test_memo_with_narrative_cites_each_sentence_and_keeps_the_analysis(corpus_settings, fake_openai, analysis):
    analysis_, source = analysis
    ids = _ids(analysis_, source)
    settings = llm_settings(corpus_settings, fake_openai)
    fake_openai.script(reply((GOOD, [(ids["mit.age"], AGE_QUOTE)])))

    with_text_analysis, text = api.memo_markdown(settings, CASE, narrative=True)
    plain_analysis, plain = api.memo_markdown(settings, CASE)

    assert "## Narrative summary (drafted by a language model)" in text
    assert "Narrative summary" not in plain and len(fake_openai.requests) == 1
    # Issue 11: the model's sentence is shown as drafted prose without a citation; the verified quote it
    # rests on follows it, and only that quote carries the marker.
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"**Drafted:** {GOOD}"))
    assert "[" not in lines[at].removeprefix(f"**Drafted:** {GOOD}")
    quoted = next(line for line in lines[at + 1:] if line.startswith("> \u201c"))
    number = quoted.rsplit("[", 1)[1].strip("]")
    assert quoted == f"> \u201c{AGE_QUOTE}\u201d [{number}]"
    assert f"- [{number}] " in text and f"\u201c{AGE_QUOTE}" in text.split("## 8. Citations")[1].split(f"- [{number}] ")[1].split("\n")[0]
    assert "PASSED: the checker found no error." in text
    assert with_text_analysis.model_dump(exclude={"check"}) == plain_analysis.model_dump(exclude={"check"})


def test_memo_docx_carries_the_narrative(corpus_settings, fake_openai, analysis, tmp_path):
    import docx

    analysis_, source = analysis
    ids = _ids(analysis_, source)
    fake_openai.script(reply((GOOD, [(ids["mit.age"], AGE_QUOTE)])))

    _, _, written = api.write_case_memo(llm_settings(corpus_settings, fake_openai), CASE, tmp_path / "m.docx", narrative=True)

    body = "\n".join(p.text for p in docx.Document(str(written)).paragraphs)
    assert "Narrative summary (drafted by a language model)" in body and GOOD in body


def test_a_narrative_that_fails_entirely_says_so_in_the_memo(corpus_settings, fake_openai):
    fake_openai.script("no json", "no json either")

    _, text = api.memo_markdown(llm_settings(corpus_settings, fake_openai), CASE, narrative=True)

    assert "No sentence of the language model's draft passed verification" in text


def test_cli_memo_narrative(corpus_settings, fake_openai, analysis, monkeypatch):
    analysis_, source = analysis
    ids = _ids(analysis_, source)
    fake_openai.script(reply((GOOD, [(ids["mit.age"], AGE_QUOTE)])))
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(corpus_settings.paths.data_dir))
    for key, value in {"BACKEND": "openai", "MODEL": "fake-model", "BASE_URL": fake_openai.url}.items():
        monkeypatch.setenv(f"GUIDANCE_LLM__{key}", value)

    result = CliRunner().invoke(cli, ["memo", str(CASE), "--narrative"], prog_name="guidance")

    assert result.exit_code == 0, result.output
    assert "Narrative summary" in result.stdout and GOOD in result.stdout
    bad = CliRunner().invoke(cli, ["memo", str(CASE), "--narrative", "--json"], prog_name="guidance")
    assert bad.exit_code == 2 and "--narrative" in bad.output


def test_narrative_needs_a_model_backend(corpus_settings):
    with pytest.raises(ConfigError, match="extractive backend uses no language model"):
        api.memo_markdown(make_settings(corpus_settings.paths.data_dir), CASE, narrative=True)


def test_case_facts_never_go_to_a_remote_host(corpus_settings, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    settings = make_settings(corpus_settings.paths.data_dir, llm__backend="openai", llm__model="m",
                             llm__base_url="http://10.20.30.40:8000/v1")

    with pytest.raises(ConfigError) as refused:
        api.memo_markdown(settings, CASE, narrative=True)

    message = str(refused.value)
    assert "GUIDANCE_LLM__ALLOW_REMOTE_HOSTS" in message and "case facts" in message and "10.20.30.40" in message
    result = CliRunner().invoke(cli, ["memo", str(CASE), "--narrative"], prog_name="guidance", env={
        "GUIDANCE_PATHS__DATA_DIR": str(corpus_settings.paths.data_dir), "GUIDANCE_LLM__BACKEND": "openai",
        "GUIDANCE_LLM__MODEL": "m", "GUIDANCE_LLM__BASE_URL": "https://llm.example.org/v1"})
    assert result.exit_code == 2 and "GUIDANCE_LLM__ALLOW_REMOTE_HOSTS" in result.stderr
    assert json.dumps("llm.example.org")[1:-1] in result.stderr
