"""The Corpus and Evaluations pages in a real browser 800 px wide (Debian's Chromium, `guidance ui`).

One app serves both tests (a copy of the session index with one user document). Checked: nothing
on either page is cut off (no element clips its text, no chart label ends in an ellipsis); the
status legend lists only the states that occur; ingest and removal ask first, with the warning that
they change every user's answers; the progress bar moves step by step while the baselines load.
Screenshots go to ``tests/_artifacts/``.
"""

from __future__ import annotations

import shutil

import pytest

from .test_ui_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed at {CHROMIUM}")]

WIDTH = 800
EVERY_USER = "This changes the answers for every user of this index"
NOTE = "# Snow note\n\n## I. Closures\n\nThe Duluth field office closes on days of heavy snow. Staff then work from home.\n"
SMALL_SET = """name: ui-progress
items:
  - id: q-age
    question: Does the person's age matter?
    expect: {anchors_any: [mit.age]}
  - id: q-daca
    question: How do I renew DACA?
    kind: out_of_scope
    expect: {refused: true}
  - id: q-weapon
    question: Does using a gun make it worse?
    expect: {anchors_any: [agg.weapon]}
"""

CUT_OFF = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const found = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.clientWidth <= 2) continue;  // visually hidden helpers of radios and checkboxes
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
      found.push(`${el.tagName}.${el.getAttribute('data-testid') || ''} ${el.scrollWidth}>${el.clientWidth}: `
                 + (el.innerText || el.value || '').slice(0, 50));
  }
  for (const t of main.querySelectorAll('svg text'))
    if (t.textContent.includes('\u2026')) found.push(`chart label: ${t.textContent}`);
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth) found.push('the page scrolls sideways');
  return found;
}"""


@pytest.fixture(scope="module")
def app_url(corpus_settings, tmp_path_factory):
    """`guidance ui` on a copy of the session index holding one user document (snow-note)."""
    from assistant.api import Assistant

    from .conftest import make_settings

    root = tmp_path_factory.mktemp("browser-corpus")
    data = root / "data"
    shutil.copytree(corpus_settings.paths.data_dir, data)
    (root / "snow-note.md").write_text(NOTE, encoding="utf-8")
    Assistant(make_settings(data)).ingest([root / "snow-note.md"])
    (root / "ui-progress.yaml").write_text(SMALL_SET, encoding="utf-8")
    with running_app(data, root) as url:
        yield url, root


@pytest.fixture
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": WIDTH, "height": 1000}).new_page()
            page.set_default_timeout(90_000)
            yield page, sync_api.expect
        finally:
            browser.close()


def documents(page) -> list[str]:
    """The ids in the first column of the Documents table, as shown."""
    table = page.get_by_test_id("stTable").first
    return [t.strip() for t in table.locator("tbody tr td:first-child").all_inner_texts()]


def test_corpus_page_fits_800px_asks_before_ingest_and_removal_and_lists_only_occurring_states(page, app_url):
    page, expect = page
    url, root = app_url
    page.goto(f"{url}/corpus")
    page.locator(".vega-embed svg").first.wait_for()
    page.wait_for_timeout(1500)  # let the tables and the chart settle
    assert page.evaluate(CUT_OFF) == []
    legend = page.get_by_test_id("stMarkdownContainer").filter(has_text="NOT YET EFFECTIVE").filter(
        has_text="NO LONGER APPLIED").first.inner_text()
    for state in ("IN EFFECT", "ENJOINED", "VACATED"):
        assert state in legend
    assert "UNKNOWN" not in legend
    assert documents(page) == ["dhs-2021-guidelines", "guidelines-status-history", "snow-note"]
    expect(page.get_by_role("button", name="Remove")).to_have_count(1)  # the user's document only
    page.screenshot(path=str(ARTIFACTS / "corpus-800.png"), full_page=True)

    # Removal: asked first, then the document is gone.
    page.get_by_role("button", name="Remove").click()
    warning = page.get_by_test_id("stAlert").filter(has_text="Remove 'snow-note' (Snow note)?")
    expect(warning).to_contain_text(EVERY_USER)
    assert documents(page)[-1] == "snow-note"
    page.get_by_role("button", name="Remove for everyone").click()
    expect(page.get_by_text("Removed in this session: snow-note.")).to_be_visible()
    assert documents(page) == ["dhs-2021-guidelines", "guidelines-status-history"]
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)

    # Ingest: asked first, with the same warning; then the document is listed.
    page.locator("input[type=file]").first.set_input_files(str(root / "snow-note.md"))
    expect(page.get_by_test_id("stFileChipName")).to_contain_text("snow-note.md")
    page.get_by_role("button", name="Ingest", exact=True).click()
    warning = page.get_by_test_id("stAlert").filter(has_text="Ingest 'snow-note.md'?")
    expect(warning).to_contain_text(EVERY_USER)
    page.screenshot(path=str(ARTIFACTS / "corpus-ingest-confirm-800.png"))
    page.get_by_role("button", name="Ingest for everyone").click()
    expect(page.get_by_text("Last ingest in this session")).to_be_visible()
    assert documents(page)[-1] == "snow-note"
    assert page.evaluate(CUT_OFF) == []


def test_the_progress_bar_moves_while_the_baselines_load_and_the_results_fit_800px(page, app_url):
    page, expect = page
    url, root = app_url
    page.goto(f"{url}/evaluations")
    page.get_by_text("Upload a set").click()
    page.get_by_test_id("stFileUploader").wait_for()
    page.locator("input[type=file]").first.set_input_files(str(root / "ui-progress.yaml"))
    expect(page.get_by_test_id("stFileChipName")).to_contain_text("ui-progress.yaml")
    page.get_by_text("Also run the baselines").click()
    expect(page.get_by_role("checkbox", name="Also run the baselines")).to_be_checked()
    expect(page.get_by_role("button", name="Run")).to_be_enabled()
    # Record what the bar shows, every 50 ms, from the moment Run is pressed.
    page.evaluate("""() => { window.seen = []; setInterval(() => {
        const bar = document.querySelector('[data-testid=stProgress] [role=progressbar]');
        const text = document.querySelector('[data-testid=stProgress]');
        if (bar) window.seen.push([Number(bar.getAttribute('aria-valuenow')), text.innerText]); }, 50); }""")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_test_id("stProgress")).to_contain_text("Done: 3 items", timeout=180_000)
    seen = page.evaluate("window.seen")
    values = [v for v, _ in seen]
    assert values == sorted(values), "the bar went back"
    loading = {v for v, text in seen if "loading the baselines" in text}
    assert len(loading) >= 4, f"the bar did not move while the baselines loaded: {sorted(set(values))}"
    assert 0 < min(loading) and max(loading) < 100
    assert len({v for v in values if 0 < v < 100}) >= 8  # step by step, not 0 -> 100

    page.get_by_text("Items passed").first.wait_for()
    page.wait_for_timeout(1500)  # the charts draw last
    page.screenshot(path=str(ARTIFACTS / "evaluations-800.png"), full_page=True)
    assert page.evaluate(CUT_OFF) == []
