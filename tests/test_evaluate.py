"""Evaluation suites: metric arithmetic on hand-computed examples, set validation, `guidance eval`.

The metric tests use small rankings and labels whose values are worked out by hand in the
comments. The CLI tests run `guidance eval run` on a tiny set against the session index (real
model, real Chroma) and `guidance eval compare` on two results.json files written by hand.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.errors import InputError
from assistant.evals import data_dir
from assistant.evals import metrics as m
from assistant.evals.baselines import chunk_anchors
from assistant.evals.sets import load_set
from assistant.types import Passage

SETS = data_dir("sets")

# --- retrieval ------------------------------------------------------------------------------------


def test_recall_mrr_ndcg_of_an_any_question():
    # Any one of {a, b} answers the question (m = 1); the first hit is at rank 3.
    ranking = [["x"], ["y"], ["a"], ["b"], ["z"]]
    relevant, needed = m.relevance_set(["a", "b"], [], is_list=False)
    assert (relevant, needed) == ({"a", "b"}, 1)
    assert m.recall_at_k(ranking, relevant, needed, 1) == 0.0
    assert m.recall_at_k(ranking, relevant, needed, 3) == 1.0
    assert m.reciprocal_rank(ranking, relevant) == pytest.approx(1 / 3)
    # DCG = 1/log2(3+1) = 0.5 (the hit at rank 4 is beyond m = 1); IDCG = 1/log2(2) = 1.
    assert m.ndcg_at_k(ranking, relevant, needed) == pytest.approx(0.5)


def test_recall_and_ndcg_of_a_list_question():
    # A list question needs all of {a, b, c} (m = 3); hits at ranks 1, 3 and 5.
    ranking = [["a"], ["x"], ["b"], ["y"], ["c"]]
    relevant, needed = m.relevance_set(["a"], ["a", "b", "c"], is_list=True)
    assert (relevant, needed) == ({"a", "b", "c"}, 3)
    assert m.recall_at_k(ranking, relevant, needed, 1) == 1.0  # 1 hit / min(3, 1)
    assert m.recall_at_k(ranking, relevant, needed, 3) == pytest.approx(2 / 3)  # 2 hits / min(3, 3)
    assert m.recall_at_k(ranking, relevant, needed, 5) == 1.0
    dcg = 1 + 1 / math.log2(4) + 1 / math.log2(6)  # 1 + 0.5 + 0.38685 = 1.88685
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)  # 1 + 0.63093 + 0.5 = 2.13093
    assert m.ndcg_at_k(ranking, relevant, needed) == pytest.approx(dcg / idcg)
    assert m.ndcg_at_k(ranking, relevant, needed) == pytest.approx(0.88546, abs=1e-5)


def test_a_repeated_anchor_earns_no_second_gain_and_a_chunk_cannot_exceed_one():
    ranking = [["a"], ["a"], ["b"]]
    relevant, needed = {"a", "b"}, 2
    assert m.recall_at_k(ranking, relevant, needed, 2) == 0.5
    # DCG = 1 + 0 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) = 1.63093.
    assert m.ndcg_at_k(ranking, relevant, needed) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    chunk = [["a", "b", "c"]]  # one fixed-size chunk that covers three units
    assert m.recall_at_k(chunk, {"a", "b", "c"}, 3, 1) == 1.0
    assert m.ndcg_at_k(chunk, {"a", "b", "c"}, 3) == 1.0
    assert m.reciprocal_rank([["x"], []], {"a"}) == 0.0


def test_chunk_anchors_by_overlap():
    def p(anchor: str, start: int, end: int, order: int) -> Passage:
        return Passage(id=anchor, doc_id="d", anchor=anchor, text="x" * (end - start), start=start, end=end, order=order)

    passages = [p("a", 0, 100, 0), p("b", 102, 1000, 1), p("c", 1002, 1100, 2)]
    # Covers all of a (100), 298 characters of b (>= 200), and 8 of c's 98 (under half, under 200).
    assert chunk_anchors(passages, "d", 0, 400) == ["b", "a"]
    assert chunk_anchors(passages, "d", 950, 1060) == ["c"]  # 50 of b (neither half nor 200), 58 of c's 98
    assert chunk_anchors(passages, "other", 0, 400) == []


# --- answers and refusals -------------------------------------------------------------------------


def facts(**kw):
    base = dict(should_refuse=False, refused=False, cited=("mit.age",), citations_valid=(True,), anchors_any=("mit.age",))
    return m.AnswerFacts(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "label"),
    [
        ({}, "accurate"),
        ({"should_refuse": True, "refused": True, "cited": (), "citations_valid": (), "anchors_any": ()}, "accurate"),
        ({"should_refuse": True, "anchors_any": ()}, "incorrect"),  # answered out of scope
        ({"refused": True, "cited": (), "citations_valid": ()}, "incomplete"),  # refused in scope
        ({"cited": ("agg.weapon",)}, "incorrect"),  # nothing expected is cited
        ({"citations_valid": (False,)}, "misgrounded"),  # the checker rejects a citation
        ({"cited": ("mit.age", "agg.weapon"), "citations_valid": (True, True)}, "misgrounded"),  # stray anchor
        ({"cited": ("mit.age", "agg.weapon"), "citations_valid": (True, True), "anchors_ok": ("agg.weapon",)}, "accurate"),
        ({"cited": ("mit.age",), "anchors_all": ("mit.age", "mit.service"), "is_list": True}, "incomplete"),
        # A list question accepts the whole family of its anchors_all (here mit.labor_tenant_rights).
        ({"cited": ("mit.age", "mit.service", "mit.labor_tenant_rights"), "citations_valid": (True,) * 3,
          "anchors_all": ("mit.age", "mit.service"), "is_list": True}, "accurate"),
    ],
)
def test_classify_answer(kw, label):
    assert m.classify_answer(facts(**kw))[0] == label


def test_refusal_precision_recall_accuracy_and_answer_precision_vs_accuracy():
    # (should_refuse, refused): 3 correct refusals, 1 wrong refusal, 1 missed refusal, 5 correct answers.
    pairs = [(True, True)] * 3 + [(False, True)] + [(True, False)] + [(False, False)] * 5
    counts = m.refusal_counts(pairs)
    assert counts == m.RefusalCounts(tp=3, fp=1, fn=1, tn=5)
    got = m.refusal_metrics(counts)
    assert got["refusal_precision"] == pytest.approx(3 / 4)
    assert got["refusal_recall"] == pytest.approx(3 / 4)
    assert got["refusal_accuracy"] == pytest.approx(8 / 10)
    # 4 items: accurate refusal, accurate answer, incorrect answer, incomplete refusal.
    labels = ["accurate", "accurate", "incorrect", "incomplete"]
    answered = [False, True, True, False]
    a = m.answer_metrics(labels, answered)
    assert a["answer_accuracy"] == pytest.approx(2 / 4)  # correct of all
    assert a["answer_precision"] == pytest.approx(1 / 2)  # correct of answered
    assert a["hallucination_rate"] == pytest.approx(1 / 4)
    assert m.refusal_metrics(m.RefusalCounts())["refusal_precision"] is None  # nothing measured


def test_case_factor_precision_recall_and_latency_percentiles():
    # Item 1 finds {agg.weapon, agg.harm}, expects {agg.weapon}; item 2 finds {}, expects {mit.age}.
    triples = [m.set_overlap(["agg.weapon", "agg.harm"], ["agg.weapon"]), m.set_overlap([], ["mit.age"])]
    assert triples == [(1, 2, 1), (0, 0, 1)]
    precision, recall = m.micro_precision_recall(triples)
    assert (precision, recall) == (0.5, 0.5)
    assert m.percentile([10, 20, 30, 40], 50) == 25.0
    assert m.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert m.percentile([], 50) is None


def test_bounds_and_regression_rules():
    assert m.parse_bound("recall@5=0.95") == ("recall@5", 0.95)
    with pytest.raises(ValueError, match="unknown metric 'recall@7'"):
        m.parse_bound("recall@7=0.9")
    violations = m.check_bounds(
        {"recall@5": 0.9, "latency_p95_ms": 80.0, "citation_validity": 1.0, "case_finding_accuracy": None},
        [("recall@5", 0.95), ("latency_p95_ms", 50.0), ("citation_validity", 1.0), ("case_finding_accuracy", 1.0)],
    )
    assert [v.metric for v in violations] == ["recall@5", "latency_p95_ms", "case_finding_accuracy"]
    assert "not measured" in violations[2].message()
    assert m.worse("recall@5", 0.96, 0.95) and not m.worse("recall@5", 0.95, 0.96)
    assert m.worse("hallucination_rate", 0.10, 0.12)
    assert not m.worse("latency_p50_ms", 20.0, 29.0)  # within 25 % + 5 ms
    assert m.worse("latency_p50_ms", 20.0, 31.0)


# --- sets -----------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("- {id: q-bad, question: 'Does age matter?', expect: {refused: maybe}}", "expect.refused"),
        ("- {id: q-oos, question: 'DACA?', kind: out_of_scope, expect: {refused: false}}", "must expect a refusal"),
        ("- {id: q-typo, question: 'Does age matter?', expect: {anchors_any: [mit.agee]}}", "unknown anchor(s) mit.agee"),
        ("- {id: c-bad, case: {case_id: X, assessed_on: 2022-03-01, person: {age: old}}, expect: {framework_status: in_effect}}",
         "person.age"),
        ("- {id: c-none, case_file: missing.yaml, expect: {framework_status: in_effect}}", "no such file"),
        ("- {id: q-dup, question: 'A?', expect: {refused: true}}\n  - {id: q-dup, question: 'B?', expect: {refused: true}}",
         "used twice"),
    ],
)
def test_a_malformed_set_names_the_item(tmp_path, item, problem):
    from assistant.config import DEFAULT_CORPUS_DIR
    from assistant.evals.sets import manifest_anchors

    path = write(tmp_path / "bad.yaml", f"name: bad\nitems:\n  {item}\n")
    with pytest.raises(InputError) as info:
        load_set(path, manifest_anchors(DEFAULT_CORPUS_DIR))
    item_id = item.split("id: ")[1].split(",")[0]
    assert f"item '{item_id}'" in str(info.value) and problem in str(info.value)


def test_a_jsonl_set_with_a_header_line(tmp_path):
    rows = [{"name": "mini"}, {"id": "q-age", "question": "Does age matter?", "expect": {"anchors_any": ["mit.age"]}},
            {"id": "q-daca", "question": "DACA renewals?", "kind": "out_of_scope", "expect": {}}]
    path = write(tmp_path / "mini.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    loaded = load_set(path)
    assert loaded.name == "mini" and [i.id for i in loaded.items] == ["q-age", "q-daca"]
    assert [i.should_refuse for i in loaded.questions] == [False, True]
    write(tmp_path / "broken.jsonl", '{"id": "q-1", "question": "Q", "expect": {"refused": true}}\n{"id": "q-2",\n')
    with pytest.raises(InputError, match="line 2 is not JSON"):
        load_set(tmp_path / "broken.jsonl")


def test_the_shipped_sets_are_valid():
    from assistant.config import DEFAULT_CORPUS_DIR
    from assistant.evals.sets import manifest_anchors

    known = manifest_anchors(DEFAULT_CORPUS_DIR)
    sets = {p.stem: load_set(p, known) for p in sorted(SETS.glob("*.yaml"))}
    dev = sets["dev-questions"]
    assert len(dev.items) >= 100
    assert sum(i.kind == "out_of_scope" for i in dev.questions) >= 20
    assert sum(i.kind == "false_premise" for i in dev.questions) >= 10
    held = sets["heldout-questions"]
    assert len(held.items) == 40 and sum(i.kind == "out_of_scope" for i in held.questions) == 10
    assert not {i.question for i in held.questions} & {i.question for i in dev.questions}
    core = sets["core"]
    outcomes = {o for c in core.items if not hasattr(c, "question") for o in (c.expect.priorities or {}).values()}
    assert outcomes == {"meets", "does_not_meet", "officer_assessment", "insufficient_facts"}
    assert {c.expect.framework_status for c in core.items if not hasattr(c, "question")} == {
        "not_yet_effective", "in_effect", "enjoined", "vacated", "rescinded"}  # enjoined: issue 11


# --- the CLI --------------------------------------------------------------------------------------

TINY = """\
name: tiny
items:
  - id: q-age
    question: Does the person's age matter?
    expect: {anchors_any: [mit.age], refused: false}
  - id: q-oos-passport
    question: How do I renew my U.S. passport by mail?
    kind: out_of_scope
    expect: {refused: true}
  - id: c-inline
    case:
      case_id: T1
      assessed_on: 2022-03-01
      person: {age: 70}
      apprehension: {date: 2022-02-27, location: border, attempting_unlawful_entry: true}
    expect:
      priorities: {national_security: does_not_meet, public_safety: officer_assessment, border_security: meets}
      aggravating: []
      mitigating: [mit.age]
      framework_status: in_effect
  - id: c-file
    case_file: cases/t2.yaml
    expect: {framework_status: vacated, priorities: {border_security: insufficient_facts}}
"""


@pytest.fixture()
def tiny_set(tmp_path):
    (tmp_path / "cases").mkdir()
    write(tmp_path / "cases" / "t2.yaml", "case_id: T2\nassessed_on: 2022-07-01\nperson: {age: 30}\n"
          "apprehension: {date: 2022-06-30, location: border}\n")
    return write(tmp_path / "tiny.yaml", TINY)


def guidance(settings, *args):
    from assistant.cli import cli

    env = {"GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir)}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.slow
def test_eval_run_writes_results_and_reports_with_baselines(corpus_settings, tiny_set, tmp_path):
    out = tmp_path / "run"
    result = guidance(corpus_settings, "eval", "run", str(tiny_set), "--out", str(out), "--baselines", "--json",
                      "--fail-under", "citation_validity=1.0", "--fail-under", "case_finding_accuracy=1.0")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["violations"] == [] and summary["items"] == 4
    assert {p.name for p in out.iterdir()} >= {"results.json", "report.md", "report.html"}
    data = json.loads((out / "results.json").read_text())
    assert {"set", "settings", "settings_hash", "settings_sha256", "corpus_hash", "metrics", "systems", "definitions"} <= data.keys()
    assert len(data["corpus_hash"]) == 64 and len(data["set"]["sha256"]) == 64
    assert set(data["systems"]) == {"assistant", "lexical_only", "dense_only", "langchain_recipe"}
    items = {r["id"]: r for r in data["systems"]["assistant"]["items"]}
    assert items["q-age"]["output"]["citations"] and items["q-age"]["label"] == "accurate"
    assert items["q-oos-passport"]["output"]["refused"] is True and items["q-oos-passport"]["passed"]
    assert items["c-inline"]["output"]["priorities"] and items["c-inline"]["passed"], items["c-inline"]["expectations"]
    assert items["c-file"]["passed"] and items["c-file"]["source"] == "cases/t2.yaml"
    assert all(r["ms"] > 0 for r in items.values())
    metrics = data["metrics"]
    for key in ("recall@1", "recall@3", "recall@5", "mrr", "ndcg@5", "accurate_rate", "incomplete_rate", "incorrect_rate",
                "misgrounded_rate", "refusal_precision", "refusal_recall", "oos_refusal_accuracy", "answer_precision",
                "answer_accuracy", "citation_validity", "case_finding_accuracy", "factor_precision", "factor_recall",
                "status_accuracy", "latency_p50_ms", "latency_p95_ms"):
        assert key in metrics
    assert metrics["case_finding_accuracy"] == 1.0 and metrics["status_accuracy"] == 1.0
    recipe = data["systems"]["langchain_recipe"]
    assert recipe["counts"]["refused"] == 0 and recipe["metrics"]["oos_refusal_accuracy"] == 0.0
    html = (out / "report.html").read_text()
    assert "<svg" in html and "<style>" in html
    assert not any(tag in html for tag in ("<script", "<link", "src=", "@import"))
    md = (out / "report.md").read_text()
    assert "langchain_recipe" in md and "| Retrieval: recall@5 |" in md and "misgrounded" in md


def test_fail_under_exit_codes(corpus_settings, tiny_set, tmp_path):
    failed = guidance(corpus_settings, "eval", "run", str(tiny_set), "--out", str(tmp_path / "r1"),
                      "--fail-under", "latency_p50_ms=0.001")
    assert failed.exit_code == 1
    assert "bound failed: latency_p50_ms" in failed.stderr
    unknown = guidance(corpus_settings, "eval", "run", str(tiny_set), "--fail-under", "recall@7=0.9")
    assert unknown.exit_code == 2 and "unknown metric" in unknown.stderr
    bad = write(tmp_path / "bad.yaml", "name: bad\nitems:\n  - {id: q-x, question: 'Age?', expect: {refused: maybe}}\n")
    malformed = guidance(corpus_settings, "eval", "run", str(bad), "--out", str(tmp_path / "r2"))
    assert malformed.exit_code == 2 and "item 'q-x'" in malformed.stderr
    assert not (tmp_path / "r2").exists()


def _results(path: Path, metrics: dict, passed: dict[str, bool]) -> Path:
    path.mkdir()
    items = [{"id": i, "passed": p} for i, p in passed.items()]
    data = {"set": {"sha256": "s"}, "corpus_hash": "c", "settings_sha256": "h", "metrics": metrics,
            "systems": {"assistant": {"metrics": metrics, "items": items}}}
    (path / "results.json").write_text(json.dumps(data))
    return path


def test_compare_finds_a_regression(corpus_settings, tmp_path):
    a = _results(tmp_path / "a", {"recall@5": 0.96, "citation_validity": 1.0, "latency_p50_ms": 20.0},
                 {"q1": True, "q2": True, "q3": False})
    b = _results(tmp_path / "b", {"recall@5": 0.94, "citation_validity": 1.0, "latency_p50_ms": 22.0},
                 {"q1": True, "q2": False, "q3": True})
    result = guidance(corpus_settings, "eval", "compare", str(a), str(b), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["regression"] and report["regressions"] == ["recall@5"]
    assert report["newly_failing"] == ["q2"] and report["newly_passing"] == ["q3"]
    ignored = guidance(corpus_settings, "eval", "compare", str(a), str(b), "--ignore", "recall@5")
    assert ignored.exit_code == 0, ignored.output
    same = guidance(corpus_settings, "eval", "compare", str(a), str(a))
    assert same.exit_code == 0 and "no regression" in same.output
    missing = guidance(corpus_settings, "eval", "compare", str(a), str(tmp_path / "nowhere"))
    assert missing.exit_code == 2


def test_run_set_reports_progress_after_every_item(corpus_settings, tiny_set, tmp_path):
    from assistant.evals.runner import run_set
    from assistant.evals.sets import load_set

    calls = []
    result = run_set(tiny_set, corpus_settings, tmp_path / "run", progress=False,
                     on_progress=lambda done, total, label: calls.append((done, total, label)))
    items = len(load_set(tiny_set).items)
    assert len(calls) == items == result.items
    questions = [c for c in calls if c[2] != "cases"]
    assert questions and questions[-1][0] == questions[-1][1]  # the bar reaches its end
    assert [c[0] for c in questions] == list(range(1, len(questions) + 1))
