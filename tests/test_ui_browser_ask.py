"""The Ask page in a real browser at 800 px (issue 15, points 1, 2, 4 and 6): one app start, one walk through.

`guidance ui` runs on a copy of the session's index (the helpers of ``test_ui_browser``); Debian's
Chromium, driven by Playwright, does what a person does: "/" to reach the chat, a list question, a
click on a marker, a long chat, a date typed and applied with Enter. Nothing on the page may be
cut off at 800 px. Screenshots go to ``tests/_artifacts/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from .test_ui_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, app_url  # noqa: F401  (app_url is a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed at {CHROMIUM} "
                                "(apt-get install -y chromium)")]

WIDTH, HEIGHT = 800, 900
DATE = "Guidelines' status as of"

CUT_OFF = """() => {
  const main = document.querySelector('.stMain');
  const out = [];
  if (main.scrollWidth > main.clientWidth + 1) out.push('the page scrolls sideways: ' + main.scrollWidth);
  for (const el of document.querySelectorAll('.stMain *, [data-testid="stSidebar"] *')) {
    const style = getComputedStyle(el);
    if (!el.offsetParent || !el.innerText || !el.innerText.trim()) continue;
    if (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) out.push('cut: ' + el.innerText.trim());
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > window.innerWidth + 1) out.push('beyond the window: ' + el.innerText.trim().slice(0, 60));
  }
  return [...new Set(out)];
}"""


def test_ask_page_by_keyboard_links_and_dates_at_800_px(app_url):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    expect = sync_api.expect
    ARTIFACTS.mkdir(exist_ok=True)
    today = dt.date.today().isoformat()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
            page.set_default_timeout(60_000)  # the first question waits for the model to load
            page.goto(app_url)
            chat = page.get_by_test_id("stChatInputTextArea")
            chat.wait_for()
            page.wait_for_timeout(500)
            assert page.evaluate(CUT_OFF) == []  # the examples and the banner fit at 800 px

            # 6. "/" goes to the chat input, which says so; each message says who said it.
            page.evaluate("document.activeElement && document.activeElement.blur()")  # focus on the page itself
            page.keyboard.press("/")
            assert page.evaluate("document.activeElement.getAttribute('data-testid')") == "stChatInputTextArea"
            assert chat.get_attribute("aria-keyshortcuts") == "/"
            page.keyboard.type("What are the mitigating factors?")
            page.keyboard.press("Enter")
            page.get_by_test_id("stFeedback").first.wait_for()
            expect(page.get_by_role("group", name="Chat message from you")).to_have_count(1)
            answer = page.get_by_role("group", name="Chat message from the guidance assistant")
            expect(answer).to_have_count(1)

            # 1. The lead-in leads, as a paragraph; the items are short, each marker a link.
            expect(answer.locator("p").first).to_contain_text("include, for example, the following.")
            items = answer.locator("li")
            assert items.count() >= 9
            assert items.first.inner_text().strip() == "Advanced or tender age [2]"
            assert not any("the following" in t or "mitigating factor in the public safety" in t for t in items.all_inner_texts())

            # 2. A marker opens its passage on the quoted words.
            answer.get_by_role("link", name="[3]").click()
            opened = page.get_by_test_id("stExpander").filter(
                has_text="[3] Guidelines 2021, part II.B, mitigating factor: lengthy presence")
            expect(opened.locator("details")).to_have_attribute("open", "")
            expect(opened.locator("mark")).to_be_visible()
            assert opened.locator("mark").inner_text().startswith("Lengthy presence in the United States is a mitigating factor")
            page.wait_for_timeout(300)
            page.screenshot(path=str(ARTIFACTS / "ask-800-list.png"))
            assert page.evaluate(CUT_OFF) == []

            # 4. A long chat; then a date typed and applied with Enter: the banner, still in view, follows it,
            # and every earlier answer keeps the status it was given with.
            for question in ("What are the aggravating factors?", "Does the person's age matter?"):
                before = page.get_by_test_id("stFeedback").count()
                chat.fill(question)
                chat.press("Enter")
                expect(page.get_by_test_id("stFeedback")).to_have_count(before + 1)
            page.get_by_role("spinbutton", name=f"year, {DATE}").click()
            page.keyboard.type("2022")
            page.get_by_role("spinbutton", name=f"month, {DATE}").click()
            page.keyboard.type("03")
            page.get_by_role("spinbutton", name=f"day, {DATE}").click()
            page.keyboard.type("01")
            page.keyboard.press("Enter")
            banner = page.locator(".st-key-ask_banner")
            expect(banner).to_contain_text("on 2022-03-01: IN EFFECT", timeout=10_000)
            page.get_by_test_id("stChatMessage").last.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            box = banner.bounding_box()
            assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= HEIGHT, box  # in view at the chat's end
            middle = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
            assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)?.closest('.st-key-ask_banner')", middle)
            statuses = page.get_by_test_id("stCaptionContainer").filter(has_text="Status of the 2021 guidelines on")
            assert statuses.count() == 3 and all(f"on {today}" in t for t in statuses.all_inner_texts())
            page.screenshot(path=str(ARTIFACTS / "ask-800-date.png"))
            assert page.evaluate(CUT_OFF) == []
        finally:
            browser.close()
