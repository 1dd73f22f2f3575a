"""Entry point of the app: `guidance ui` (or `streamlit run assistant/ui/app.py`) runs this script.

It sets up the page, names the four pages and hands over to ``st.navigation``. Every page holds
only widgets and session state and calls the library (see ``ui/__init__.py``).
"""

from __future__ import annotations

import os

# Heavy Hugging Face imports must never try the network; set before anything imports them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import streamlit as st  # noqa: E402

from assistant import audit  # noqa: E402
from assistant.ui import resources  # noqa: E402

st.set_page_config(page_title="Guidance assistant: 2021 DHS enforcement guidelines", page_icon=":material/balance:", layout="wide")

pages = [
    st.Page("views/ask.py", title="Ask", icon=":material/forum:", default=True),
    st.Page("views/memo.py", title="Case memo", icon=":material/description:"),
    st.Page("views/evaluations.py", title="Evaluations", icon=":material/monitoring:"),
    st.Page("views/corpus.py", title="Corpus", icon=":material/library_books:"),
]
st.sidebar.caption(
    "Unofficial restatement of the 2021 DHS *Guidelines for the Enforcement of Civil Immigration Law*. "
    "Not legal advice: verify every finding against the official text."
)
# Every record this person's requests write to the audit log carries their own session id.
session_id = st.session_state.setdefault(resources.AUDIT_SESSION, resources.new_session_id())
with audit.session(session_id):
    st.navigation(pages).run()
# Only now, with the page drawn, the model and the index start loading (once per process and index build).
resources.warm_up(resources.settings())
