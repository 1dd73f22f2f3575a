"""The environment that keeps the model libraries offline and quiet, set before any of them is imported.

Both embedding runtimes (``embed`` for sentence-transformers, ``onnx_embed`` for onnxruntime) call
``offline_environment`` first; it lives apart so that neither imports the other for it.
"""

from __future__ import annotations

import os

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    # onnxruntime's wheels look up and post to events.data.microsoft.com about ten seconds after import
    # (seen by tests/test_no_egress.py under strace) unless this is set before it starts.
    "ORT_DISABLE_TELEMETRY": "1",
}


def offline_environment() -> None:
    """Tell the Hugging Face libraries and onnxruntime, before they are imported, never to reach the network."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
