"""The case-memo page in a real browser 800 px wide (issue 15, points 7-9 and 11).

One `guidance ui` and one Chromium: nothing on the page is cut off at 800 px, nothing is drafted
before "Draft the memo", the link jumps to the findings, a reload (F5) keeps the form and the
drafted memo, a problem shows right under its field with the field marked while the last findings
stay marked out of date, and another browser never sees this person's facts. Screenshots go to
``tests/_artifacts/``.
"""

from __future__ import annotations

import pytest

from .test_ui_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, app_url  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed at "
                                                   f"{CHROMIUM} (apt-get install -y chromium)")]

WIDTH = 800
# Every visible element of the page whose content is wider than its box (clipped, cut with an
# ellipsis, or scrolled out of sight), and every text that runs past the page's right edge. The
# offense table is a canvas grid that scrolls sideways by design; its headers are not in the DOM.
CUT_OFF = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const page = main.getBoundingClientRect();
  const found = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.closest('[data-testid="stDataFrameResizable"], [data-testid="stTooltipContent"]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 2 || box.height <= 2) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const clips = ['hidden', 'clip', 'auto', 'scroll'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    const what = (el.getAttribute('data-testid') || el.tagName) + ' "' + (el.innerText || '').trim().slice(0, 60) + '"';
    if (clips && el.scrollWidth > el.clientWidth + 1) found.push('cut off: ' + what);
    else if (box.right > page.right + 1 && !el.children.length && (el.innerText || '').trim()) found.push('past the edge: ' + what);
  }
  return found;
}"""


def _set_date(page, label: str, day: str) -> None:
    year, month, dd = day.split("-")
    for part, value in (("year", year), ("month", month), ("day", dd)):
        field = page.get_by_role("spinbutton", name=f"{part}, {label}")
        field.click()
        field.click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")
    page.get_by_text("Entry and apprehension").click()  # leave the field: the date is committed


def test_the_memo_page_at_800_px_drafts_on_request_survives_a_reload_and_marks_problems(app_url):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    expect = sync_api.expect
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": WIDTH, "height": 1000}).new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{app_url}/memo")
            case_id = page.get_by_role("textbox", name="Case id")
            case_id.wait_for()
            page.wait_for_timeout(500)
            assert page.evaluate(CUT_OFF) == []
            # One date format: a date field reads 2026-12-07 as the table and the findings do, not "2026 - 12 - 07".
            gaps = page.locator(".st-key-cf_assessed_on [data-type=literal]").evaluate_all(
                "els => els.map(e => [e.innerText, getComputedStyle(e).paddingLeft, getComputedStyle(e).paddingRight])")
            assert gaps == [["-", "0px", "0px"], ["-", "0px", "0px"]], gaps

            # Point 9: a case id (and an age) alone draft nothing; the button does, and the link jumps there.
            case_id.fill("BR-7")
            case_id.press("Enter")
            age = page.get_by_role("spinbutton", name="Age")
            age.fill("72")
            age.press("Enter")
            expect(page.get_by_text("The facts are valid. Press Draft the memo")).to_be_visible()
            findings = page.get_by_role("heading", name="Findings for case BR-7")
            assert findings.count() == 0
            page.get_by_role("button", name="Add offense").click()  # point 7: an empty row is not an offense yet
            expect(page.get_by_text("The facts are valid. Press Draft the memo")).to_be_visible()
            page.get_by_role("button", name="Draft the memo").click()
            findings.wait_for()
            expect(page.get_by_text("mitigating factor: advanced or tender age (mit.age)").first).to_be_visible()
            page.get_by_role("link", name="Jump to the findings").click()
            page.wait_for_timeout(800)
            top = findings.bounding_box()["y"]
            assert 0 <= top < 300, top  # the findings' heading is at the top of the window
            page.wait_for_timeout(500)
            assert page.evaluate(CUT_OFF) == []  # the findings tables wrap at 800 px too
            page.screenshot(path=str(ARTIFACTS / "memo-800.png"))

            # Point 11: a reload (a new session in the same tab) keeps the form, and the memo it had.
            page.reload()
            case_id = page.get_by_role("textbox", name="Case id")
            expect(case_id).to_have_value("BR-7")
            expect(page.get_by_role("spinbutton", name="Age")).to_have_value("72")
            page.get_by_role("heading", name="Findings for case BR-7").wait_for()

            # Point 8: a problem right under its field, the field marked, the last findings out of date.
            _set_date(page, "Apprehension date", "2030-01-01")
            problem = page.get_by_text("2030-01-01 is after Assessment date")
            problem.wait_for()
            field = page.locator(".st-key-cf_appr_date")
            box, under = field.bounding_box(), problem.bounding_box()
            assert 0 <= under["y"] - (box["y"] + box["height"]) < 40, (box, under)  # directly under the field
            assert box["x"] <= under["x"] < box["x"] + box["width"]
            assert field.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(217, 48, 37)"
            expect(page.get_by_text("Out of date.")).to_be_visible()
            expect(page.get_by_role("heading", name="Findings for case BR-7")).to_be_visible()
            assert page.get_by_role("button", name="Word").count() == 0
            field.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "memo-problem-800.png"))
            assert page.evaluate(CUT_OFF) == []

            # Another browser never sees this person's case.
            other = browser.new_context(viewport={"width": WIDTH, "height": 1000}).new_page()
            other.goto(f"{app_url}/memo")
            other.get_by_role("textbox", name="Case id").wait_for()
            other.wait_for_timeout(1500)
            expect(other.get_by_role("textbox", name="Case id")).to_have_value("")
            other.context.close()
        finally:
            browser.close()
