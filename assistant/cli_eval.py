"""The ``guidance eval`` commands: run a set (with bounds and baselines) and compare two runs.

Thin edge: each command parses its options, calls one library function (``evaluate.run_set`` or
``evaluate.compare_runs``) and renders the result. Library errors (a malformed set is an
``InputError``, exit 2) are turned into messages by the top-level ``guidance`` group.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

EXIT_BOUND = 1


def _settings(ctx: click.Context):
    root = ctx.find_root()
    if root.obj is None:
        from .config import Settings

        root.obj = Settings.load()
    return root.obj


def _bounds(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, float]]:
    from .metrics import parse_bound

    try:
        return [parse_bound(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group("eval")
def eval_group() -> None:
    """Evaluate the assistant on question and case sets, and compare runs."""


@eval_group.command("run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), metavar="DIR",
              help="Where to write results.json, report.md and report.html (default evals/runs/<set>-<timestamp>).")
@click.option("--fail-under", "bounds", multiple=True, callback=_bounds, metavar="METRIC=VALUE",
              help="Exit 1 when METRIC is worse than VALUE (below it; above it for latency and error rates). Repeatable.")
@click.option("--baselines", is_flag=True, help="Also score lexical-only, dense-only and the plain LangChain recipe.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary metrics and any bound violations as JSON.")
@click.pass_context
def run_command(ctx: click.Context, file: Path, out: Path | None, bounds: list[tuple[str, float]], baselines: bool, as_json: bool) -> None:
    """Run every item of the set FILE (YAML or JSONL) and write the results and reports.

    Exit codes: 0 all bounds hold; 1 a bound fails; 2 the set is malformed.

    Example: guidance eval run evals/sets/core.yaml --fail-under recall@5=0.95 --baselines
    """
    import sys

    from .evaluate import run_set
    from .metrics import check_bounds

    result = run_set(file, _settings(ctx), out, baselines=baselines, progress=sys.stderr.isatty())
    violations = check_bounds(result.metrics, bounds)
    if as_json:
        _echo_json({**result.model_dump(), "violations": [{**v.__dict__, "message": v.message()} for v in violations]})
    else:
        from .eval_report import fmt

        keys = ("recall@5", "mrr", "ndcg@5", "accurate_rate", "hallucination_rate", "refusal_accuracy",
                "oos_refusal_accuracy", "citation_validity", "case_finding_accuracy", "latency_p50_ms", "latency_p95_ms")
        systems = {"assistant": result.metrics, **result.baselines}
        click.echo(f"{'metric':<24}" + "".join(f"{name:>18}" for name in systems))
        for key in keys:
            click.echo(f"{key:<24}" + "".join(f"{fmt(s.get(key), key):>18}" for s in systems.values()))
        click.echo(f"\n{result.items} items in {result.seconds:.1f} s; {len(result.failed)} failed an expectation.")
        click.echo(f"Wrote {', '.join(result.files)}")
    for v in violations:
        click.echo(f"bound failed: {v.message()}", err=True)
    ctx.exit(EXIT_BOUND if violations else 0)


@eval_group.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--ignore", "ignore", multiple=True, metavar="METRIC",
              help="Do not gate on METRIC, e.g. latency_p95_ms when the runs come from different machines. Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.pass_context
def compare_command(ctx: click.Context, run_a: Path, run_b: Path, ignore: tuple[str, ...], as_json: bool) -> None:
    """Compare run RUN_B with run RUN_A (folders written by `guidance eval run`); exit 1 on a regression.

    Example: guidance eval compare evals/runs/core-before evals/runs/core-after
    """
    from .eval_report import fmt
    from .evaluate import compare_runs

    comparison = compare_runs(run_a, run_b, ignore)
    if as_json:
        _echo_json({**comparison.model_dump(), "regressions": [d.metric for d in comparison.regressions]})
    else:
        for note, same in (("sets", comparison.same_set), ("corpora", comparison.same_corpus), ("settings", comparison.same_settings)):
            if not same:
                click.echo(f"note: the two runs used different {note}")
        click.echo(f"{'metric':<36}{'A':>10}{'B':>10}{'delta':>10}")
        for d in comparison.deltas:
            mark = "  WORSE" if d.gated and d.worse else ""
            delta = "—" if d.delta is None else f"{d.delta:+.3f}"
            click.echo(f"{d.metric:<36}{fmt(d.a, d.metric):>10}{fmt(d.b, d.metric):>10}{delta:>10}{mark}")
        for title, ids in (("pass -> fail", comparison.newly_failing), ("fail -> pass", comparison.newly_passing)):
            click.echo(f"\n{title}: {', '.join(ids) if ids else 'none'}")
        verdict = "REGRESSION: " + ", ".join(d.metric for d in comparison.regressions) if comparison.regression else "no regression"
        click.echo(f"\n{verdict}")
    ctx.exit(EXIT_BOUND if comparison.regression else 0)
