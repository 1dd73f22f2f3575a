"""Evaluation runs: every item of a set through the assistant (and the baselines), scored and reported.

``run_set`` answers each question item (the full Answer JSON of CONTRACTS section 2) and analyzes
each case item (``parse_case`` + ``analyze`` + ``check_analysis``, CONTRACTS section 4), checks
every expectation, times every item, and writes ``results.json``, ``report.md`` and
``report.html``. The metric definitions are in ``metrics.py`` (``DEFINITIONS``) and are copied into
every report. ``compare_runs`` diffs two runs; ``check_bounds`` (in ``metrics``) enforces
``--fail-under`` bounds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from . import metrics as m
from .errors import InputError
from .evalset import CaseItem, EvalSet, QuestionItem, load_set, manifest_anchors

if TYPE_CHECKING:
    from .config import Settings
    from .index import Index
    from .types import Answer

RESULTS_FORMAT = "guidance-eval/1"
SYSTEM = "assistant"


@dataclass
class Observed:
    """What a system returned for one question: its answer, ranked anchors and cited anchors."""

    answer: Answer
    ranking: list[list[str]]  # anchors carried by each retrieved position, best first
    cited: list[str | None]  # the anchors the answer cites

    @classmethod
    def of(cls, answer: Answer) -> Observed:
        """The observation of one of our answers: one anchor per retrieved passage and per citation."""
        return cls(answer, [[r.anchor] if r.anchor else [] for r in answer.retrieved], [c.anchor for c in answer.citations])


Answerer = Callable[[QuestionItem], Observed]


class RunResult(BaseModel):
    """What ``run_set`` returns: where it wrote, the summary metrics of each system, how long it took."""

    out_dir: str
    set_name: str
    items: int
    metrics: dict[str, float | None]
    baselines: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    failed: list[str] = Field(default_factory=list, description="Ids of the items with a failed expectation.")
    seconds: float
    files: list[str]


# --- scoring --------------------------------------------------------------------------------------


def _expectation(name: str, expected: Any, actual: Any, passed: bool) -> dict[str, Any]:
    return {"name": name, "expected": expected, "actual": actual, "passed": bool(passed)}


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def primary_anchor(item: QuestionItem) -> str:
    """The anchor an item is reported under: the first of anchors_any; 'list: <family>*' for a list question."""
    e = item.expect
    if item.kind == "list":
        fam = m.family(e.anchors_all[0])
        return f"list: {fam}*" if fam.endswith(".") else f"list: {fam}"
    return (e.anchors_any or e.anchors_all)[0]


def score_question(item: QuestionItem, seen: Observed, index: Index, ms: float) -> dict[str, Any]:
    """The record of one question item: its answer, expectations, label, retrieval scores and time."""
    from .check import check_citation

    answer, e = seen.answer, item.expect
    valid = [not check_citation(c, index.texts, index.passages) for c in answer.citations]
    cited = _unique(seen.cited)
    expectations = [_expectation("refused", item.should_refuse, answer.refused, item.should_refuse == answer.refused)]
    if e.anchors_any:
        expectations.append(_expectation("anchors_any", e.anchors_any, cited, any(a in e.anchors_any for a in cited)))
    if e.anchors_all:
        expectations.append(_expectation("anchors_all", e.anchors_all, cited, set(e.anchors_all) <= set(cited)))
    label, reason = m.classify_answer(m.AnswerFacts(
        should_refuse=item.should_refuse, refused=answer.refused, cited=tuple(seen.cited), citations_valid=tuple(valid),
        anchors_any=tuple(e.anchors_any), anchors_all=tuple(e.anchors_all), anchors_ok=tuple(e.anchors_ok),
        is_list=item.kind == "list",
    ))
    relevant, needed = m.relevance_set(e.anchors_any, e.anchors_all, item.kind == "list")
    retrieval = None
    if relevant:
        retrieval = {
            "relevant": sorted(relevant), "needed": needed, "primary_anchor": primary_anchor(item),
            "ranking": seen.ranking, **m.retrieval_scores(seen.ranking, relevant, needed),
        }
    return {
        "id": item.id, "type": "question", "kind": item.kind, "question": item.question,
        "expect": e.model_dump(exclude_defaults=True), "output": answer.model_dump(mode="json"),
        "expectations": expectations, "passed": all(x["passed"] for x in expectations),
        "should_refuse": item.should_refuse, "refused": answer.refused, "label": label, "label_reason": reason,
        "citations": {"total": len(valid), "valid": sum(valid), "anchors": cited}, "retrieval": retrieval,
        "ms": round(ms, 3),
    }


def score_case(item: CaseItem, analysis: Any, index: Index, ms: float) -> dict[str, Any]:
    """The record of one case item: its analysis, expectations, factor counts and time."""
    from .check import check_citation

    e = item.expect
    found = {p.id: p.finding for p in analysis.priorities}
    expectations = [
        _expectation(f"priorities.{pid}", want, found.get(pid), found.get(pid) == want) for pid, want in (e.priorities or {}).items()
    ]
    factors = {}
    for group in ("aggravating", "mitigating"):
        want = getattr(e, group)
        if want is None:
            continue
        got = [f.id for f in getattr(analysis, group)]
        expectations.append(_expectation(group, sorted(want), sorted(got), set(want) == set(got)))
        factors[group] = dict(zip(("tp", "found", "expected"), m.set_overlap(got, want)))
    status = analysis.framework.status_on_assessed_date
    if e.framework_status is not None:
        expectations.append(_expectation("framework_status", e.framework_status, status, status == e.framework_status))
    citations = [c for p in analysis.priorities for c in p.citations] + [
        c for f in analysis.aggravating + analysis.mitigating for c in f.citations
    ]
    valid = [not check_citation(c, index.texts, index.passages) for c in citations]
    return {
        "id": item.id, "type": "case", "kind": "case", "case_id": analysis.case_id,
        "source": item.case_file or "inline", "expect": e.model_dump(exclude_defaults=True, mode="json"),
        "output": analysis.model_dump(mode="json"), "expectations": expectations,
        "passed": all(x["passed"] for x in expectations), "factors": factors, "check_passed": analysis.check.passed,
        "citations": {"total": len(valid), "valid": sum(valid)}, "ms": round(ms, 3),
    }


# --- summary --------------------------------------------------------------------------------------


def _retrieval_means(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    keys = [f"recall@{k}" for k in m.KS] + ["mrr", f"ndcg@{m.NDCG_K}"]
    return {k: m.mean([r["retrieval"][k] for r in rows]) for k in keys}


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary metrics, counts and breakdowns of one system's item records."""
    questions = [r for r in records if r["type"] == "question"]
    cases = [r for r in records if r["type"] == "case"]
    ranked = [r for r in questions if r.get("retrieval")]
    out: dict[str, float | None] = dict(_retrieval_means(ranked))
    out.update(m.answer_metrics([r["label"] for r in questions], [not r["refused"] for r in questions]))
    out.update(m.refusal_metrics(m.refusal_counts((r["should_refuse"], r["refused"]) for r in questions)))
    oos = [r for r in questions if r["kind"] == "out_of_scope"]
    out["oos_refusal_accuracy"] = m.ratio(sum(r["refused"] for r in oos), len(oos))
    cites = [r["citations"] for r in records]
    out["citation_validity"] = m.ratio(sum(c["valid"] for c in cites), sum(c["total"] for c in cites))
    findings = [x for r in cases for x in r["expectations"] if x["name"].startswith("priorities.")]
    out["case_finding_accuracy"] = m.ratio(sum(x["passed"] for x in findings), len(findings))
    for pid in ("national_security", "public_safety", "border_security"):
        these = [x for x in findings if x["name"] == f"priorities.{pid}"]
        out[f"finding_accuracy.{pid}"] = m.ratio(sum(x["passed"] for x in these), len(these))
    triples = [tuple(g.values()) for r in cases for g in r["factors"].values()]
    out["factor_precision"], out["factor_recall"] = m.micro_precision_recall(triples)  # type: ignore[arg-type]
    statuses = [x for r in cases for x in r["expectations"] if x["name"] == "framework_status"]
    out["status_accuracy"] = m.ratio(sum(x["passed"] for x in statuses), len(statuses))
    out["case_check_pass_rate"] = m.ratio(sum(r["check_passed"] for r in cases), len(cases))
    out["item_pass_rate"] = m.ratio(sum(r["passed"] for r in records), len(records))
    times = [r["ms"] for r in records]
    out["latency_p50_ms"], out["latency_p95_ms"] = m.percentile(times, 50), m.percentile(times, 95)

    by_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted({r["kind"] for r in questions}):
        rows = [r for r in questions if r["kind"] == kind]
        by_kind[kind] = {"n": len(rows), **{label: sum(r["label"] == label for r in rows) for label in m.LABELS},
                         "passed": sum(r["passed"] for r in rows), "refused": sum(r["refused"] for r in rows),
                         "recall@5": m.mean([r["retrieval"]["recall@5"] for r in rows if r.get("retrieval")])}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in ranked:
        groups[r["retrieval"]["primary_anchor"]].append(r)
    by_anchor = {a: {"n": len(rows), **_retrieval_means(rows)} for a, rows in sorted(groups.items())}
    reasons: dict[str, int] = defaultdict(int)
    for r in questions:
        reasons[f"{r['label']}: {r['label_reason'].split(':')[0]}"] += 1
    latency = {
        name: {"n": len(ts), "p50": m.percentile(ts, 50), "p95": m.percentile(ts, 95), "max": max(ts, default=None)}
        for name, ts in (("all", times), ("question", [r["ms"] for r in questions]), ("case", [r["ms"] for r in cases]))
    }
    counts = {
        "items": len(records), "questions": len(questions), "cases": len(cases), "ranked": len(ranked),
        "answered": sum(not r["refused"] for r in questions), "refused": sum(r["refused"] for r in questions),
        "out_of_scope": len(oos), "citations": sum(c["total"] for c in cites), "passed": sum(r["passed"] for r in records),
        **{label: sum(r["label"] == label for r in questions) for label in m.LABELS},
    }
    return {"metrics": out, "counts": counts, "by_kind": by_kind, "by_anchor": by_anchor,
            "label_reasons": dict(sorted(reasons.items())), "latency": latency}


# --- running --------------------------------------------------------------------------------------


def corpus_hash(texts: dict[str, str]) -> str:
    """sha256 of the indexed documents' canonical texts, in doc_id order."""
    digest = hashlib.sha256()
    for doc_id in sorted(texts):
        digest.update(doc_id.encode() + b"\0" + texts[doc_id].encode() + b"\0")
    return digest.hexdigest()


def settings_sha256(settings: Settings) -> str:
    """sha256 of every setting that can change a result (all but where files live and the store's address)."""
    data = settings.model_dump(mode="json", exclude={"paths", "store"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


Progress = Callable[[int, int, str], None]
"""``on_progress(done, total, label)``: called after every item (the app draws its bar with it)."""


class _Bar:
    """A tqdm bar on stderr that also reports to an ``on_progress`` callback."""

    def __init__(self, total: int, desc: str, progress: bool, on_progress: Progress | None = None):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="item", file=sys.stderr, disable=not progress, leave=False)
        self.total, self.desc, self.done, self.on_progress = total, desc, 0, on_progress

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def update(self, n: int = 1) -> None:
        self.done += n
        self.bar.update(n)
        if self.on_progress is not None:
            self.on_progress(self.done, self.total, self.desc)


def run_questions(
    evalset: EvalSet, answer: Answerer, index: Index, desc: str, progress: bool, on_progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Score every question item of the set with one answering system."""
    records = []
    with _Bar(len(evalset.questions), desc, progress, on_progress) as bar:
        for item in evalset.questions:
            start = time.perf_counter()
            seen = answer(item)
            records.append(score_question(item, seen, index, (time.perf_counter() - start) * 1000))
            bar.update(1)
    return records


def _run_assistant(
    evalset: EvalSet, settings: Settings, assistant: Any, progress: bool, on_progress: Progress | None = None
) -> list[dict[str, Any]]:
    from .analysis import analyze
    from .case import parse_case
    from .check import check_analysis

    index = assistant.index
    records: dict[str, dict[str, Any]] = {}
    ask = lambda q: Observed.of(assistant.ask(q.question, as_of=q.as_of, k=q.k))  # noqa: E731
    for r in run_questions(evalset, ask, index, SYSTEM, progress, on_progress):
        records[r["id"]] = r
    cases = [i for i in evalset.items if isinstance(i, CaseItem)]
    with _Bar(len(cases), "cases", progress, on_progress) as bar:
        for item in cases:
            start = time.perf_counter()
            case = evalset.cases[item.id]
            if item.as_of is not None and item.as_of != case.assessed_on:
                case = parse_case({**case.model_dump(mode="python"), "assessed_on": item.as_of}, f"item '{item.id}' as of {item.as_of}")
            analysis = analyze(case, index, settings)
            analysis.check = check_analysis(analysis, index, case=case, settings=settings)
            records[item.id] = score_case(item, analysis, index, (time.perf_counter() - start) * 1000)
            bar.update(1)
    return [records[i.id] for i in evalset.items]


def _validate_questions(evalset: EvalSet, settings: Settings) -> None:
    from .answer import validate_question

    for item in evalset.questions:
        try:
            validate_question(item.question, settings)
        except InputError as exc:
            raise InputError(f"set {evalset.path}: item '{item.id}': {exc}") from None


def default_out_dir(set_name: str, now: dt.datetime | None = None) -> Path:
    """evals/runs/<set name>-<local timestamp>, relative to the working directory."""
    return Path("evals") / "runs" / f"{set_name}-{(now or dt.datetime.now()).strftime('%Y%m%d-%H%M%S')}"


def run_set(
    path: Path | str,
    settings: Settings,
    out_dir: Path | str | None = None,
    baselines: bool = False,
    progress: bool = True,
    on_progress: Progress | None = None,
    assistant: Any = None,
) -> RunResult:
    """Run every item of the set at ``path``; write results.json, report.md and report.html to ``out_dir``.

    ``out_dir`` defaults to ``default_out_dir(set name)``. A malformed set raises InputError before anything runs.
    ``on_progress(done, total, label)`` is called after every item of every system. ``assistant``: an
    already-loaded ``api.Assistant`` to reuse (the app's shared one); by default one is loaded.
    """
    from .api import Assistant
    from .eval_report import render_html, render_markdown

    started = time.perf_counter()
    evalset = load_set(path, manifest_anchors(settings.paths.corpus_dir))
    _validate_questions(evalset, settings)
    assistant = assistant or Assistant(settings)
    index = assistant.index
    records = _run_assistant(evalset, settings, assistant, progress, on_progress)
    systems = {SYSTEM: {"description": "the assistant (hybrid retrieval, extractive composer, checker)",
                        **summarize(records), "items": records}}
    if baselines:
        from .baselines import make_baselines

        for baseline in make_baselines(index, settings):
            with baseline:
                rows = run_questions(evalset, baseline.answer, index, baseline.name, progress, on_progress)
            systems[baseline.name] = {"description": baseline.description, **summarize(rows), "items": rows}
    out = Path(out_dir) if out_dir is not None else default_out_dir(evalset.name)
    out.mkdir(parents=True, exist_ok=True)
    results = {
        "format": RESULTS_FORMAT,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "set": {"name": evalset.name, "description": evalset.description, "path": str(path), "sha256": evalset.sha256,
                "items": len(evalset.items), "questions": len(evalset.questions),
                "cases": len(evalset.items) - len(evalset.questions)},
        "settings": settings.model_dump(mode="json"),
        "settings_hash": settings.settings_hash(),
        "settings_sha256": settings_sha256(settings),
        "corpus_hash": corpus_hash(index.texts),
        "index": {"build_id": index.info.build_id, "embedding_model": index.info.embedding_model,
                  "chunker_version": index.info.chunker_version, "passages": len(index.passages)},
        "seconds": round(time.perf_counter() - started, 3),
        "metrics": systems[SYSTEM]["metrics"],
        "systems": systems,
        "definitions": m.DEFINITIONS,
    }
    files = [out / "results.json", out / "report.md", out / "report.html"]
    files[0].write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    files[1].write_text(render_markdown(results), encoding="utf-8")
    files[2].write_text(render_html(results), encoding="utf-8")
    result = RunResult(
        out_dir=str(out), set_name=evalset.name, items=len(records), metrics=results["metrics"],
        baselines={name: s["metrics"] for name, s in systems.items() if name != SYSTEM},
        failed=[r["id"] for r in records if not r["passed"]], seconds=results["seconds"], files=[str(f) for f in files],
    )
    from . import audit

    audit.record_evaluation(settings, result, path)
    return result


# --- comparing ------------------------------------------------------------------------------------


class MetricDelta(BaseModel):
    """One metric in two runs."""

    metric: str
    a: float | None
    b: float | None
    delta: float | None
    gated: bool
    worse: bool


class Comparison(BaseModel):
    """Two runs side by side: metric deltas, items that flipped, and whether B regressed."""

    run_a: str
    run_b: str
    same_set: bool
    same_corpus: bool
    same_settings: bool
    deltas: list[MetricDelta]
    newly_failing: list[str] = Field(description="Items that passed in A and fail in B.")
    newly_passing: list[str] = Field(description="Items that failed in A and pass in B.")
    only_in_a: list[str] = Field(default_factory=list)
    only_in_b: list[str] = Field(default_factory=list)
    regression: bool = Field(description="A gated metric is worse in B (latency beyond its slack).")

    @property
    def regressions(self) -> list[MetricDelta]:
        """The gated metrics that got worse."""
        return [d for d in self.deltas if d.gated and d.worse]


def read_results(run: Path | str) -> dict[str, Any]:
    """The results.json of a run folder (or the file itself)."""
    path = Path(run)
    if path.is_dir():
        path = path / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist; give a run folder written by `guidance eval run`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise InputError(f"{path} is not the results.json of `guidance eval run` (it has no metrics)")
    return data


def compare_runs(run_a_dir: Path | str, run_b_dir: Path | str, ignore: Iterable[str] = ()) -> Comparison:
    """Compare run B with run A: metric deltas, pass/fail flips, and whether a gated metric (not ignored) got worse."""
    a, b = read_results(run_a_dir), read_results(run_b_dir)
    ignored = set(ignore)
    unknown = sorted(ignored - set(m.METRIC_NAMES))
    if unknown:
        raise InputError(f"unknown metric(s) {', '.join(unknown)}; known metrics: {', '.join(m.METRIC_NAMES)}")
    names = [n for n in m.METRIC_NAMES if n in a["metrics"] or n in b["metrics"]]
    deltas = []
    for name in names:
        x, y = a["metrics"].get(name), b["metrics"].get(name)
        deltas.append(MetricDelta(
            metric=name, a=x, b=y, delta=None if x is None or y is None else y - x, gated=name in m.GATED and name not in ignored,
            worse=m.worse(name, x, y),
        ))

    def passed(results: dict[str, Any]) -> dict[str, bool]:
        items = results.get("systems", {}).get(SYSTEM, {}).get("items", [])
        return {r["id"]: bool(r["passed"]) for r in items}

    pa, pb = passed(a), passed(b)
    common = [i for i in pa if i in pb]
    return Comparison(
        run_a=str(run_a_dir), run_b=str(run_b_dir),
        same_set=a.get("set", {}).get("sha256") == b.get("set", {}).get("sha256"),
        same_corpus=a.get("corpus_hash") == b.get("corpus_hash"),
        same_settings=a.get("settings_sha256") == b.get("settings_sha256"),
        deltas=deltas,
        newly_failing=[i for i in common if pa[i] and not pb[i]],
        newly_passing=[i for i in common if not pa[i] and pb[i]],
        only_in_a=[i for i in pa if i not in pb], only_in_b=[i for i in pb if i not in pa],
        regression=any(d.gated and d.worse for d in deltas),
    )
