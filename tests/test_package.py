"""The package as a user installs it: a wheel in a fresh virtual environment, used from another folder.

The wheel is built from this checkout and installed (without dependencies) into a new virtual
environment in a temporary folder outside the repository; the dependencies come from the test
environment through a path file, so the test takes seconds instead of a full install. What is
checked is the project's own package: its corpus, rule table, sets and app must be inside the
wheel, and ``guidance ask`` and ``guidance memo`` must work from ``/tmp``.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow

CASE = """\
case_id: WHEEL-1
assessed_on: 2022-03-01
person: {age: 72}
entry: {date: 1990-01-01, manner: unlawful}
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (found,) = out.glob("guidance_assistant-*.whl")
    return found


def test_the_wheel_carries_the_corpus_the_rules_the_sets_and_the_app(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("assistant/corpus/bundled/manifest.yaml", "assistant/corpus/bundled/dhs-2021-guidelines.md",
                   "assistant/corpus/bundled/guidelines-status-history.md", "assistant/corpus/bundled/out_of_scope.yaml",
                   "assistant/corpus/bundled/rules/dhs-2021-guidelines.yaml", "assistant/evals/data/sets/core.yaml",
                   "assistant/evals/data/cases/hx-001.yaml", "assistant/ui/app.py", "assistant/ui/views/ask.py"):
        assert needed in names, f"{needed} is not in {wheel.name}"
    assert not any(n.startswith(("tests/", "bench/", "corpus/", "evals/")) for n in names)


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp("fresh")
    env_dir = home / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    result = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # The dependencies (torch, chromadb, ...) are those of the test environment, reached by a path file.
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_paths()["purelib"]]
    Path(purelib, "test-dependencies.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUIDANCE_", "PYTHON"))}
    env.update(GUIDANCE_PATHS__DATA_DIR=str(home / "data"), HOME=str(home), HF_HUB_OFFLINE="1")
    return env_dir, env


def _run(env_dir: Path, env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(env_dir / "bin" / "guidance"), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    env_dir, env = installed
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import assistant; print(assistant.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True).stdout.strip()
    assert Path(where).is_relative_to(env_dir) and not Path(where).is_relative_to(REPO)


def test_guidance_ask_and_memo_work_from_another_folder(installed, tmp_path):
    env_dir, env = installed
    elsewhere = Path("/tmp") if os.access("/tmp", os.W_OK) else tmp_path
    asked = _run(env_dir, env, "ask", "Does the person's age matter?", "--json", cwd=elsewhere)
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert '"anchor": "mit.age"' in asked.stdout and '"refused": false' in asked.stdout

    case = tmp_path / "case.yaml"
    case.write_text(CASE, encoding="utf-8")
    memo = tmp_path / "memo.docx"
    written = _run(env_dir, env, "memo", str(case), "-o", str(memo), cwd=elsewhere)
    assert written.returncode == 0, written.stderr[-3000:]
    assert memo.is_file() and memo.stat().st_size > 5000
    shown = _run(env_dir, env, "memo", str(case), cwd=elsewhere)
    assert shown.returncode == 0 and "mit.age" in shown.stdout and "WHEEL-1" in shown.stdout
