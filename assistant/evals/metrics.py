"""Evaluation metrics: pure, deterministic functions over expected and observed anchors and labels.

Every number in an evaluation report comes from a function here, so the definitions below are the
ones the report prints (``DEFINITIONS``) and the tests check on hand-computed examples. Rankings
are lists of *anchor sets*, one set per retrieved position (one anchor for our passages; several
for a fixed-size chunk that overlaps several passages). Answer labels follow the vocabulary of
Magesh et al. (2024) with the rules of ``classify_answer``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KS = (1, 3, 5)
NDCG_K = 5
LABELS = ("accurate", "incomplete", "incorrect", "misgrounded")
"""Answer labels; 'incorrect' and 'misgrounded' together are 'hallucinated'."""

LATENCY_SLACK = (0.25, 5.0)
"""A latency is worse in a comparison only beyond 25 percent plus 5 ms (the machine is shared)."""

DEFINITIONS: dict[str, str] = {
    "recall@k": "Question items with expected anchors. Relevant set R = anchors_all for a list question, else "
    "anchors_any ∪ anchors_all; needed count m = |anchors_all| if anchors_all is given, else 1. recall@k = (distinct "
    "relevant anchors among the top k retrieved positions, at most min(m, k)) / min(m, k). Averaged over items.",
    "mrr": "1 / rank of the first retrieved position that carries a relevant anchor (0 if none); averaged over items.",
    "ndcg@5": "Binary gains: a position earns 1 for each relevant anchor it carries that no earlier position carried, "
    "counting only the first m such anchors; DCG = sum gain_i / log2(i + 1) over the top 5; IDCG = sum over "
    "i = 1..min(m, 5) of 1 / log2(i + 1); nDCG = min(1, DCG / IDCG). Averaged over items.",
    "by_anchor": "Retrieval metrics of the items grouped by their primary anchor (the first of anchors_any, else "
    "the first of anchors_all; list questions under 'list: <family>*'); every item counts once.",
    "accurate": "Should refuse and refused; or should answer, answered, every citation passes the checker, at "
    "least one citation carries an expected anchor, every cited anchor is acceptable, and every anchor of "
    "anchors_all is cited.",
    "incomplete": "Should answer but refused; or answered correctly but without citing every anchor of anchors_all.",
    "incorrect": "Answered a question it should refuse; or answered without citing any expected anchor (the "
    "quotes do not answer the question).",
    "misgrounded": "Answered with a citation the checker rejects, or with a citation whose anchor is not acceptable "
    "for the item. Acceptable anchors: anchors_any ∪ anchors_all ∪ anchors_ok, plus, for a list question, every "
    "anchor of the families (the text up to the first '.') of anchors_all.",
    "hallucinated": "incorrect + misgrounded.",
    "should_refuse": "expect.refused when given; otherwise true for kind out_of_scope and false for any other kind.",
    "rules_order": "Rules apply in this order and the first that matches gives the label: refusal mismatch; "
    "checker failure (misgrounded); no expected anchor cited (incorrect); unacceptable anchor (misgrounded); "
    "missing anchors_all (incomplete); accurate.",
    "answer_precision": "accurate / answered question items (correct of answered, as PaperQA2 reports it).",
    "answer_accuracy": "accurate / all question items (correct of all; a correct refusal is correct).",
    "refusal_precision": "Refusal is the positive class: refused items that should refuse / refused items.",
    "refusal_recall": "refused items that should refuse / items that should refuse.",
    "refusal_accuracy": "items whose refusal decision matches should_refuse / all question items.",
    "oos_refusal_accuracy": "out_of_scope items refused / out_of_scope items.",
    "citation_validity": "citations the checker accepts (check_citation against the index) / all citations, "
    "answers and analyses together.",
    "case_finding_accuracy": "priority findings equal to the expected one / priority findings expected "
    "(every priority named in an item's expect.priorities counts once).",
    "factor_precision": "Micro-average over the factor groups an item's expect names (aggravating, mitigating): "
    "expected factors found / factors found.",
    "factor_recall": "expected factors found / factors expected.",
    "status_accuracy": "framework status equal to expect.framework_status / items that give one.",
    "case_check_pass_rate": "analyses that pass check_analysis (against their own case facts) / case items.",
    "item_pass_rate": "items whose every expectation passes / all items.",
    "latency": "Wall time of one item (answer or analysis), p50 and p95 by linear interpolation between the "
    "closest ranks (numpy's default), in milliseconds.",
    "near_miss_refusal": "near_miss items refused / near_miss items (a question in the guidelines' words that asks for "
    "something they do not contain).",
    "in_scope_cited": "Items that must be answered and name anchors (every kind but out_of_scope and near_miss, parts "
    "and dialogs excluded): answered and citing an expected anchor (every anchor of anchors_all for a list) / those items.",
    "premise_correction_rate": "Items expecting premise_corrected: answers that open with the premise correction / those items.",
    "date_accuracy": "Items expecting a status for a date they name: every expectation passed (the status reported and "
    "an expected history passage cited) / those items.",
    "multi_part_accuracy": "multi_part items: every part answered with an expected anchor or refused as expected / items.",
    "typo_accuracy": "typo items: every expectation passed / typo items.",
    "dialog_accuracy": "Items with turns (a follow-up in a conversation): every expectation passed / those items.",
    "memo_hint_rate": "Items expecting memo_hint: answers that point to the case memo / those items.",
    "related_hit_rate": "Items expecting related_any: refusals whose related passages include one of them / those items.",
    "focus_share": "Quoted sentences of answered items that contain at least one focus word of the question (its "
    "content words other than the words that name the guidelines, see FOCUS_STOP) / all quoted sentences of answered items.",
}


# --- retrieval ------------------------------------------------------------------------------------


def relevance_set(anchors_any: Sequence[str], anchors_all: Sequence[str], is_list: bool) -> tuple[set[str], int]:
    """The relevant anchors of an item and how many of them it needs (see DEFINITIONS['recall@k'])."""
    relevant = set(anchors_all) if is_list and anchors_all else set(anchors_any) | set(anchors_all)
    needed = len(set(anchors_all)) if anchors_all else 1
    return relevant, min(needed, len(relevant)) if relevant else 0


def _new_hits(ranking: Sequence[Iterable[str | None]], relevant: set[str], needed: int) -> list[int]:
    """Per position, how many relevant anchors it adds that no earlier position carried (at most ``needed`` in all)."""
    seen: set[str] = set()
    out = []
    for anchors in ranking:
        fresh = sorted(a for a in set(anchors) if a in relevant and a not in seen)
        room = max(0, needed - len(seen))
        fresh = fresh[:room]
        seen.update(fresh)
        out.append(len(fresh))
    return out


def recall_at_k(ranking: Sequence[Iterable[str | None]], relevant: set[str], needed: int, k: int) -> float:
    """Capped recall: distinct relevant anchors in the top ``k`` (at most ``needed``) / min(needed, k)."""
    if not relevant or needed <= 0:
        raise ValueError("recall needs a non-empty relevant set")
    cap = min(needed, k)  # a chunk that carries several anchors cannot lift recall above 1
    return min(sum(_new_hits(ranking[:k], relevant, needed)), cap) / cap


def reciprocal_rank(ranking: Sequence[Iterable[str | None]], relevant: set[str]) -> float:
    """1 / rank of the first position carrying a relevant anchor; 0 when none does."""
    for i, anchors in enumerate(ranking, 1):
        if any(a in relevant for a in anchors):
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranking: Sequence[Iterable[str | None]], relevant: set[str], needed: int, k: int = NDCG_K) -> float:
    """Binary-gain nDCG@k, anchor-deduplicated, capped at 1 (see DEFINITIONS['ndcg@5'])."""
    if not relevant or needed <= 0:
        raise ValueError("nDCG needs a non-empty relevant set")
    gains = _new_hits(ranking[:k], relevant, needed)
    dcg = sum(g / math.log2(i + 1) for i, g in enumerate(gains, 1))
    idcg = sum(1 / math.log2(i + 1) for i in range(1, min(needed, k) + 1))
    return min(1.0, dcg / idcg)


def retrieval_scores(ranking: Sequence[Iterable[str | None]], relevant: set[str], needed: int) -> dict[str, float]:
    """recall@1/3/5, MRR and nDCG@5 of one ranking."""
    out = {f"recall@{k}": recall_at_k(ranking, relevant, needed, k) for k in KS}
    out["mrr"] = reciprocal_rank(ranking, relevant)
    out[f"ndcg@{NDCG_K}"] = ndcg_at_k(ranking, relevant, needed)
    return out


# --- answers --------------------------------------------------------------------------------------


def family(anchor: str) -> str:
    """The family of an anchor: the text up to and including the first '.' (the anchor itself if none)."""
    head, dot, _ = anchor.partition(".")
    return head + dot if dot else anchor


def acceptable(anchor: str | None, expected: set[str], ok: set[str], list_families: set[str]) -> bool:
    """Whether citing ``anchor`` is acceptable for an item (see DEFINITIONS['misgrounded'])."""
    if anchor is None:
        return False
    return anchor in expected or anchor in ok or (family(anchor) in list_families and "." in anchor)


@dataclass(frozen=True)
class AnswerFacts:
    """What the answer classification needs to know about one answered (or refused) question."""

    should_refuse: bool
    refused: bool
    cited: tuple[str | None, ...]  # anchor of each citation, in order
    citations_valid: tuple[bool, ...]  # the checker's verdict on each citation
    anchors_any: tuple[str, ...] = ()
    anchors_all: tuple[str, ...] = ()
    anchors_ok: tuple[str, ...] = ()
    is_list: bool = False


def classify_answer(f: AnswerFacts) -> tuple[str, str]:
    """The label of an answer (accurate, incomplete, incorrect, misgrounded) and 'rule: detail' of the rule that gave it."""
    if f.should_refuse:
        return ("accurate", "refused as expected") if f.refused else ("incorrect", "answered a question it should refuse")
    if f.refused:
        return "incomplete", "refused a question it should answer"
    if not all(f.citations_valid):
        bad = sum(not v for v in f.citations_valid)
        return "misgrounded", f"a citation fails the checker: {bad} of {len(f.citations_valid)}"
    expected = set(f.anchors_any) | set(f.anchors_all)
    if expected and not any(a in expected for a in f.cited):
        return "incorrect", "no citation carries an expected anchor"
    if expected:
        families = {family(a) for a in f.anchors_all} if f.is_list else set()
        stray = sorted({str(a) for a in f.cited if not acceptable(a, expected, set(f.anchors_ok), families)})
        if stray:
            return "misgrounded", "cites anchors outside the acceptable ones: " + ", ".join(stray)
    missing = sorted(set(f.anchors_all) - set(a for a in f.cited if a))
    if missing:
        return "incomplete", "an anchor of anchors_all is not cited: " + ", ".join(missing)
    return "accurate", "all rules pass"


@dataclass(frozen=True)
class RefusalCounts:
    """Confusion counts of the refusal decision (refusal is the positive class)."""

    tp: int = 0  # refused, should refuse
    fp: int = 0  # refused, should answer
    fn: int = 0  # answered, should refuse
    tn: int = 0  # answered, should answer


def refusal_counts(pairs: Iterable[tuple[bool, bool]]) -> RefusalCounts:
    """Count (should_refuse, refused) pairs."""
    tp = fp = fn = tn = 0
    for should, did in pairs:
        if did and should:
            tp += 1
        elif did:
            fp += 1
        elif should:
            fn += 1
        else:
            tn += 1
    return RefusalCounts(tp, fp, fn, tn)


def ratio(num: float, den: float) -> float | None:
    """num / den, or None when nothing was measured."""
    return None if den == 0 else num / den


def refusal_metrics(c: RefusalCounts) -> dict[str, float | None]:
    """Refusal precision, recall and accuracy."""
    return {
        "refusal_precision": ratio(c.tp, c.tp + c.fp),
        "refusal_recall": ratio(c.tp, c.tp + c.fn),
        "refusal_accuracy": ratio(c.tp + c.tn, c.tp + c.fp + c.fn + c.tn),
    }


def answer_metrics(labels: Sequence[str], answered: Sequence[bool]) -> dict[str, float | None]:
    """Label rates, hallucination rate, precision (correct of answered) and accuracy (correct of all)."""
    n = len(labels)
    out: dict[str, float | None] = {f"{label}_rate": ratio(sum(x == label for x in labels), n) for label in LABELS}
    out["hallucination_rate"] = ratio(sum(x in ("incorrect", "misgrounded") for x in labels), n)
    out["answer_accuracy"] = ratio(sum(x == "accurate" for x in labels), n)
    out["answer_precision"] = ratio(sum(x == "accurate" and a for x, a in zip(labels, answered)), sum(answered))
    return out


# --- cases ----------------------------------------------------------------------------------------


def set_overlap(found: Iterable[str], expected: Iterable[str]) -> tuple[int, int, int]:
    """(true positives, found, expected) of two sets of factor ids."""
    f, e = set(found), set(expected)
    return len(f & e), len(f), len(e)


def micro_precision_recall(counts: Iterable[tuple[int, int, int]]) -> tuple[float | None, float | None]:
    """Micro-averaged precision and recall from (tp, found, expected) triples."""
    tp = found = expected = 0
    for a, b, c in counts:
        tp, found, expected = tp + a, found + b, expected + c
    return ratio(tp, found), ratio(tp, expected)


# --- latency --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    return None if not values else sum(values) / len(values)


# --- gates ----------------------------------------------------------------------------------------

LOWER_IS_BETTER = frozenset({
    "hallucination_rate", "incorrect_rate", "misgrounded_rate", "incomplete_rate", "latency_p50_ms", "latency_p95_ms",
})

GATED = (
    "recall@1", "recall@3", "recall@5", "mrr", "ndcg@5", "answer_accuracy", "answer_precision", "hallucination_rate",
    "refusal_accuracy", "oos_refusal_accuracy", "refusal_precision", "refusal_recall", "citation_validity",
    "case_finding_accuracy", "factor_precision", "factor_recall", "status_accuracy", "case_check_pass_rate",
    "item_pass_rate", "latency_p50_ms", "latency_p95_ms", "near_miss_refusal", "in_scope_cited",
    "premise_correction_rate", "date_accuracy", "multi_part_accuracy", "typo_accuracy", "dialog_accuracy",
)
"""Metrics whose worsening makes a comparison a regression."""

METRIC_NAMES = GATED + (
    "accurate_rate", "incomplete_rate", "incorrect_rate", "misgrounded_rate",
    "finding_accuracy.national_security", "finding_accuracy.public_safety", "finding_accuracy.border_security",
    "memo_hint_rate", "related_hit_rate", "focus_share",
)
"""Every summary metric a bound (``--fail-under``) may name."""


def worse(name: str, before: float | None, after: float | None, eps: float = 1e-9) -> bool:
    """Whether ``after`` is worse than ``before`` for metric ``name`` (latency with its slack)."""
    if before is None or after is None:
        return False
    if name.startswith("latency_"):
        rel, absolute = LATENCY_SLACK
        return after > before * (1 + rel) + absolute
    if name in LOWER_IS_BETTER:
        return after > before + eps
    return after < before - eps


def parse_bound(text: str) -> tuple[str, float]:
    """'METRIC=VALUE' -> (metric, value); raises ValueError with a message for the user."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"'{text}' is not METRIC=VALUE, e.g. recall@5=0.95")
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric '{name}'; known metrics: {', '.join(METRIC_NAMES)}")
    try:
        return name, float(value)
    except ValueError:
        raise ValueError(f"'{value}' in '{text}' is not a number") from None


@dataclass(frozen=True)
class Violation:
    """A bound that the run does not meet."""

    metric: str
    bound: float
    value: float | None

    def message(self) -> str:
        """One line for the user."""
        if self.value is None:
            return f"{self.metric} was not measured by this set (bound {self.bound:g})"
        rel = "above the ceiling" if self.metric in LOWER_IS_BETTER else "below the bound"
        return f"{self.metric} = {self.value:.4g}, {rel} {self.bound:g}"


def check_bounds(metrics: dict[str, float | None], bounds: Iterable[tuple[str, float]]) -> list[Violation]:
    """The bounds the metrics violate: below the bound, or above it for lower-is-better metrics; unmeasured fails."""
    out = []
    for name, bound in bounds:
        value = metrics.get(name)
        if value is None:
            out.append(Violation(name, bound, None))
        elif (value > bound) if name in LOWER_IS_BETTER else (value < bound):
            out.append(Violation(name, bound, value))
    return out


# --- focus ----------------------------------------------------------------------------------------

FOCUS_STOP = frozenset("""
guideline guidelines memo memorandum dhs ice department homeland security immigration enforcement civil law 2021
mayorkas say says said does do did consider considered count counts matter matters policy rule rules
""".split())
"""Words that name the guidelines or the act of asking; a question's focus is its other content words."""


def focus_tokens(question: str) -> set[str]:
    """The question's focus words for the focus measure: content words (stemmed) not in FOCUS_STOP."""
    from assistant.corpus.words import tokenize

    stop = {t for w in FOCUS_STOP for t in tokenize(w)}
    return {t for t in tokenize(question) if t not in stop and not t.isdigit()}


def focus_hits(question: str, quotes: Iterable[str]) -> tuple[int, int]:
    """(quoted sentences that contain a focus word of the question, quoted sentences)."""
    from assistant.corpus.words import tokenize

    focus = focus_tokens(question)
    quotes = list(quotes)
    return sum(bool(focus & set(tokenize(q))) for q in quotes), len(quotes)
