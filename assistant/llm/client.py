"""Chat models: the one factory, the privacy guard, and calls whose replies are never trusted.

``chat_model`` is the only place that constructs a LangChain chat model (``ChatOpenAI`` for any
OpenAI-compatible server, ``ChatOllama``); it runs the privacy guard first, so no client exists
for a host the settings do not allow. ``call`` and ``stream_text`` wrap a model call so that every
transport failure (timeout, refused connection, HTTP error) becomes one ``LLMError`` with a short
reason, and ``parse_reply`` reads a reply's JSON defensively: servers differ in what they honour
(JSON mode, JSON schema, tool calls), and weak models wrap JSON in prose or code fences.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from assistant.errors import ConfigError, GuidanceError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import Runnable

    from assistant.config import Settings

OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434"
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
LOOPBACK_NAMES = frozenset({"localhost"})
NO_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, but the client requires one


class LLMError(GuidanceError):
    """A model call failed (timeout, connection, HTTP error) or its reply cannot be read.

    ``reason`` is short enough for a backend label such as ``extractive (fallback: timeout)``.
    """

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"the language model call failed: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason
        self.detail = detail


# --- backend and privacy guard --------------------------------------------------------------------


def resolve_backend(settings: Settings, backend: str | None = None) -> str:
    """The effective backend: ``backend`` if given, else the setting; an unknown name is a ConfigError."""
    from assistant.config import BACKENDS

    name = (backend or settings.llm.backend).strip().lower()
    if name not in BACKENDS:
        raise ConfigError(f"unknown answer backend '{name}'; use one of {', '.join(BACKENDS)} (GUIDANCE_LLM__BACKEND or --backend)")
    return name


def endpoint(settings: Settings, backend: str | None = None) -> str:
    """The address the backend sends requests to (the default of the backend when none is set)."""
    name = resolve_backend(settings, backend)
    if settings.llm.base_url:
        return settings.llm.base_url.strip()
    return OLLAMA_DEFAULT_URL if name == "ollama" else OPENAI_DEFAULT_URL


def is_loopback(url: str) -> bool:
    """Whether ``url`` names a loopback host: 127.0.0.0/8, ::1 (or IPv4-mapped loopback), or localhost.

    Names are not resolved (no DNS query is made): only the literal name ``localhost`` counts.
    """
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return False
    if not host:
        return False
    host = host.rstrip(".").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def ensure_allowed(settings: Settings, sends_case_facts: bool, backend: str | None = None) -> None:
    """Refuse (ConfigError) to send case facts, or guarded questions, to a host that is not loopback.

    Case facts (memo narratives, intake narratives) are always guarded. Questions are guarded too
    while ``llm.guard_questions`` is on (the default), because people ask about their cases in
    their own words. Nothing is checked for the extractive backend, which sends nothing.
    """
    name = resolve_backend(settings, backend)
    if name == "extractive" or settings.llm.allow_remote_hosts:
        return
    if not sends_case_facts and not settings.llm.guard_questions:
        return
    url = endpoint(settings, name)
    if is_loopback(url):
        return
    what = "case facts" if sends_case_facts else "questions (which may carry case facts)"
    host = urlsplit(url if "//" in url else f"//{url}").hostname or url
    hint = "" if sends_case_facts else ", or GUIDANCE_LLM__GUARD_QUESTIONS=false to let questions only go there"
    raise ConfigError(
        f"refusing to send {what} to {host}, which is not a loopback host (127.0.0.1, ::1, localhost). "
        f"Run the model locally, or set GUIDANCE_LLM__ALLOW_REMOTE_HOSTS=true if your office allows this host{hint}"
    )


# --- the factory ----------------------------------------------------------------------------------


def chat_model(settings: Settings, *, backend: str | None = None, sends_case_facts: bool = True) -> BaseChatModel:
    """THE factory of chat models: ChatOpenAI (OpenAI-compatible server) or ChatOllama, after the privacy guard."""
    name = resolve_backend(settings, backend)
    if name == "extractive":
        raise ConfigError("the extractive backend uses no language model; set GUIDANCE_LLM__BACKEND=openai or ollama")
    cfg = settings.llm
    if not cfg.model.strip():
        raise ConfigError(f"the {name} backend needs a model name: set GUIDANCE_LLM__MODEL (e.g. qwen2.5:7b-instruct)")
    ensure_allowed(settings, sends_case_facts, name)
    url = endpoint(settings, name)
    # A loopback endpoint is reached directly: no proxy from the environment (HTTP_PROXY would carry the
    # request, case facts included, off the machine) and no redirect (which could point anywhere).
    local = {"trust_env": False, "follow_redirects": False} if is_loopback(url) else {}
    if name == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=cfg.model, base_url=url, temperature=cfg.temperature, client_kwargs={"timeout": cfg.timeout_s, **local},
        )
    import httpx
    from langchain_openai import ChatOpenAI

    key = cfg.api_key.get_secret_value() if cfg.api_key is not None else None
    if not key:
        if not cfg.base_url:
            raise ConfigError("OpenAI's API needs a key: set GUIDANCE_LLM__API_KEY (or the variable named by GUIDANCE_LLM__API_KEY_ENV)")
        key = NO_KEY
    clients = {"http_client": httpx.Client(**local), "http_async_client": httpx.AsyncClient(**local)} if local else {}
    return ChatOpenAI(
        model=cfg.model, base_url=url, api_key=key, timeout=cfg.timeout_s, temperature=cfg.temperature,
        max_retries=0, stream_usage=False, use_responses_api=False, **clients,
    )


def model_label(settings: Settings, backend: str | None = None) -> str:
    """How an answer names its backend, e.g. ``openai:qwen2.5:7b-instruct``."""
    return f"{resolve_backend(settings, backend)}:{settings.llm.model}"


# --- structured replies ---------------------------------------------------------------------------


def structured(model: BaseChatModel, settings: Settings, name: str, schema: dict[str, Any]) -> Runnable:
    """The model bound to return JSON of ``schema`` as ``llm.structured_output`` asks (the reply is still checked)."""
    mode = settings.llm.structured_output
    if mode == "json_mode":
        return model.bind(response_format={"type": "json_object"})
    if mode == "json_schema":
        return model.bind(response_format={"type": "json_schema", "json_schema": {"name": name, "schema": schema}})
    if mode == "tool_calling":
        tool = {"type": "function", "function": {"name": name, "description": f"Return the {name}.", "parameters": schema}}
        return model.bind_tools([tool], tool_choice=name)
    return model


def _transport_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError, ValueError]  # ValueError: a body the client cannot decode
    try:
        import openai

        errors.append(openai.OpenAIError)
    except ImportError:  # pragma: no cover - a dependency of the project
        pass
    try:
        import httpx

        errors.append(httpx.HTTPError)
    except ImportError:  # pragma: no cover
        pass
    try:
        import ollama

        errors.append(ollama.ResponseError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


def _reason(exc: BaseException, settings: Settings) -> LLMError:
    kind = type(exc).__name__
    text = " ".join(str(exc).split())[:200]
    if "Timeout" in kind or isinstance(exc, TimeoutError):
        return LLMError(f"timeout after {settings.llm.timeout_s:g} s", text)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return LLMError(f"HTTP {status}", text)
    if "Connect" in kind or isinstance(exc, ConnectionError):
        return LLMError("cannot connect to the model server", text)
    return LLMError(f"error {kind}", text)


def call(runnable: Runnable, messages: Sequence[BaseMessage], settings: Settings) -> AIMessage:
    """One model call; every transport failure becomes an LLMError."""
    try:
        return runnable.invoke(list(messages))
    except _transport_errors() as exc:
        raise _reason(exc, settings) from exc


def stream_text(runnable: Runnable, messages: Sequence[BaseMessage], settings: Settings) -> Iterator[str]:
    """The reply's text as it arrives: content deltas, or a tool call's argument deltas."""
    try:
        for chunk in runnable.stream(list(messages)):
            for part in getattr(chunk, "tool_call_chunks", None) or []:
                if part.get("args"):
                    yield part["args"]
            text = content_text(chunk.content)
            if text:
                yield text
    except _transport_errors() as exc:
        raise _reason(exc, settings) from exc


def content_text(content: Any) -> str:
    """The text of a message's content (a string, or a list of content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content if isinstance(b, (str, dict)))
    return ""


def reply_text(message: AIMessage) -> str:
    """The JSON-bearing text of a reply: the first tool call's arguments, else the content."""
    if message.tool_calls:
        return json.dumps(message.tool_calls[0].get("args") or {})
    for bad in getattr(message, "invalid_tool_calls", None) or []:
        if bad.get("args"):
            return str(bad["args"])
    return content_text(message.content)


_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.S)


def parse_reply(text: str) -> dict[str, Any]:
    """The JSON object in a reply, read defensively (code fences, prose around it); else an LLMError.

    An empty reply is ``LLMError('empty answer')``; text holding no JSON object is
    ``LLMError('malformed JSON')``.
    """
    text = (text or "").strip()
    if not text:
        raise LLMError("empty answer", "the reply had no text")
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as first:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise LLMError("malformed JSON", f"{first.msg} at line {first.lineno}, column {first.colno}") from None
        try:
            data = json.loads(text[start : end + 1])
        except json.JSONDecodeError as exc:
            raise LLMError("malformed JSON", f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if isinstance(data, list):  # a bare list of claims
        data = {"claims": data}
    if not isinstance(data, dict):
        raise LLMError("malformed JSON", f"the reply is a JSON {type(data).__name__}, not an object")
    return data


class ItemScanner:
    """Finds each complete object of a reply's top-level list ``key`` while the JSON is still streaming.

    Used to verify (and then show) claims one by one as they arrive. Whatever it cannot read is left
    to ``parse_reply`` on the full text, which has the last word.
    """

    def __init__(self, key: str = "claims"):
        self._key = re.compile(r'"%s"\s*:\s*\[' % re.escape(key))
        self._buf = ""
        self._pos: int | None = None
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._start: int | None = None
        self._done = False

    def feed(self, text: str) -> list[Any]:
        """Add streamed text; return the objects of the list completed by it."""
        self._buf += text
        found: list[Any] = []
        if self._pos is None:
            match = self._key.search(self._buf)
            if match is None:
                return found
            self._pos = match.end()
        i = self._pos
        while i < len(self._buf) and not self._done:
            ch = self._buf[i]
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif ch == "\\":
                    self._escaped = True
                elif ch == '"':
                    self._in_string = False
            elif ch == '"':
                self._in_string = True
            elif ch in "{[":
                if self._depth == 0 and ch == "{":
                    self._start = i
                self._depth += 1
            elif ch in "}]":
                if self._depth == 0:
                    self._done = True  # the list closed
                else:
                    self._depth -= 1
                    if self._depth == 0 and self._start is not None:
                        try:
                            found.append(json.loads(self._buf[self._start : i + 1]))
                        except json.JSONDecodeError:
                            pass  # left to parse_reply on the full text
                        self._start = None
            i += 1
        self._pos = i
        return found
