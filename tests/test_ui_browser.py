"""End to end in a real browser: `guidance ui` on a free loopback port, driven by Debian's Chromium.

Starts the real command as a subprocess (on a copy of the session's index), asks a question, opens
a citation, fills the memo form and downloads the Word memo, saving screenshots to
``tests/_artifacts/``. Skipped only when Chromium or Playwright's Python package is missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "_artifacts"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed at {CHROMIUM} "
                                "(apt-get install -y chromium)")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def guidance_command() -> list[str]:
    script = Path(sys.executable).with_name("guidance")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def wait_healthy(proc: subprocess.Popen, url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"`guidance ui` exited with {proc.returncode}:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"the app did not answer at {url} within {timeout:.0f} s")


@contextlib.contextmanager
def running_app(data: Path, cwd: Path):
    """`guidance ui --port N` on the data folder ``data``, started from ``cwd``; yields its address, stops it after."""
    port = free_port()
    env = {**os.environ, "GUIDANCE_PATHS__DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(
        [*guidance_command(), "ui", "--port", str(port)], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, url)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def app_url(corpus_settings, tmp_path):
    """`guidance ui --port N` running on a copy of the session index; stopped after the test."""
    data = tmp_path / "data"
    shutil.copytree(corpus_settings.paths.data_dir, data)
    with running_app(data, tmp_path) as url:
        yield url


def test_ask_cite_fill_the_memo_form_and_download_the_word_memo(app_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    import docx

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(60_000)  # the first question waits for the model to load
            page.goto(app_url)

            # Ask: a question, its answer, and a citation opened on the quoted words.
            chat = page.get_by_test_id("stChatInputTextArea")
            chat.fill("Does the person's age matter?")
            chat.press("Enter")
            page.get_by_test_id("stFeedback").first.wait_for()  # drawn once the answer is complete
            sync_api.expect(page.get_by_test_id("stChatMessage").last).to_contain_text(
                "Advanced or tender age is a mitigating factor")
            page.get_by_test_id("stExpander").filter(
                has_text="[1] Guidelines 2021, part II.B, mitigating factor: advanced or tender age").locator("summary").click()
            mark = page.locator("mark").first
            sync_api.expect(mark).to_be_visible()
            assert mark.inner_text().startswith("Advanced or tender age is a mitigating factor")
            page.wait_for_timeout(400)  # let the expander finish opening
            page.screenshot(path=str(ARTIFACTS / "ask.png"))

            # A follow-up is read against the earlier list answer, and says how it was understood.
            for question in ("What are the enforcement priorities?", "Say more about the second one."):
                before = page.get_by_test_id("stFeedback").count()
                chat.fill(question)
                chat.press("Enter")
                sync_api.expect(page.get_by_test_id("stFeedback")).to_have_count(before + 1)
            last = page.get_by_test_id("stChatMessage").last
            sync_api.expect(last).to_contain_text("Understood as: Say more about the threat to public safety priority.")
            sync_api.expect(last.get_by_test_id("stExpander").filter(
                has_text="[1] Guidelines 2021, part II.B, priority: threat to public safety")).to_be_visible()
            # A reload keeps the chat (its id is in the address; the turns come back from the audit log).
            assert "chat=" in page.url
            page.reload()
            page.get_by_test_id("stChatInputTextArea").wait_for()
            sync_api.expect(page.get_by_test_id("stChatMessage")).to_have_count(6)
            sync_api.expect(page.get_by_test_id("stChatMessage").last).to_contain_text("Understood as:")

            # A second person (another browser context) does not see the first one's chat.
            other = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
            other.goto(app_url)
            other.get_by_test_id("stChatInputTextArea").wait_for()
            sync_api.expect(other.get_by_text("Try a question:")).to_be_visible()
            assert other.get_by_test_id("stChatMessage").count() == 0
            other.context.close()

            # Case memo: fill the form; the findings appear; the Word memo downloads.
            page.get_by_role("link", name="Case memo").click()
            case_id = page.get_by_role("textbox", name="Case id")
            case_id.fill("BR-7")
            case_id.press("Enter")
            for part, value in (("year", "2022"), ("month", "03"), ("day", "01")):
                page.get_by_role("spinbutton", name=f"{part}, Assessment date").click()
                page.keyboard.type(value)
            page.keyboard.press("Tab")
            age = page.get_by_role("spinbutton", name="Age")
            age.fill("72")
            age.press("Enter")
            page.get_by_role("button", name="Draft the memo").click()  # a memo is drafted only when asked for
            page.get_by_text("Findings for case BR-7").first.wait_for()
            sync_api.expect(page.get_by_text("on the assessment date 2022-03-01: IN EFFECT").first).to_be_visible()
            sync_api.expect(page.get_by_text("mitigating factor: advanced or tender age (mit.age)").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "memo.png"))
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Word").click()
            download = download_info.value
            assert download.suggested_filename == "memo-BR-7.docx"
            saved = ARTIFACTS / "memo-BR-7.docx"
            download.save_as(saved)
        finally:
            browser.close()

    memo = docx.Document(str(saved))  # a real Word document, not an error page
    text = "\n".join(p.text for p in memo.paragraphs)
    assert "Factor analysis memo: case BR-7" in text
    assert "advanced or tender age" in text.lower()


def test_a_hostile_case_file_is_shown_as_text_and_fetches_nothing(app_url, tmp_path):
    """Issue 16, item 3: a case id with a remote image and a link posing as official guidance stays text."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    import yaml

    from assistant.evals import data_dir

    image, link = "![pixel](http://127.0.0.1:9/track.png)", "[official DHS guidance](http://evil.example/guidance)"
    case = yaml.safe_load((data_dir("cases") / "hx-001.yaml").read_text(encoding="utf-8"))
    case["case_id"] = f"HX-16 {image} {link}"
    case["circumstances"]["family_in_us"] = [f"daughter {image}", f"see {link}"]
    path = tmp_path / "hostile-case.yaml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
            page.set_default_timeout(60_000)
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(app_url) else None)
            page.goto(f"{app_url}/memo")
            page.locator("input[type=file]").first.set_input_files(str(path))
            header = page.get_by_role("heading").filter(has_text="Findings for case")
            header.wait_for()
            assert header.inner_text().strip() == f"Findings for case HX-16 {image} {link}"
            page.get_by_text("Preview the memo").click()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "hostile-memo.png"), full_page=True)
            assert page.locator("a", has_text="official DHS guidance").count() == 0
            assert page.locator("img[src*='track.png'], img[src*='127.0.0.1:9']").count() == 0
            assert not [u for u in outside if "127.0.0.1:9" in u or "evil.example" in u], outside
        finally:
            browser.close()
