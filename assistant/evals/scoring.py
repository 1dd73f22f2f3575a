"""Scoring: one item's output against its expectations, and one system's results summed up.

``score_question`` and ``score_case`` turn an answer or an analysis into a typed result (every
expectation with pass or fail, the answer label, retrieval scores, the time); ``summarize`` gives
the summary metrics and breakdowns of one system. Every number comes from ``metrics``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from assistant.check.citations import check_citation

from . import metrics as m
from .results import (
    CaseResult,
    CitationCounts,
    Expectation,
    KindSummary,
    LatencySummary,
    Observed,
    QuestionResult,
    RetrievalScores,
    SystemSummary,
)
from .sets import CaseItem, QuestionItem

if TYPE_CHECKING:
    from assistant.corpus.passages import PassageSet
    from assistant.types import Answer, FactorAnalysis


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def primary_anchor(item: QuestionItem) -> str:
    """The anchor an item is reported under: the first of anchors_any; 'list: <family>*' for a list question."""
    e = item.expect
    if item.kind == "list" and e.anchors_all:
        fam = m.family(e.anchors_all[0])
        return f"list: {fam}*" if fam.endswith(".") else f"list: {fam}"
    return (e.anchors_any or e.anchors_all)[0]


def score_question(item: QuestionItem, seen: Observed, source: PassageSet, ms: float) -> QuestionResult:
    """The result of one question item: its answer, expectations, label, retrieval scores and time."""
    answer, e = seen.answer, item.expect
    valid = [not check_citation(c, source.texts, source.passages, metas=source.metas) for c in answer.citations]
    cited = _unique(seen.cited)
    expectations = [Expectation(name="refused", expected=item.should_refuse, actual=answer.refused,
                                passed=item.should_refuse == answer.refused)]
    if e.anchors_any:
        expectations.append(Expectation(name="anchors_any", expected=e.anchors_any, actual=cited,
                                        passed=any(a in e.anchors_any for a in cited)))
    if e.anchors_all:
        expectations.append(Expectation(name="anchors_all", expected=e.anchors_all, actual=cited,
                                        passed=set(e.anchors_all) <= set(cited)))
    expectations += _understanding_expectations(item, answer)
    hits, quoted = m.focus_hits(item.question, [c.quote for c in answer.citations]) if not answer.refused else (0, 0)
    label, reason = m.classify_answer(m.AnswerFacts(
        should_refuse=item.should_refuse, refused=answer.refused, cited=tuple(seen.cited), citations_valid=tuple(valid),
        anchors_any=tuple(e.anchors_any), anchors_all=tuple(e.anchors_all), anchors_ok=tuple(e.anchors_ok),
        is_list=item.kind == "list",
    ))
    relevant, needed = m.relevance_set(e.anchors_any, e.anchors_all, item.kind == "list")
    retrieval = None
    if relevant:
        retrieval = RetrievalScores.model_validate({
            "relevant": sorted(relevant), "needed": needed, "primary_anchor": primary_anchor(item),
            "ranking": seen.ranking, **m.retrieval_scores(seen.ranking, relevant, needed),
        })
    return QuestionResult(
        id=item.id, kind=item.kind, question=item.question, turns=list(item.turns),
        expect=e.model_dump(exclude_defaults=True), output=answer.model_dump(mode="json"),
        expectations=expectations, passed=all(x.passed for x in expectations),
        should_refuse=item.should_refuse, refused=answer.refused, label=label, label_reason=reason,
        citations=CitationCounts(total=len(valid), valid=sum(valid), anchors=cited), retrieval=retrieval,
        focus_hits=hits, focus_quoted=quoted, ms=round(ms, 3),
    )


def _understanding_expectations(item: QuestionItem, answer: Answer) -> list[Expectation]:
    """The expectations of question understanding: premise, status on a named date, parts, memo hint, related."""
    e, out = item.expect, []
    if e.premise_corrected is not None:
        out.append(Expectation(name="premise_corrected", expected=e.premise_corrected, actual=answer.premise_corrected,
                               passed=answer.premise_corrected == e.premise_corrected))
    if e.status is not None:
        state = answer.status.state if answer.status else None
        out.append(Expectation(name="status", expected=e.status, actual=state, passed=state == e.status))
    if e.memo_hint is not None:
        out.append(Expectation(name="memo_hint", expected=e.memo_hint, actual=answer.memo_hint, passed=answer.memo_hint == e.memo_hint))
    if e.related_any:
        related = _unique(c.anchor for c in answer.related)
        out.append(Expectation(name="related_any", expected=e.related_any, actual=related,
                               passed=any(a in e.related_any for a in related)))
    for i, want in enumerate(e.parts or []):
        part = answer.parts[i] if i < len(answer.parts) else None
        if part is None:
            out.append(Expectation(name=f"parts[{i}]", expected=want.model_dump(exclude_defaults=True), actual=None, passed=False))
            continue
        anchors = _unique(answer.citations[n - 1].anchor for n in part.citations if 0 < n <= len(answer.citations))
        passed = part.refused if want.refused else (not part.refused and any(a in want.anchors_any for a in anchors))
        actual = "refused" if part.refused else anchors
        out.append(Expectation(name=f"parts[{i}]", expected=want.model_dump(exclude_defaults=True), actual=actual, passed=passed))
    return out


def score_case(item: CaseItem, analysis: FactorAnalysis, source: PassageSet, ms: float) -> CaseResult:
    """The result of one case item: its analysis, expectations, factor counts and time."""
    e = item.expect
    found = {p.id: p.finding for p in analysis.priorities}
    expectations = [
        Expectation(name=f"priorities.{pid}", expected=want, actual=found.get(pid), passed=found.get(pid) == want)
        for pid, want in (e.priorities or {}).items()
    ]
    factors = {}
    for group in ("aggravating", "mitigating"):
        want = getattr(e, group)
        if want is None:
            continue
        got = [f.id for f in getattr(analysis, group)]
        expectations.append(Expectation(name=group, expected=sorted(want), actual=sorted(got), passed=set(want) == set(got)))
        factors[group] = dict(zip(("tp", "found", "expected"), m.set_overlap(got, want)))
    status = analysis.framework.status_on_assessed_date
    if e.framework_status is not None:
        expectations.append(Expectation(name="framework_status", expected=e.framework_status, actual=status,
                                        passed=status == e.framework_status))
    citations = [c for p in analysis.priorities for c in p.citations] + [
        c for f in analysis.aggravating + analysis.mitigating for c in f.citations
    ]
    valid = [not check_citation(c, source.texts, source.passages, metas=source.metas) for c in citations]
    return CaseResult(
        id=item.id, case_id=analysis.case_id, source=item.case_file or "inline",
        expect=e.model_dump(exclude_defaults=True, mode="json"), output=analysis.model_dump(mode="json"),
        expectations=expectations, passed=all(x.passed for x in expectations), factors=factors,
        check_passed=analysis.check.passed, citations=CitationCounts(total=len(valid), valid=sum(valid)), ms=round(ms, 3),
    )


# --- summary --------------------------------------------------------------------------------------


def _retrieval_means(rows: list[QuestionResult]) -> dict[str, float | None]:
    scores = [r.retrieval.model_dump(by_alias=True) for r in rows if r.retrieval is not None]
    keys = [f"recall@{k}" for k in m.KS] + ["mrr", f"ndcg@{m.NDCG_K}"]
    return {k: m.mean([s[k] for s in scores]) for k in keys}


def summarize(records: list[QuestionResult | CaseResult], description: str = "") -> SystemSummary:
    """The summary metrics, counts and breakdowns of one system's item results."""
    questions = [r for r in records if isinstance(r, QuestionResult)]
    cases = [r for r in records if isinstance(r, CaseResult)]
    ranked = [r for r in questions if r.retrieval is not None]
    out: dict[str, float | None] = dict(_retrieval_means(ranked))
    out.update(m.answer_metrics([r.label for r in questions], [not r.refused for r in questions]))
    out.update(m.refusal_metrics(m.refusal_counts((r.should_refuse, r.refused) for r in questions)))
    oos = [r for r in questions if r.kind == "out_of_scope"]
    out["oos_refusal_accuracy"] = m.ratio(sum(r.refused for r in oos), len(oos))
    cites = [r.citations for r in records]
    out["citation_validity"] = m.ratio(sum(c.valid for c in cites), sum(c.total for c in cites))
    findings = [x for r in cases for x in r.expectations if x.name.startswith("priorities.")]
    out["case_finding_accuracy"] = m.ratio(sum(x.passed for x in findings), len(findings))
    for pid in ("national_security", "public_safety", "border_security"):
        these = [x for x in findings if x.name == f"priorities.{pid}"]
        out[f"finding_accuracy.{pid}"] = m.ratio(sum(x.passed for x in these), len(these))
    triples = [(g["tp"], g["found"], g["expected"]) for r in cases for g in r.factors.values()]
    out["factor_precision"], out["factor_recall"] = m.micro_precision_recall(triples)
    statuses = [x for r in cases for x in r.expectations if x.name == "framework_status"]
    out["status_accuracy"] = m.ratio(sum(x.passed for x in statuses), len(statuses))
    out["case_check_pass_rate"] = m.ratio(sum(r.check_passed for r in cases), len(cases))
    out["item_pass_rate"] = m.ratio(sum(r.passed for r in records), len(records))
    times = [r.ms for r in records]
    out["latency_p50_ms"], out["latency_p95_ms"] = m.percentile(times, 50), m.percentile(times, 95)
    out.update(_understanding_metrics(questions))

    by_kind: dict[str, KindSummary] = {}
    for kind in sorted({r.kind for r in questions}):
        rows = [r for r in questions if r.kind == kind]
        by_kind[kind] = KindSummary.model_validate({
            "n": len(rows), **{label: sum(r.label == label for r in rows) for label in m.LABELS},
            "passed": sum(r.passed for r in rows), "refused": sum(r.refused for r in rows),
            "recall@5": m.mean([r.retrieval.recall_5 for r in rows if r.retrieval is not None]),
        })
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in ranked:
        assert r.retrieval is not None
        groups[r.retrieval.primary_anchor].append(r)
    by_anchor: dict[str, dict[str, Any]] = {a: {"n": len(rows), **_retrieval_means(rows)} for a, rows in sorted(groups.items())}
    reasons: dict[str, int] = defaultdict(int)
    for r in questions:
        reasons[f"{r.label}: {r.label_reason.split(':')[0]}"] += 1
    latency = {
        name: LatencySummary(n=len(ts), p50=m.percentile(ts, 50), p95=m.percentile(ts, 95), max=max(ts, default=None))
        for name, ts in (("all", times), ("question", [r.ms for r in questions]), ("case", [r.ms for r in cases]))
    }
    counts = {
        "items": len(records), "questions": len(questions), "cases": len(cases), "ranked": len(ranked),
        "answered": sum(not r.refused for r in questions), "refused": sum(r.refused for r in questions),
        "out_of_scope": len(oos), "citations": sum(c.total for c in cites), "passed": sum(r.passed for r in records),
        **{label: sum(r.label == label for r in questions) for label in m.LABELS},
    }
    return SystemSummary(
        description=description, metrics=out, counts=counts, by_kind=by_kind, by_anchor=by_anchor,
        label_reasons=dict(sorted(reasons.items())), latency=latency, items=list(records),
    )


def _share(rows: list[QuestionResult], passed) -> float | None:  # noqa: ANN001 - a predicate on a result
    return m.ratio(sum(bool(passed(r)) for r in rows), len(rows))


def _expectation_passed(r: QuestionResult, name: str) -> bool:
    return all(x.passed for x in r.expectations if x.name == name)


def _understanding_metrics(questions: list[QuestionResult]) -> dict[str, float | None]:
    """The question-understanding metrics (see DEFINITIONS): near misses, premises, dates, parts, dialogs, focus."""
    has = lambda r, key: key in r.expect  # noqa: E731
    single = [r for r in questions if not r.should_refuse and not r.turns and not has(r, "parts")
              and (has(r, "anchors_any") or has(r, "anchors_all"))]
    return {
        "near_miss_refusal": _share([r for r in questions if r.kind == "near_miss"], lambda r: r.refused),
        "in_scope_cited": _share(single, lambda r: not r.refused and _expectation_passed(r, "anchors_any")
                                 and _expectation_passed(r, "anchors_all")),
        "premise_correction_rate": _share([r for r in questions if has(r, "premise_corrected")],
                                          lambda r: _expectation_passed(r, "premise_corrected")),
        "date_accuracy": _share([r for r in questions if has(r, "status") and not r.turns], lambda r: r.passed),
        "multi_part_accuracy": _share([r for r in questions if r.kind == "multi_part"], lambda r: r.passed),
        "typo_accuracy": _share([r for r in questions if r.kind == "typo"], lambda r: r.passed),
        "dialog_accuracy": _share([r for r in questions if r.turns], lambda r: r.passed),
        "memo_hint_rate": _share([r for r in questions if has(r, "memo_hint")], lambda r: _expectation_passed(r, "memo_hint")),
        "related_hit_rate": _share([r for r in questions if has(r, "related_any")],
                                   lambda r: _expectation_passed(r, "related_any")),
        "focus_share": m.ratio(sum(r.focus_hits for r in questions), sum(r.focus_quoted for r in questions)),
    }
