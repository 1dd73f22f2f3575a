"""Calibrate the refusal threshold on the dev question set and report the calibration.

For every question of the set it computes the two numbers the refusal rests on (the best passage's\nrelevance, and how much closer the nearest out-of-scope topic is than the best passage), sweeps\n``answer.refusal_threshold`` and ``answer.decoy_margin`` over a grid, and reports the pair in the\ncentre of the region with the fewest wrong decisions, with refusal accuracy, precision and recall.

    .venv/bin/python bench/calibrate_refusal.py [--set assistant/evals/data/sets/dev-questions.yaml] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from assistant.evals import data_dir

SETS = data_dir("sets")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def features(index, settings, question: str):
    """The refusal features of one question (see assistant.answer.assess)."""
    from assistant.answer.refusal import assess
    from assistant.answer.retrieve import search

    vector = index.embedder.embed_query(question)
    results = search(index, question, settings.retrieval, query_vector=vector)
    return assess(index, settings, question, results, vector)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(SETS / "dev-questions.yaml"))
    parser.add_argument("--json", action="store_true", help="print the calibration as JSON")
    args = parser.parse_args()

    import yaml

    from assistant.config import Settings
    from assistant.index.ingest import ingest
    from assistant.index.load import load_index

    items = [i for i in yaml.safe_load(Path(args.set).read_text())["items"] if "refused" in i.get("expect", {})]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        settings.paths.data_dir = Path(tmp)
        ingest(settings)
        index = load_index(settings)
        scored = [(features(index, settings, i["question"]), bool(i["expect"]["refused"]), i["id"]) for i in items]

    def decide(rel, t, m):
        return rel.best < t or rel.decoy - rel.best_dense > m

    grid = []
    for t in [x / 200 for x in range(20, 161)]:  # refusal_threshold 0.10 .. 0.80
        for m in [x / 200 for x in range(-20, 101)]:  # decoy_margin -0.10 .. 0.50
            wrong = [i for rel, should, i in scored if decide(rel, t, m) != should]
            grid.append((len(wrong), t, m, wrong))
    fewest = min(g[0] for g in grid)
    optimal = [g for g in grid if g[0] == fewest]
    # The centre of the optimal region keeps the widest margin on both sides.
    t_mid = sorted({g[1] for g in optimal})[len({g[1] for g in optimal}) // 2]
    m_opts = sorted(g[2] for g in optimal if g[1] == t_mid)
    m_mid = m_opts[len(m_opts) // 2]
    chosen = next(g for g in optimal if g[1] == t_mid and g[2] == m_mid)
    refused = [(decide(rel, t_mid, m_mid), should) for rel, should, _ in scored]
    tp = sum(1 for r, s in refused if r and s)
    fp = sum(1 for r, s in refused if r and not s)
    fn = sum(1 for r, s in refused if not r and s)
    report = {
        "set": args.set, "items": len(scored), "out_of_scope": sum(1 for _, s, _ in scored if s),
        "refusal_threshold": t_mid, "decoy_margin": m_mid,
        "optimal_region": {"refusal_threshold": [min(g[1] for g in optimal), max(g[1] for g in optimal)],
                           "decoy_margin": [min(m_opts), max(m_opts)]},
        "accuracy": round(1 - fewest / len(scored), 4),
        "refusal_precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "refusal_recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "wrong": [
            {"id": i, "best": round(rel.best, 3), "margin": round(rel.decoy - rel.best_dense, 3), "should_refuse": should}
            for rel, should, i in scored if i in chosen[3]
        ],
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['items']} questions, {report['out_of_scope']} out of scope")
        print(f"optimal region: {report['optimal_region']}")
        print(f"chosen: refusal_threshold={t_mid} decoy_margin={m_mid}: accuracy {report['accuracy']}, "
              f"refusal precision {report['refusal_precision']}, recall {report['refusal_recall']}")
        for e in report["wrong"]:
            print(f"  wrong: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
