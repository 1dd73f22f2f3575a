"""The ``guidance eval`` commands: run a set (with bounds and baselines) and compare two runs.

Thin edge: each command parses its options, calls one library function (``evaluate.run_set`` or
``evaluate.compare_runs``) and renders the result. Library errors (a malformed set is an
``InputError``, exit 2) are turned into messages by the top-level ``guidance`` group.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import echo_json, load_settings

EXIT_BOUND = 1


def _bounds(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, float]]:
    from assistant.evals.metrics import parse_bound

    try:
        return [parse_bound(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("eval")
def eval_group() -> None:
    """Evaluate the assistant on question and case sets, and compare runs."""


@eval_group.command("run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), metavar="DIR",
              help="Where to write results.json, report.md and report.html (default: eval-runs/<set>-<time> in the data folder).")
@click.option("--fail-under", "bounds", multiple=True, callback=_bounds, metavar="METRIC=VALUE",
              help="Exit 1 when METRIC is worse than VALUE (below it; above it for latency and error rates). Repeatable.")
@click.option("--baselines", is_flag=True, help="Also score lexical-only, dense-only and the plain LangChain recipe.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary metrics and any bound violations as JSON.")
@click.pass_context
def run_command(ctx: click.Context, file: Path, out: Path | None, bounds: list[tuple[str, float]], baselines: bool, as_json: bool) -> None:
    """Run every item of the set FILE (YAML or JSONL; or the name of a shipped set) and write the results and reports.

    Exit codes: 0 all bounds hold; 1 a bound fails; 2 the set is malformed.

    Example: guidance eval run core --fail-under recall@5=0.95 --baselines
    """
    import sys

    from assistant.api import Assistant
    from assistant.evals.metrics import check_bounds

    result = Assistant(load_settings(ctx)).evaluate(file, out, baselines=baselines, progress=sys.stderr.isatty())
    violations = check_bounds(result.metrics, bounds)
    if as_json:
        echo_json({**result.model_dump(), "violations": [{**v.__dict__, "message": v.message()} for v in violations]})
    else:
        from assistant.evals.report import fmt

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


@eval_group.command("sets")
@click.option("--json", "as_json", is_flag=True, help="Print the sets as JSON.")
def sets_command(as_json: bool) -> None:
    """List the sets that ship with the assistant (run one by name: guidance eval run core).

    Example: guidance eval sets
    """
    from assistant.evals.sets import describe, shipped_sets

    rows = [(p, *describe(p)) for p in shipped_sets()]
    if as_json:
        echo_json([{"name": name, "description": text, "items": n, "path": str(p)} for p, name, text, n in rows])
        return
    for p, name, text, n in rows:
        click.echo(f"{p.stem:<22} {n:>4} items  {text}")


@eval_group.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--ignore", "ignore", multiple=True, metavar="METRIC",
              help="Do not gate on METRIC, e.g. latency_p95_ms when the runs come from different machines. Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.pass_context
def compare_command(ctx: click.Context, run_a: Path, run_b: Path, ignore: tuple[str, ...], as_json: bool) -> None:
    """Compare run RUN_B with run RUN_A (folders written by `guidance eval run`); exit 1 on a regression.

    Example: guidance eval compare RUN_A RUN_B   (folders under eval-runs/ in the data folder)
    """
    from assistant.api import Assistant
    from assistant.evals.report import fmt

    comparison = Assistant(load_settings(ctx)).compare(run_a, run_b, ignore)
    if as_json:
        echo_json({**comparison.model_dump(), "regressions": [d.metric for d in comparison.regressions]})
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
