"""Benchmark: cold ingest, `guidance --help`, a cold `guidance ask`, warm answer latency, peak memory.

Runs each measurement in a fresh data folder and prints a table (``--json`` for JSON). Targets from
issue 2: --help < 0.5 s; warm p50 <= 50 ms and p95 <= 100 ms; cold ingest < 20 s; peak memory
< 1.2 GB.

    .venv/bin/python bench/bench.py [--set assistant/evals/data/sets/dev-questions.yaml] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.evals import data_dir

REPO = Path(__file__).resolve().parent.parent
SETS = data_dir("sets")
GUIDANCE = str(Path(sys.executable).parent / "guidance")

_PEAK_CHILD = """
import resource, runpy, sys
sys.argv = ["guidance"] + sys.argv[1:]
try:
    runpy.run_module("assistant.cli", run_name="__main__")
except SystemExit:
    pass
print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command; return seconds, the child's peak RSS (KB) and stderr."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed: {proc.stderr}")
    peak = 0
    for line in proc.stderr.splitlines():
        if line.startswith("PEAK_KB"):
            peak = int(line.split()[1])
    return elapsed, peak, proc.stderr


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(SETS / "dev-questions.yaml"))
    parser.add_argument("--repeat", type=int, default=3, help="rounds over the question set for warm latency")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import yaml

    questions = [i["question"] for i in yaml.safe_load(Path(args.set).read_text())["items"]]
    results: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GUIDANCE_PATHS__DATA_DIR": str(Path(tmp) / "data")}

        helps = [timed([GUIDANCE, "--help"], env)[0] for _ in range(5)]
        results["help_s"] = {"median": round(statistics.median(helps), 3), "max": round(max(helps), 3)}

        secs, peak, _ = timed([sys.executable, "-c", _PEAK_CHILD, "ingest"], env)
        results["cold_ingest_s"] = round(secs, 2)
        results["cold_ingest_peak_mb"] = round(peak / 1024, 1)

        secs, peak, _ = timed([sys.executable, "-c", _PEAK_CHILD, "ask", "Does the person's age matter?"], env)
        results["cold_ask_s"] = round(secs, 2)
        results["cold_ask_peak_mb"] = round(peak / 1024, 1)

        # Warm: one process, index loaded once, every question of the set answered `repeat` times.
        sys.path.insert(0, str(REPO))
        from assistant.api import Assistant
        from assistant.config import Settings

        os.environ["GUIDANCE_PATHS__DATA_DIR"] = env["GUIDANCE_PATHS__DATA_DIR"]
        assistant = Assistant(Settings.load())
        assistant.ask("warm-up question about age")
        latencies = []
        for _ in range(args.repeat):
            for q in questions:
                start = time.perf_counter()
                assistant.ask(q)
                latencies.append((time.perf_counter() - start) * 1000)
        results["warm_answer_ms"] = {
            "n": len(latencies), "p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1),
            "max": round(max(latencies), 1),
        }
        results["warm_process_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        w = results["warm_answer_ms"]
        print(f"guidance --help        median {results['help_s']['median']} s (max {results['help_s']['max']} s)   target < 0.5 s")
        print(f"cold ingest            {results['cold_ingest_s']} s, peak {results['cold_ingest_peak_mb']} MB   target < 20 s")
        print(f"cold ask               {results['cold_ask_s']} s, peak {results['cold_ask_peak_mb']} MB")
        print(f"warm answer (n={w['n']})  p50 {w['p50']} ms, p95 {w['p95']} ms, max {w['max']} ms   target p50 <= 50, p95 <= 100")
        print(f"warm process peak      {results['warm_process_peak_mb']} MB   target < 1200 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
