"""LLM settings, the one chat-model factory and the privacy guard (no server needed)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.llm.client import LLMError, chat_model, ensure_allowed, is_loopback, parse_reply


def test_defaults_are_the_extractive_backend_with_every_field_described():
    s = Settings()
    assert s.llm.backend == "extractive" and s.llm.temperature == 0 and s.llm.max_repairs == 1
    assert s.llm.allow_remote_hosts is False and s.llm.api_key is None and s.llm.api_key_env == "OPENAI_API_KEY"
    assert all(f.description for f in type(s.llm).model_fields.values())


def test_settings_come_from_the_environment_and_the_key_stays_secret(monkeypatch):
    monkeypatch.setenv("GUIDANCE_LLM__BACKEND", "openai")
    monkeypatch.setenv("GUIDANCE_LLM__MODEL", "qwen")
    monkeypatch.setenv("GUIDANCE_LLM__BASE_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("GUIDANCE_LLM__TIMEOUT_S", "12.5")
    monkeypatch.setenv("GUIDANCE_LLM__API_KEY", "sk-very-secret")
    s = Settings.load()
    assert (s.llm.backend, s.llm.model, s.llm.timeout_s) == ("openai", "qwen", 12.5)
    assert s.llm.api_key.get_secret_value() == "sk-very-secret"
    result = CliRunner().invoke(cli, ["config", "show"], prog_name="guidance")
    assert "GUIDANCE_LLM__ALLOW_REMOTE_HOSTS" in result.output and "sk-very-secret" not in result.output
    result = CliRunner().invoke(cli, ["config", "show", "--json"], prog_name="guidance")
    assert json.loads(result.output)["llm"]["api_key"] == "**********"


def test_the_key_may_come_from_the_variable_named_by_api_key_env(monkeypatch):
    monkeypatch.setenv("MY_LLM_KEY", "from-env")
    monkeypatch.setenv("GUIDANCE_LLM__API_KEY_ENV", "MY_LLM_KEY")
    assert Settings.load().llm.api_key.get_secret_value() == "from-env"
    monkeypatch.setenv("GUIDANCE_LLM__API_KEY", "explicit")
    assert Settings.load().llm.api_key.get_secret_value() == "explicit"


def test_a_bad_backend_is_a_config_error(monkeypatch):
    monkeypatch.setenv("GUIDANCE_LLM__BACKEND", "gpt")
    with pytest.raises(ConfigError, match="GUIDANCE_LLM__BACKEND"):
        Settings.load()


def _settings(**llm):
    s = Settings()
    for k, v in llm.items():
        setattr(s.llm, k, v)
    return s


def test_factory_builds_chat_openai_with_the_settings():
    from langchain_openai import ChatOpenAI

    model = chat_model(_settings(backend="openai", model="qwen", base_url="http://127.0.0.1:8080/v1", timeout_s=7.0,
                                 temperature=0.2))
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "qwen" and model.openai_api_base == "http://127.0.0.1:8080/v1"
    assert model.request_timeout == 7.0 and model.temperature == 0.2 and model.max_retries == 0
    assert model.http_client is not None and model.http_client.trust_env is False  # loopback: no proxy


def test_factory_builds_chat_ollama_with_the_settings():
    from langchain_ollama import ChatOllama

    model = chat_model(_settings(backend="ollama", model="llama3.2", timeout_s=9.0))
    assert isinstance(model, ChatOllama)
    assert model.model == "llama3.2" and model.base_url == "http://127.0.0.1:11434"
    assert model.client_kwargs == {"timeout": 9.0, "trust_env": False, "follow_redirects": False}  # loopback: no proxy


@pytest.mark.parametrize(("settings", "message"), [
    (dict(backend="openai", model=""), "GUIDANCE_LLM__MODEL"),
    (dict(backend="extractive", model="m"), "extractive backend uses no language model"),
    (dict(backend="openai", model="gpt", allow_remote_hosts=True), "GUIDANCE_LLM__API_KEY"),
])
def test_factory_errors_say_what_to_set(settings, message):
    with pytest.raises(ConfigError, match=message):
        chat_model(_settings(**settings))


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:8080/v1", True), ("http://127.8.9.10/v1", True), ("http://[::1]:11434", True),
    ("http://localhost:1234/v1", True), ("http://LOCALHOST./v1", True), ("http://[::ffff:127.0.0.1]:80", True),
    ("https://api.openai.com/v1", False), ("http://10.0.0.5:8000/v1", False), ("http://127.0.0.1.nip.io/v1", False),
    ("http://127.0.0.1@evil.example/v1", False), ("http://localhost.evil.example/v1", False), ("", False),
])
def test_loopback_hosts(url, loopback):
    assert is_loopback(url) is loopback


def test_privacy_guard_questions_and_case_facts():
    remote = _settings(backend="openai", model="m", base_url="https://llm.example.org/v1")
    with pytest.raises(ConfigError, match="case facts.*GUIDANCE_LLM__ALLOW_REMOTE_HOSTS"):
        ensure_allowed(remote, sends_case_facts=True)
    with pytest.raises(ConfigError, match="questions .*GUIDANCE_LLM__GUARD_QUESTIONS=false"):
        ensure_allowed(remote, sends_case_facts=False)
    remote.llm.guard_questions = False
    ensure_allowed(remote, sends_case_facts=False)  # questions may go; case facts still may not
    with pytest.raises(ConfigError):
        ensure_allowed(remote, sends_case_facts=True)
    remote.llm.allow_remote_hosts = True
    ensure_allowed(remote, sends_case_facts=True)
    default_openai = _settings(backend="openai", model="gpt-x")  # no base_url: OpenAI's own API, a remote host
    with pytest.raises(ConfigError, match="api.openai.com"):
        ensure_allowed(default_openai, sends_case_facts=False)
    ensure_allowed(_settings(backend="ollama", model="m"), sends_case_facts=True)  # Ollama's default is loopback


def test_ask_to_a_remote_host_is_refused_before_any_connection(corpus_index, corpus_settings, monkeypatch):
    import socket

    from assistant.answer.pipeline import ask

    from .conftest import make_settings

    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    settings = make_settings(corpus_settings.paths.data_dir, llm__backend="openai", llm__model="m",
                             llm__base_url="http://203.0.113.7:8000/v1")
    with pytest.raises(ConfigError, match="GUIDANCE_LLM__ALLOW_REMOTE_HOSTS"):
        ask(corpus_index, settings, "Does the person's age matter?")


@pytest.mark.parametrize(("text", "reason"), [("", "empty answer"), ("   ", "empty answer"), ("no json here", "malformed JSON"),
                                              ("{bad", "malformed JSON"), ("42", "malformed JSON")])
def test_parse_reply_failures(text, reason):
    with pytest.raises(LLMError) as failed:
        parse_reply(text)
    assert failed.value.reason == reason


def test_parse_reply_is_defensive():
    assert parse_reply('```json\n{"claims": []}\n```') == {"claims": []}
    assert parse_reply('Here it is: {"refused": true} hope it helps') == {"refused": True}
    assert parse_reply('[{"text": "a"}]') == {"claims": [{"text": "a"}]}


def test_a_remote_host_is_refused_even_for_a_question_the_gate_would_refuse(corpus_index, corpus_settings):
    from assistant.answer.pipeline import ask

    from .conftest import make_settings

    settings = make_settings(corpus_settings.paths.data_dir, llm__backend="openai", llm__model="m",
                             llm__base_url="https://llm.example.org/v1")
    with pytest.raises(ConfigError, match="GUIDANCE_LLM__ALLOW_REMOTE_HOSTS"):
        ask(corpus_index, settings, "What is the H-1B visa cap for next year?")


def test_quotes_are_located_verbatim_up_to_whitespace_and_quote_marks():
    from assistant.citations.locate import locate
    from assistant.llm.drafting import clean_text
    from assistant.types import Passage

    doc = "Intro.\n\nThe officer's  review of the \"whole record\"\nmatters here. End."
    start = doc.index("The")
    passage = Passage(id="p", doc_id="d", text=doc[start : doc.index(" End")], start=start, end=doc.index(" End"))
    span = locate("officer\u2019s review of the \u201cwhole record\u201d matters", passage, doc)
    assert span is not None and doc[span[0] : span[1]] == "officer's  review of the \"whole record\"\nmatters"
    assert locate("officer's review of the whole file", passage, doc) is None
    assert locate("Intro.", passage, doc) is None  # in the document, but not in the cited passage
    assert clean_text("Age matters [1][P2] (see P3)\nfor everyone [P4, P5].") == "Age matters for everyone."
