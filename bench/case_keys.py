"""Case-file parsing at size: a YAML and a JSON case with 40,000 distinct keys, timed.

The duplicate-key check used to compare every key with every other (22-28 s for 40,000 keys);
it is one pass over a set now. Every key here is unknown, so the case is refused after the check
(a CaseError listing the first problems): the time is the parse, the check and the validation.

    python bench/case_keys.py [--keys 40000]
"""

from __future__ import annotations

import argparse
import json
import time

from assistant.cases.facts import CaseError, read_case_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=40000)
    n = parser.parse_args().keys
    cases = {
        "yaml": "case_id: x\nassessed_on: 2022-03-01\n" + "".join(f"k{i}: {i}\n" for i in range(n)),
        "json": json.dumps({"case_id": "x", "assessed_on": "2022-03-01", **{f"k{i}": i for i in range(n)}}),
    }
    for name, text in cases.items():
        started = time.perf_counter()
        try:
            read_case_bytes(text.encode())
            outcome = "accepted"
        except CaseError as exc:
            outcome = f"refused: {str(exc)[:70]}..."
        print(f"{name}: {n:,} keys in {time.perf_counter() - started:.2f} s ({outcome})")


if __name__ == "__main__":
    main()
