"""Mutation report: how many broken analyses the checker catches, and its false alarms on correct ones.

Takes the correct analysis of every dev case (assistant/evals/data/sets/dev-cases.yaml; hand-built cases until it
exists), breaks it in each way of tests/mutations.py, and prints the catch rate per mutation, the
false alarm count (error findings on correct analyses) and every miss. No model is loaded.

    .venv/bin/python bench/mutation_report.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    """Run the suite and print the report; exit 1 if any mutation is missed or any false alarm is raised."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()

    from assistant.config import Settings
    from assistant.index.load import load_passages
    from tests.mutations import format_result, run_suite

    settings = Settings()
    settings.paths.data_dir = Path(tempfile.mkdtemp(prefix="guidance-mutations-"))
    result = run_suite(load_passages(settings), settings)
    if args.json:
        print(json.dumps({
            "cases": result.cases, "tried": result.tried, "caught": result.caught, "total": result.total,
            "total_caught": result.total_caught, "missed": result.missed, "false_alarms": result.false_alarms,
            "warnings_on_correct": result.warnings_on_correct,
        }, indent=2))
    else:
        print(format_result(result))
    return 0 if not result.missed and not result.false_alarms else 1


if __name__ == "__main__":
    sys.exit(main())
