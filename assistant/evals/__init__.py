"""The evaluation stage: question and case sets, the runner, the metrics, the baselines and the reports.

``sets`` reads and validates a set; ``runner.run_set`` answers and analyzes every item,
``scoring`` scores it, ``report`` writes the Markdown and HTML reports, ``compare`` diffs two
runs. The shipped sets and example case files are package data in ``data/``.
"""

from __future__ import annotations

from pathlib import Path


def data_dir(*parts: str) -> Path:
    """A folder of the evaluation package data: ``data_dir("sets")`` or ``data_dir("cases")``."""
    from importlib.resources import files

    return Path(str(files("assistant.evals").joinpath("data", *parts)))
