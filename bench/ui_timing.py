"""Time the app in a real browser: first page usable after a cold `guidance ui`, and warm answers.

    .venv/bin/python bench/ui_timing.py [--starts 3] [--questions 10] [--data-dir DIR] [--poll-in-browser]

Cold start: from spawning `guidance ui --port N` (a new process, the index already built) until the
Ask page shows its status banner and an enabled chat box in Chromium (already running, as a
person's browser would be). The browser opens the address once the server accepts connections,
as a person opens it once the command says the app is up; until then the port is polled with a
bare TCP connect. (Retrying the page in the browser loaded an error page every 50 ms, and on two
cores that work slowed the very start it timed: by 0.7 s, median of 8 alternated starts.) Also
reported: the first answer after a cold start (it waits for the model to finish loading). Warm
answer: from pressing Enter until the whole answer, citations and feedback buttons are drawn, once
the model is loaded. Targets (issue 14): 2 s and 1 s.
Writes bench/out/ui_timing.json. Needs Debian's Chromium (/usr/bin/chromium) and Playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
QUESTIONS = [
    "Does the person's age matter?",
    "What are the mitigating factors?",
    "How do I renew DACA?",
    "Which characteristics must never be a factor?",
    "Is being a crime victim considered?",
    "When did the guidelines take effect?",
    "Can an officer arrest someone just because that person is removable?",
    "Does a firearm make things worse?",
    "What counts as a threat to border security?",
    "Does the memo create rights that someone can enforce in court?",
    "Is military service of a family member relevant?",
    "What happened in United States v. Texas?",
]


def guidance() -> list[str]:
    script = Path(sys.executable).with_name("guidance")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:  # the child keeps its own handle
        return subprocess.Popen([*guidance(), "ui", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=tempfile.gettempdir())


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_listening(port: int, started: float, proc: subprocess.Popen, log: Path, limit: float = 90) -> None:
    """Return once the server accepts a TCP connection on ``port`` (a bare connect: no browser work meanwhile)."""
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.perf_counter() - started > limit:
                raise RuntimeError(f"the app did not start; its output:\n{log.read_text(errors='replace')}") from None
            time.sleep(0.02)


def page_usable(page, url: str, started: float, proc: subprocess.Popen, log: Path, limit: float = 90,
                poll_in_browser: bool = False) -> float:
    """Seconds from ``started`` until the Ask page is usable (banner shown, chat box enabled)."""
    if not poll_in_browser:
        wait_listening(int(url.rsplit(":", 1)[1]), started, proc, log, limit)
    while True:
        try:
            page.goto(url, wait_until="commit", timeout=5000)
            break
        except Exception:  # noqa: BLE001 - connection refused until the server listens
            if proc.poll() is not None or time.perf_counter() - started > limit:
                raise RuntimeError(f"the app did not start; its output:\n{log.read_text(errors='replace')}") from None
            time.sleep(0.05)
    page.wait_for_function(
        "() => { const box = document.querySelector('[data-testid=stChatInputTextArea]');"
        " return !!document.querySelector('[data-testid=stAlert]') && !!box && !box.disabled; }",
        polling="raf", timeout=limit * 1000,
    )
    return time.perf_counter() - started


def ask(page, question: str, n_before: int, timeout_s: float = 90) -> float:
    """Seconds from pressing Enter until the answer is fully drawn (its feedback buttons appear)."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    t = time.perf_counter()
    box.press("Enter")
    # Checked on every animation frame: Playwright's locator waits back off to 500 ms between tries.
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=stFeedback]').length > {n_before}",
        polling="raf", timeout=timeout_s * 1000,
    )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="Cold starts to time.")
    parser.add_argument("--questions", type=int, default=10, help="Warm answers to time (after the first).")
    parser.add_argument("--data-dir", type=Path, help="A data folder with a built index (default: a new temporary one).")
    parser.add_argument("--poll-in-browser", action="store_true",
                        help="Retry the page in the browser until the server answers (how this measured before; slower).")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    tmp = tempfile.TemporaryDirectory(prefix="ui-timing-")
    data = args.data_dir or Path(tmp.name) / "data"
    env = {**os.environ, "GUIDANCE_PATHS__DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if not (data / "index").exists():
        print(f"building the index in {data} (not timed)...", file=sys.stderr)
        subprocess.run([*guidance(), "ingest"], env=env, check=True, stdout=subprocess.DEVNULL)

    cold, first_answers, warm = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for i in range(args.starts):
                port = free_port()
                page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
                log = Path(tmp.name) / f"server-{i}.log"
                started = time.perf_counter()
                proc = start(env, port, log)
                try:
                    url = f"http://127.0.0.1:{port}"
                    cold.append(page_usable(page, url, started, proc, log, poll_in_browser=args.poll_in_browser))
                    first_answers.append(ask(page, QUESTIONS[0], 0) + cold[-1])
                    if i == args.starts - 1:  # warm answers in the last server
                        for n, q in enumerate((QUESTIONS[1:] * 3)[: args.questions], 1):
                            warm.append(ask(page, q, n))
                finally:
                    page.context.close()
                    stop(proc)
                print(f"start {i + 1}: page usable {cold[-1]:.2f} s, first answer {first_answers[-1]:.2f} s after spawn",
                      file=sys.stderr)
        finally:
            browser.close()

    def summary(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {"n": len(xs), "min": round(xs[0], 3), "median": round(statistics.median(xs), 3),
                "p95": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 3), "max": round(xs[-1], 3)}

    report = {
        "cold_start_page_usable_s": summary(cold), "first_answer_after_cold_start_s": summary(first_answers),
        "warm_answer_shown_s": summary(warm), "targets": {"cold_start_page_usable_s": 2, "warm_answer_shown_s": 1},
        "cpus": os.cpu_count(), "load_average": os.getloadavg(), "poll_in_browser": args.poll_in_browser,
    }
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ui_timing.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    tmp.cleanup()


if __name__ == "__main__":
    main()
