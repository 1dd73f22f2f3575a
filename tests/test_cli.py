"""The ``guidance`` command through click's runner: exit codes, messages, JSON contracts, docs."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from assistant.check.rules import REFUSAL
from assistant.cli import cli

from .conftest import REPO


@pytest.fixture
def run(corpus_settings, monkeypatch):
    """Invoke the CLI against the session index of the bundled corpus."""
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(corpus_settings.paths.data_dir))

    def _run(*args: str):
        return CliRunner().invoke(cli, list(args), prog_name="guidance")

    return _run


def test_ask_json_follows_the_contract(run):
    result = run("ask", "Is a firearm an aggravating factor?", "--json", "--as-of", "2022-03-01")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"question", "answer", "refused", "citations", "retrieved", "status", "check"}
    assert data["refused"] is False
    cite = data["citations"][0]
    assert set(cite) >= {"doc_id", "anchor", "section", "heading", "quote", "start", "end"}
    assert "agg.weapon" in {c["anchor"] for c in data["citations"]}
    assert set(data["retrieved"][0]) >= {"doc_id", "anchor", "section", "score"}
    assert data["status"] == {**data["status"], "as_of": "2022-03-01", "state": "in_effect", "doc_id": "dhs-2021-guidelines"}
    assert data["check"]["passed"] is True


def test_ask_text_shows_sources_and_status(run):
    result = run("ask", "Does the person's age matter?")
    assert result.exit_code == 0
    assert "Sources:" in result.output
    assert "[1] Guidelines 2021, II.B, mitigating factor: advanced or tender age" in result.output
    # Today the guidelines are no longer applied, and the form of their rescission is unconfirmed (issue 11).
    assert "Status of the 2021 guidelines on" in result.output and "NO LONGER APPLIED" in result.output
    assert "form of rescission unconfirmed" in result.output and "confidence: unconfirmed" in result.output


def test_ask_refusal_exit_zero_and_plain(run):
    result = run("ask", "What is the H-1B visa cap for next year?")
    assert result.exit_code == 0
    assert result.output.startswith(REFUSAL)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "x" * 100_000], "characters long; the limit is"),
        (["ask", "Does age matter?", "--as-of", "March 1"], "is not a date"),
        (["ask", "Does age matter?", "-k", "0"], "0 is not in the range"),
    ],
)
def test_bad_input_is_one_clear_message_and_exit_2(run, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_status_lists_documents_and_model(run):
    result = run("status")
    assert result.exit_code == 0
    assert "dhs-2021-guidelines" in result.output and "guidelines-status-history" in result.output
    assert "all-MiniLM-L6-v2" in result.output or "model@" in result.output
    data = json.loads(run("status", "--json").output)
    assert data["exists"] and data["passages"] > 30 and data["chunker_version"]


def test_config_show_names_every_environment_variable(run):
    result = run("config", "show")
    assert result.exit_code == 0
    assert "GUIDANCE_ANSWER__REFUSAL_THRESHOLD" in result.output
    assert "GUIDANCE_STORE__CHROMA_HOST" in result.output


def test_bad_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("GUIDANCE_RETRIEVAL__K", "many")
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 2
    assert "GUIDANCE_RETRIEVAL__K" in result.stderr


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def test_every_command_and_option_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path, command in _commands(cli):
        assert command.help, path
        assert f"guidance {' '.join(path)}" in readme, f"README lacks guidance {' '.join(path)}"
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in readme, f"README lacks {opt} of {' '.join(path)}"


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.split("# --- the README's test command, verbatim ---\n", 1)[1]
    command = command.split("# --- end of the README's test command ---", 1)[0].strip()
    assert command and "\n" not in command
    assert command in readme


def test_help_imports_nothing_heavy():
    code = (
        "import sys; from assistant.cli import cli; "
        "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers', 'langchain_core') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and re.search(r"ingest|ask", result.stdout)

