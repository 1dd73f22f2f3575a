"""What each alias of the manifest does to retrieval: does it pull questions to its unit that another unit answers?

Aliases (plain words for a unit, embedded and indexed with it, never quoted) help a question in
everyday words reach its unit, but an alias can also pull a question whose ask another unit
answers better ("just because they're undocumented" to the case-review unit). For every alias,
this script removes it (from the unit's embedded text, its BM25 tokens and the alias phrases)
and re-ranks every question of the development sets with the real embedding model and the
pipeline's own hybrid search. Per alias it reports how many questions move to an expected unit
(the alias misroutes them) and how many move away (the alias helps them), by the rank of the
first expected unit (reciprocal rank). An alias whose removal helps more questions than it
hurts is a misrouting alias. Blind sets are never read.

    .venv/bin/python bench/alias_effect.py [--sets dev-questions dev-understanding heldout-questions]
        [--json out.json] [--drop]     # --drop: print the manifest lines to remove

The dense part is exact cosine over the passage vectors (what Chroma returns for a corpus this
small); the rest is ``assistant.answer.retrieve.search`` unchanged.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLIND = ("blind", "heldout2")
MIN_EVIDENCE = 2
"""An alias is dropped only when it misroutes at least this many questions: one question is not evidence."""


@dataclass
class Question:
    text: str
    expected: tuple[str, ...]


def _exact(vectors):
    """``Index.nearest`` over in-memory vectors: exact cosine (what Chroma returns for a corpus this small)."""
    import numpy as np

    def nearest(query_vector, n, where=None):
        q = np.asarray(query_vector, dtype=np.float32)
        return sorted(((pid, float(np.dot(v, q))) for pid, v in vectors.items()), key=lambda x: -x[1])[:n]

    return nearest


def questions(names: list[str]) -> list[Question]:
    from assistant.evals.sets import load_set, resolve_set

    out = []
    for name in names:
        if any(b in name for b in BLIND):
            raise SystemExit(f"{name}: blind sets are not used to tune aliases")
        for item in load_set(resolve_set(name)).items:
            if getattr(item, "should_refuse", False) or getattr(item, "turns", None):
                continue
            e = item.expect
            expected = tuple(e.anchors_any or e.anchors_all or ())
            if expected:
                out.append(Question(item.question, expected))
    return out


def reciprocal_rank(ranking: list[str], expected: tuple[str, ...]) -> float:
    return next((1.0 / (i + 1) for i, a in enumerate(ranking) if a in expected), 0.0)


def variant(index, drops: set[tuple[str, str]]):
    """The index without some alias phrases: (passage id, phrase) pairs."""
    import numpy as np

    from assistant.index.text import embed_text

    v = copy.copy(index)
    vectors = dict(index.vectors)
    passages = []
    for p in index.passages:
        gone = {phrase for owner, phrase in drops if owner == p.id}
        if gone:
            p = p.model_copy(update={"keywords": [k for k in p.keywords if k not in gone]})
            vectors[p.id] = np.asarray(index.embedder.embed_documents([embed_text(p)])[0], dtype=np.float32)
        passages.append(p)
    v.passages = passages
    v.vectors = vectors
    v.nearest = _exact(vectors)
    keep = [i for i, pair in enumerate(zip(index.alias_owners, index.alias_texts)) if pair not in drops]
    v.alias_owners = [index.alias_owners[i] for i in keep]
    v.alias_texts = [index.alias_texts[i] for i in keep]
    v.alias_vectors = index.alias_vectors[keep]
    v.__post_init__()
    return v


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["dev-questions", "dev-understanding", "heldout-questions"])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args(argv)

    from assistant.api import Assistant
    from assistant.answer.retrieve import search
    from assistant.index import store

    assistant = Assistant()
    index, settings = assistant.index, assistant.settings
    index.alias_texts = store.read_phrases(index.build_dir, "aliases").texts
    qs = questions(args.sets)
    vectors = {q.text: index.embedder.embed_query(q.text) for q in qs}

    def ranks(ix) -> list[float]:
        return [reciprocal_rank([r.passage.anchor for r in search(ix, q.text, settings.retrieval, query_vector=vectors[q.text])],
                                q.expected) for q in qs]

    exact = copy.copy(index)
    exact.nearest = _exact(index.vectors)
    base = ranks(exact)
    rows = []
    pairs = sorted(set(zip(index.alias_owners, index.alias_texts)))
    for owner, phrase in pairs:
        without = ranks(variant(index, {(owner, phrase)}))
        better = [q.text for q, a, b in zip(qs, base, without) if b > a]
        worse = [q.text for q, a, b in zip(qs, base, without) if b < a]
        rows.append({"anchor": index.by_id[owner].anchor, "alias": phrase, "misroutes": len(better), "helps": len(worse),
                     "mrr_change_without": round(sum(without) / len(qs) - sum(base) / len(qs), 4),
                     "misrouted": better, "helped": worse})
    rows.sort(key=lambda r: (r["helps"] - r["misroutes"], r["anchor"]))
    print(f"{len(qs)} questions with expected units; MRR with every alias: {sum(base) / len(qs):.4f}")
    print(f"{'unit':32} {'alias':44} misroutes helps")
    for r in rows:
        if r["misroutes"] or r["helps"]:
            print(f"{r['anchor']:32} {r['alias'][:44]:44} {r['misroutes']:9} {r['helps']:5}")
    drops = [r for r in rows if r["misroutes"] > r["helps"] and r["misroutes"] >= MIN_EVIDENCE]
    print(f"\n{len(drops)} of {len(rows)} aliases misroute more questions than they help (at least {MIN_EVIDENCE}).")
    # Aliases can stand in for each other: removed together, two that each seemed idle may both be missed.
    # From the index without all of them, each is put back alone; one whose return helps more than it hurts stays.
    owner_of = {(index.by_id[o].anchor, t): (o, t) for o, t in pairs}
    dropped = {owner_of[(r["anchor"], r["alias"])] for r in drops}
    joint = ranks(variant(index, dropped))
    kept = []
    for r in drops:
        pair = owner_of[(r["anchor"], r["alias"])]
        back = ranks(variant(index, dropped - {pair}))
        if sum(1 for a, b in zip(joint, back) if b > a) > sum(1 for a, b in zip(joint, back) if b < a):
            kept.append(r)
    final = [r for r in drops if r not in kept]
    final_ranks = ranks(variant(index, {owner_of[(r["anchor"], r["alias"])] for r in final}))
    print(f"Put back {len(kept)} (missed once the others were gone); dropping {len(final)}: "
          f"MRR {sum(base) / len(qs):.4f} -> {sum(final_ranks) / len(qs):.4f}")
    if args.drop:
        for r in final:
            print(f"  drop {r['anchor']}: {r['alias']}  (misroutes: {'; '.join(q[:70] for q in r['misrouted'])})")
        for r in kept:
            print(f"  keep {r['anchor']}: {r['alias']}")
    if args.json:
        args.json.write_text(json.dumps({"questions": len(qs), "mrr": sum(base) / len(qs), "aliases": rows,
                                         "drop": [[r["anchor"], r["alias"]] for r in final],
                                         "mrr_after": sum(final_ranks) / len(qs)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
