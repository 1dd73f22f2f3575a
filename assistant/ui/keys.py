"""The Ask page's keyboard help, as one static script (no user text in it): Enter applies a typed date, "/" goes to the chat.

Streamlit's date field applies a typed date only when the focus moves out of it (a plain blur is not
enough); Enter here moves the focus to the widget around the field.
"/" (outside a text field) moves the focus to the chat input, which announces the shortcut with
``aria-keyshortcuts``. The status banner is kept in view while the chat scrolls (``BANNER_KEY``).
"""

from __future__ import annotations

BANNER_KEY = "ask_banner"
"""The key of the container that holds the status banner (Streamlit gives it the class ``st-key-ask_banner``)."""

SCRIPT = """
<style>
:is(div.st-key-%(banner)s, [data-testid="stLayoutWrapper"]:has(> .st-key-%(banner)s)) {
  position: sticky; top: 3.75rem; z-index: 5; padding-bottom: 0.25rem;
}
[id^="cite-"] { scroll-margin-top: 14rem; }  /* a passage opened by its marker is not hidden under the banner */
</style>
<script>
(() => {
  if (window.__guidanceAskKeys) return;
  window.__guidanceAskKeys = true;
  const chat = () => document.querySelector('[data-testid="stChatInputTextArea"]');
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)
                                || el.getAttribute('role') === 'spinbutton');
  document.addEventListener('keydown', (e) => {
    const target = e.target;
    const field = e.key === 'Enter' && target && target.closest ? target.closest('[data-testid="stDateInputField"]') : null;
    if (field && !target.closest('[role="dialog"]')) {
      // The field applies its date when the focus moves out of it: move it to the widget around the field.
      e.preventDefault();
      const widget = field.closest('[data-testid="stDateInput"]');
      if (widget) {
        if (!widget.hasAttribute('tabindex')) widget.setAttribute('tabindex', '-1');
        widget.focus({preventScroll: true});
      }
      return;
    }
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(target)) {
      const box = chat();
      if (box) { e.preventDefault(); box.focus(); }
    }
  }, true);
  const tidy = () => {
    const box = chat();
    if (box && !box.hasAttribute('aria-keyshortcuts')) box.setAttribute('aria-keyshortcuts', '/');
    const app = document.querySelector('[data-testid="stApp"]');
    document.querySelectorAll('.st-key-%(banner)s').forEach((banner) => {
      const box = banner.parentElement && banner.parentElement.matches('[data-testid="stLayoutWrapper"]') ? banner.parentElement : banner;
      if (app && !box.style.backgroundColor) {  // opaque, and covering the (transparent) header strip above it
        const bg = getComputedStyle(app).backgroundColor;
        box.style.backgroundColor = bg;
        box.style.boxShadow = `0 -1rem 0 0 ${bg}`;
      }
    });
  };
  new MutationObserver(tidy).observe(document.body, {childList: true, subtree: true});
  tidy();
})();
</script>
""" % {"banner": BANNER_KEY}
