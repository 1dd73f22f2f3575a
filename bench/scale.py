"""Scale benchmark: a synthetic corpus of 10,000 passages on the embedded store, then on a Chroma server.

Writes 200 memo-like Markdown files (50 numbered sections each, one passage per section) to a
temporary folder, and for each store, in a fresh data folder and a fresh process:

* a cold ingest of the bundled corpus plus the 200 files (reading, splitting, embedding, storing):
  passages per second; and the model alone on 1,000 of those passages (nothing but ``Embedder.encode``):
  the most passages per second an ingest could reach on this machine;
* an incremental ingest after one file changed (50 passages embedded, every other vector carried
  over and written to the new build): what the store itself costs at this size;
* loading the index, then 100 warm questions through ``Assistant.ask`` (half about the guidelines,
  half about the synthetic memos): p50 / p95 / max, and the same for the bare Chroma top-20 query;
* the peak resident memory of the process, and of the Chroma server.

The server is ``chroma run`` on a free loopback port in the temporary folder, started and stopped
by this script. Run it on a quiet machine (load average < 2; the script waits up to ``--wait`` s):

    .venv/bin/python bench/scale.py [--docs 200] [--sections 50] [--queries 100] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from assistant.evals import data_dir

SETS = data_dir("sets")

REPO = Path(__file__).resolve().parent.parent

DEPARTMENTS = ["Parking Authority", "Water Board", "Transit Office", "Housing Bureau", "Library Service", "Parks Department",
               "Fire Marshal", "Health Inspectorate", "Licensing Office", "Records Division", "Sanitation Unit", "Harbor Office"]
SUBJECTS = ["permit renewals", "meter maintenance", "tenant complaints", "noise ordinances", "street closures", "late fees",
            "inspection schedules", "vendor contracts", "overtime approvals", "data retention", "public hearings",
            "emergency repairs", "snow removal", "signage standards", "fee waivers", "appeal deadlines", "records requests",
            "training hours", "equipment inventories", "grant reporting", "safety drills", "complaint backlogs"]
VERBS = ["must review", "should document", "may waive", "will publish", "shall report", "must approve", "should schedule",
         "may delegate", "will audit", "shall notify"]
OBJECTS = ["each request within ten business days", "the quarterly summary for the director", "any fee under fifty dollars",
           "the revised schedule on the public website", "every incident to the supervising officer",
           "contracts above the purchasing threshold", "inspections in the first week of each month",
           "routine approvals to the deputy", "overtime records twice a year", "residents before any closure takes effect"]
REASONS = ["so that residents can plan ahead", "because the council asked for consistent practice",
           "to reduce the backlog of open cases", "since the previous rule caused confusion",
           "in line with the state records law", "to keep costs within the annual budget",
           "so that staff apply the same standard in every district", "after the audit found gaps in the files"]


def make_corpus(folder: Path, docs: int, sections: int, seed: int = 7) -> int:
    """Write ``docs`` memo-like Markdown files of ``sections`` sections each; returns the number of sections."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(docs):
        dept = DEPARTMENTS[d % len(DEPARTMENTS)]
        lines = [f"# Memorandum {d + 1}: {dept} operating guidance", ""]
        for s in range(sections):
            subject = rng.choice(SUBJECTS)
            lines += [f"## {s + 1}. {subject.capitalize()} (memo {d + 1}, part {s + 1})", ""]
            sentences = [
                f"The {dept} {rng.choice(VERBS)} {rng.choice(OBJECTS)} for {subject} in district {rng.randint(1, 40)}, "
                f"{rng.choice(REASONS)}."
                for _ in range(rng.randint(3, 5))
            ]
            sentences.append(f"This rule, number {d + 1}.{s + 1}, takes effect on day {rng.randint(1, 365)} of the fiscal year.")
            lines += [" ".join(sentences), ""]
        (folder / f"memo-{d + 1:03d}.md").write_text("\n".join(lines), encoding="utf-8")
    return docs * sections


def queries(n: int, seed: int = 11) -> list[str]:
    """Half questions about the guidelines (the dev set), half about the synthetic memos."""
    import yaml

    items = yaml.safe_load((SETS / "dev-questions.yaml").read_text(encoding="utf-8"))["items"]
    about_guidelines = [i["question"] for i in items][: n // 2]
    rng = random.Random(seed)
    about_memos = [f"What must the {rng.choice(DEPARTMENTS)} do about {rng.choice(SUBJECTS)}?" for _ in range(n - len(about_guidelines))]
    return [q for pair in itertools.zip_longest(about_guidelines, about_memos) for q in pair if q is not None]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _summary(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1), "max": round(max(ms), 1)}


# --- one store, in a child process ----------------------------------------------------------------


def measure(corpus: Path, data: Path, n_queries: int, host: str | None, port: int | None) -> dict:
    """Ingest, re-ingest after one change, load, and time warm queries; run in a fresh process."""
    sys.path.insert(0, str(REPO))
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.index.embed import load_embedder
    from assistant.index.ingest import ingest

    settings = Settings.load()
    settings.paths.data_dir = data
    settings.store.chroma_host = host
    if port:
        settings.store.chroma_port = port
    started = time.perf_counter()
    embedder = load_embedder(settings)
    model_s = time.perf_counter() - started
    cold = ingest(settings, [corpus], embedder=embedder)

    floor = embedding_floor(settings, embedder)

    changed = sorted(corpus.glob("*.md"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("district", "ward"), encoding="utf-8")
    again = ingest(settings, [corpus], embedder=embedder)

    started = time.perf_counter()
    assistant = Assistant(settings)
    index = assistant.index
    load_s = time.perf_counter() - started
    qs = queries(n_queries)
    for q in qs[:5]:  # warm-up: first-call costs (tokenizer, query plans, HTTP connections)
        assistant.ask(q)
    ask_ms, knn_ms, refused = [], [], 0
    for q in qs:
        t = time.perf_counter()
        answer = assistant.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        refused += answer.refused
        vector = embedder.embed_query(q)
        t = time.perf_counter()
        index.nearest(vector, 20)
        knn_ms.append((time.perf_counter() - t) * 1000)
    return {
        "store": "server" if host else "embedded",
        "passages": cold.passages,
        "documents": len(cold.documents),
        "model_load_s": round(model_s, 2),
        "ingest_s": round(cold.seconds, 2),
        "ingest_passages_per_s": round(cold.passages / cold.seconds, 1),
        "embedding_floor": floor,
        "reingest_one_changed_s": round(again.seconds, 2),
        "reingest_embedded": again.embedded,
        "reingest_passages_per_s": round(again.passages / again.seconds, 1),
        "index_load_s": round(load_s, 2),
        "ask_ms": _summary(ask_ms),
        "chroma_top20_ms": _summary(knn_ms),
        "refused": refused,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def embedding_floor(settings, embedder, sample: int = 1000) -> dict:
    """The model alone on passages of the index just built: how many passages a second no ingest can beat.

    A spread sample of the passages' embedded texts goes through ``Embedder.encode`` as an ingest sends them
    (sorted by length, in batches, every core), with nothing else: no reading, splitting, hashing or storing.
    The work is the transformer's: about 2 x 10.6 million multiply-adds per token (6 layers of 384 x 384
    attention projections and 384 x 1536 feed-forward), so GFLOP/s = tokens x 21.2e6 / seconds.
    """
    from assistant.index import store
    from assistant.index.text import embed_text

    build = store.index_dir(settings) / store.BUILDS / str(store.current_build_id(store.index_dir(settings)))
    texts = [embed_text(p) for p in store.read_passages(build)]
    texts = texts[:: max(1, len(texts) // sample)][:sample]
    encoder = getattr(embedder.encoder, "_tokenizer", None)
    tokens = sum(len(e.ids) - e.attention_mask.count(0) for e in encoder.encode_batch(texts)) if encoder else None
    started, cpu = time.perf_counter(), time.process_time()
    embedder.encode(texts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    out = {"passages": len(texts), "seconds": round(seconds, 2), "passages_per_s": round(len(texts) / seconds, 1),
           "cpu_ms_per_passage": round(cpu / len(texts) * 1000, 1), "batch_size": embedder.batch_size}
    if tokens:
        out["tokens_per_passage"] = round(tokens / len(texts), 1)
        out["gflop_per_s"] = round(tokens * 21.2e6 / seconds / 1e9, 1)
    return out


def _child(corpus: Path, data: Path, n_queries: int, host: str | None = None, port: int | None = None) -> dict:
    args = [sys.executable, __file__, "--child", str(corpus), str(data), str(n_queries)]
    if host:
        args += [host, str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUIDANCE_")}
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"the {'server' if host else 'embedded'} run failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the Chroma server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, int]:
    """``chroma run`` on a free loopback port; returns the process and the port once it answers."""
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("the Chroma server did not start") from None
            time.sleep(0.2)


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident memory of a running process (Linux /proc), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def wait_quiet(limit: float, wait_s: int) -> float:
    """Wait (up to ``wait_s``) for the 1-minute load average to fall below ``limit``; returns it."""
    deadline = time.monotonic() + wait_s
    load = os.getloadavg()[0]
    while load >= limit and time.monotonic() < deadline:
        print(f"load average {load:.2f} >= {limit}: waiting for a quiet machine ...", file=sys.stderr)
        time.sleep(15)
        load = os.getloadavg()[0]
    return load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="synthetic documents (default 200)")
    parser.add_argument("--sections", type=int, default=50, help="sections, i.e. passages, per document (default 50)")
    parser.add_argument("--queries", type=int, default=100, help="warm questions per store (default 100)")
    parser.add_argument("--wait", type=int, default=600, help="seconds to wait for load average < 2 (default 600)")
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        corpus, data, n = Path(args.child[0]), Path(args.child[1]), int(args.child[2])
        host, port = (args.child[3], int(args.child[4])) if len(args.child) > 3 else (None, None)
        print(json.dumps(measure(corpus, data, n, host, port)))
        return 0

    load_before = wait_quiet(2.0, args.wait)
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_before": round(load_before, 2)},
                     "corpus": {"documents": args.docs, "sections_per_document": args.sections}}
    with tempfile.TemporaryDirectory(prefix="guidance-scale-") as tmp:
        root = Path(tmp)
        results["corpus"]["synthetic_passages"] = make_corpus(root / "corpus-embedded", args.docs, args.sections)
        make_corpus(root / "corpus-server", args.docs, args.sections)  # the runs change one file each
        results["corpus"]["mb"] = _folder_mb(root / "corpus-embedded")

        embedded = _child(root / "corpus-embedded", root / "data-embedded", args.queries)
        embedded["index_mb"] = _folder_mb(root / "data-embedded" / "index")
        results["embedded"] = embedded

        server, port = start_server(root / "chroma-server")
        try:
            remote = _child(root / "corpus-server", root / "data-server", args.queries, "127.0.0.1", port)
            remote["server_peak_rss_mb"] = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        remote["index_mb"] = _folder_mb(root / "data-server" / "index")
        remote["server_data_mb"] = _folder_mb(root / "chroma-server")
        results["server"] = remote
    results["machine"]["load_after"] = round(os.getloadavg()[0], 2)

    text = json.dumps(results, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
        return 0
    rows = [
        ("passages in the index", "passages", "{}"),
        ("cold ingest (s)", "ingest_s", "{}"),
        ("cold ingest (passages/s)", "ingest_passages_per_s", "{}"),
        ("model alone (passages/s)", "embedding_floor", "{passages_per_s}"),
        ("model alone (ms CPU/passage)", "embedding_floor", "{cpu_ms_per_passage}"),
        ("re-ingest, 1 file changed (s)", "reingest_one_changed_s", "{}"),
        ("re-ingest (passages/s)", "reingest_passages_per_s", "{}"),
        ("index load (s)", "index_load_s", "{}"),
        ("warm ask p50 / p95 (ms)", "ask_ms", "{p50} / {p95}"),
        ("Chroma top-20 p50 / p95 (ms)", "chroma_top20_ms", "{p50} / {p95}"),
        ("peak RSS, assistant (MB)", "peak_rss_mb", "{}"),
        ("peak RSS, Chroma server (MB)", "server_peak_rss_mb", "{}"),
        ("index on disk (MB)", "index_mb", "{}"),
    ]
    print(f"{'':34}{'embedded':>16}{'server':>16}")
    for label, key, fmt in rows:
        cells = []
        for run in (results["embedded"], results["server"]):
            value = run.get(key)
            cells.append("-" if value is None else fmt.format(**value) if isinstance(value, dict) else fmt.format(value))
        print(f"{label:34}{cells[0]:>16}{cells[1]:>16}")
    print(f"\n{results['corpus']['synthetic_passages']} synthetic passages in {args.docs} files; {args.queries} warm "
          f"questions per store; {os.cpu_count()} CPUs; load average {results['machine']['load_before']} before, "
          f"{results['machine']['load_after']} after.\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
