"""Evaluation reports: ``report.md`` and a self-contained ``report.html`` from a run's typed results.

Both show the same tables (every system side by side, the answer labels, refusals, cases, latency,
retrieval by anchor, the failed items and the metric definitions). The HTML has inline CSS and
bar charts drawn here as inline SVG: no script, font, stylesheet or image is fetched.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .metrics import LABELS
from .results import ItemResult, QuestionResult, RunResults

SUMMARY_ROWS = (
    ("Retrieval", ("recall@1", "recall@3", "recall@5", "mrr", "ndcg@5")),
    ("Answers", ("accurate_rate", "incomplete_rate", "hallucination_rate", "incorrect_rate", "misgrounded_rate",
                 "answer_precision", "answer_accuracy")),
    ("Refusals", ("refusal_precision", "refusal_recall", "refusal_accuracy", "oos_refusal_accuracy")),
    ("Citations", ("citation_validity",)),
    ("Cases", ("case_finding_accuracy", "finding_accuracy.national_security", "finding_accuracy.public_safety",
               "finding_accuracy.border_security", "factor_precision", "factor_recall", "status_accuracy",
               "case_check_pass_rate")),
    ("Overall", ("item_pass_rate", "latency_p50_ms", "latency_p95_ms")),
)
COLORS = {"assistant": "#1f5fa8", "lexical_only": "#d08c1a", "dense_only": "#3b8f4a", "langchain_recipe": "#9b3a8c"}
LABEL_COLORS = {"accurate": "#3b8f4a", "incomplete": "#c9a227", "incorrect": "#b3362f", "misgrounded": "#e07a5f"}


def fmt(value: Any, name: str = "") -> str:
    """A metric value for a table: 3 decimals, ms with 1, '—' when not measured."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}" if name.endswith("_ms") else f"{value:.3f}"
    return str(value)


def _short(text: str, limit: int = 110) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failed_expectations(r: ItemResult) -> str:
    """'name: expected X, got Y' for every expectation the item failed."""
    return "; ".join(f"{x.name}: expected {x.expected}, got {x.actual}" for x in r.expectations if not x.passed)


def _sections(results: RunResults) -> dict[str, Any]:
    """Everything both renderers show, as plain tables: (title, header, rows) triples and notes."""
    systems = results.systems
    names = list(systems)
    tables = []
    summary = []
    for group, metrics in SUMMARY_ROWS:
        for name in metrics:
            summary.append([f"{group}: {name}"] + [fmt(systems[s].metrics.get(name), name) for s in names])
    tables.append(("Summary", ["metric"] + names, summary))
    labels = []
    for s in names:
        c = systems[s].counts
        n = c["questions"] or 1
        hall = c["incorrect"] + c["misgrounded"]
        labels.append([s, str(c["questions"])] + [f"{c[x]} ({100 * c[x] / n:.0f}%)" for x in ("accurate", "incomplete")]
                      + [f"{hall} ({100 * hall / n:.0f}%)"] + [f"{c[x]} ({100 * c[x] / n:.0f}%)" for x in ("incorrect", "misgrounded")]
                      + [str(c["answered"]), str(c["refused"])])
    tables.append(("Answer labels (Magesh et al. 2024 vocabulary)",
                   ["system", "questions", "accurate", "incomplete", "hallucinated", "incorrect", "misgrounded", "answered", "refused"], labels))
    reasons = sorted({k for s in names for k in systems[s].label_reasons})
    tables.append(("Which rule gave each label", ["label: rule"] + names,
                   [[k] + [str(systems[s].label_reasons.get(k, 0)) for s in names] for k in reasons]))
    main = systems[names[0]]
    kinds = {k: v.model_dump(by_alias=True) for k, v in main.by_kind.items()}
    tables.append((f"By kind ({names[0]})", ["kind", "n", *LABELS, "passed", "refused", "recall@5"],
                   [[k, *(str(v[c]) for c in ("n", *LABELS, "passed", "refused")), fmt(v.get("recall@5"))]
                    for k, v in kinds.items()]))
    anchors = sorted({a for s in names for a in systems[s].by_anchor})
    rows = []
    for a in anchors:
        row = [a, str(main.by_anchor.get(a, {}).get("n", 0))]
        for key in ("recall@1", "recall@5", "mrr", "ndcg@5"):
            row.append(fmt(main.by_anchor.get(a, {}).get(key)))
        row += [fmt(systems[s].by_anchor.get(a, {}).get("recall@5")) for s in names[1:]]
        rows.append(row)
    tables.append(("Retrieval by primary anchor", ["anchor", "n", f"{names[0]} recall@1", "recall@5", "mrr", "ndcg@5"]
                   + [f"{s} recall@5" for s in names[1:]], rows))
    tables.append(("Latency per item (ms)", ["system", "of", "items", "p50", "p95", "max"], [
        [s, part, str(systems[s].latency[part].n)]
        + [fmt(getattr(systems[s].latency[part], k), "_ms") for k in ("p50", "p95", "max")]
        for s in names for part in ("all", "question", "case") if part in systems[s].latency and systems[s].latency[part].n]))
    cases = main.cases()
    if cases:
        tables.append(("Cases", ["item", "case", "status", "findings (NS / PS / BS)", "aggravating", "mitigating", "check", "passed"], [
            [r.id, r.case_id, r.output["framework"]["status_on_assessed_date"],
             " / ".join(p["finding"] for p in r.output["priorities"]),
             ", ".join(f["id"] for f in r.output["aggravating"]) or "—",
             ", ".join(f["id"] for f in r.output["mitigating"]) or "—",
             "pass" if r.check_passed else "FAIL", "yes" if r.passed else "NO"] for r in cases]))
    failed = [r for r in main.items if not r.passed or (isinstance(r, QuestionResult) and r.label != "accurate")]
    tables.append((f"Items that failed an expectation or are not accurate ({names[0]})",
                   ["item", "kind", "label", "why", "failed expectations", "answer"],
                   [[r.id, r.kind, getattr(r, "label", "—"), _short(getattr(r, "label_reason", ""), 80),
                     _short(failed_expectations(r), 140) or "—",
                     _short(r.output.get("answer", "")) if isinstance(r, QuestionResult) else "—"] for r in failed]))
    return {"names": names, "tables": tables}


def _header(results: RunResults) -> list[str]:
    s, idx = results.set_info, results.index
    return [
        f"Run of {results.created} on set `{s.name}` ({s.path}): {s.items} items, "
        f"{s.questions} questions and {s.cases} cases, in {results.seconds:.1f} s.",
        f"Set sha256 `{s.sha256[:16]}`; corpus sha256 `{results.corpus_hash[:16]}`; settings hash "
        f"`{results.settings_hash}` (full `{results.settings_sha256[:16]}`); index build `{idx['build_id']}` "
        f"({idx['passages']} passages, chunker v{idx['chunker_version']}, {idx['embedding_model']}).",
    ]


NOTES = (
    "Baselines answer the question items only; case items are analyzed by the rule table, which no retrieval setting "
    "changes. The LangChain recipe never refuses, and its answer cites one fixed-size chunk: a chunk that crosses the "
    "boundary of a guideline unit fails the checker's CITE_WRONG_PASSAGE rule and makes the answer misgrounded, so its "
    "retrieval rows are the like-for-like comparison."
)


def render_markdown(results: RunResults) -> str:
    """The Markdown report."""
    data = _sections(results)
    lines = [f"# Evaluation of `{results.set_info.name}`", "", *_header(results), "", NOTES, ""]
    for title, header, rows in data["tables"]:
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(" --- " for _ in header) + "|")
        for row in rows:
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
        lines.append("")
    lines += ["## Definitions", ""]
    lines += [f"- **{k}**: {v}" for k, v in results.definitions.items()]
    return "\n".join(lines) + "\n"


# --- HTML -----------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1150px;
color:#1d232a;line-height:1.45;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #d7dde3;padding-bottom:.2rem}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #d7dde3;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f1f4f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#4c5967;font-size:.9rem}.charts{display:flex;
flex-wrap:wrap;gap:1.5rem}figure{margin:0}figcaption{font-size:.85rem;font-weight:600;margin-bottom:.25rem}
code{background:#f1f4f7;padding:0 .2rem}dt{font-weight:600}dd{margin:0 0 .5rem 1rem}.legend span{margin-right:1rem;font-size:.8rem}
"""


def svg_grouped_bars(groups: list[tuple[str, list[tuple[str, float | None]]]], width: int = 520, top: float = 1.0) -> str:
    """Horizontal grouped bars: one group per label, one bar per series, values 0..top."""
    bar, gap, right = 11, 9, 48
    left = max(110, min(320, int(14 + 6.2 * max((len(g[0]) for g in groups), default=0))))
    width = max(width, left + 240)
    series = len(groups[0][1]) if groups else 0
    height = len(groups) * (series * bar + gap) + 24
    span = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" font-size="11" '
             f'font-family="system-ui,sans-serif">']
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + span * t
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 18}" stroke="#e3e7eb"/>'
                     f'<text x="{x:.1f}" y="{height - 5}" text-anchor="middle" fill="#6b7785">{t * top:g}</text>')
    y = 0
    for label, values in groups:
        parts.append(f'<text x="{left - 6}" y="{y + series * bar / 2 + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        for name, value in values:
            w = 0 if value is None else max(0.0, min(value / top, 1.0)) * span
            color = COLORS.get(name, "#777")
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{color}">'
                         f'<title>{escape(name)}: {fmt(value)}</title></rect>'
                         f'<text x="{left + w + 3:.1f}" y="{y + bar - 3}" fill="#33404d">{fmt(value)}</text>')
            y += bar
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def svg_stacked(rows: list[tuple[str, dict[str, int]]], width: int = 520) -> str:
    """Horizontal 100% stacked bars of the answer labels, one per system."""
    bar, gap, left = 18, 8, 150
    span = width - left - 10
    height = len(rows) * (bar + gap) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" font-size="11" '
             f'font-family="system-ui,sans-serif">']
    for i, (name, counts) in enumerate(rows):
        y = i * (bar + gap)
        total = sum(counts.values()) or 1
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(name)}</text>')
        x = float(left)
        for label in LABELS:
            w = span * counts.get(label, 0) / total
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{LABEL_COLORS[label]}">'
                             f'<title>{label}: {counts.get(label, 0)}</title></rect>')
                if w > 26:
                    parts.append(f'<text x="{x + 3:.1f}" y="{y + 13}" fill="#fff">{100 * counts[label] / total:.0f}%</text>')
            x += w
    parts.append("</svg>")
    return "".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> str:
    def cell(c: str) -> str:
        numeric = c == "—" or c.replace(".", "", 1).replace("—", "").replace("%", "").replace("(", "").replace(")", "").replace(" ", "").isdigit()
        return f'<td class="n">{escape(c)}</td>' if numeric else f"<td>{escape(c)}</td>"

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(str(c)) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(results: RunResults) -> str:
    """The self-contained HTML report (inline CSS and SVG, no external assets)."""
    data = _sections(results)
    systems, names = results.systems, data["names"]
    legend = "".join(f'<span><svg width="10" height="10"><rect width="10" height="10" fill="{COLORS.get(n, "#777")}"/></svg> '
                     f"{escape(n)}</span>" for n in names)
    label_legend = "".join(f'<span><svg width="10" height="10"><rect width="10" height="10" fill="{c}"/></svg> {k}</span>'
                           for k, c in LABEL_COLORS.items())

    def grouped(keys: tuple[str, ...]) -> str:
        return svg_grouped_bars([(k, [(n, systems[n].metrics.get(k)) for n in names]) for k in keys])

    main = systems[names[0]]
    anchor_chart = svg_grouped_bars(
        [(a, [(names[0], v.get("recall@5"))]) for a, v in main.by_anchor.items()], width=520
    ) if main.by_anchor else "<p>No item with expected anchors.</p>"
    charts = (
        f'<div class="legend">{legend}</div><div class="charts">'
        f"<figure><figcaption>Retrieval</figcaption>{grouped(('recall@1', 'recall@3', 'recall@5', 'mrr', 'ndcg@5'))}</figure>"
        f"<figure><figcaption>Refusals and citations</figcaption>"
        f"{grouped(('refusal_precision', 'refusal_recall', 'refusal_accuracy', 'oos_refusal_accuracy', 'citation_validity'))}</figure>"
        f'<figure><figcaption>Answer labels</figcaption><div class="legend">{label_legend}</div>'
        f"{svg_stacked([(n, {k: systems[n].counts.get(k, 0) for k in LABELS}) for n in names])}</figure>"
        f"<figure><figcaption>Recall@5 by primary anchor ({escape(names[0])})</figcaption>{anchor_chart}</figure></div>"
    )
    body = [f"<h1>Evaluation of <code>{escape(results.set_info.name)}</code></h1>"]
    body += [f'<p class="meta">{escape(line).replace("`", "")}</p>' for line in _header(results)]
    body += [f"<p>{escape(NOTES)}</p>", "<h2>Charts</h2>", charts]
    for title, header, rows in data["tables"]:
        body.append(f"<h2>{escape(title)}</h2>")
        body.append(_table(header, rows) if rows else "<p>None.</p>")
    body.append("<h2>Definitions</h2><dl>")
    body += [f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in results.definitions.items()]
    body.append("</dl>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Evaluation: '
            f"{escape(results.set_info.name)}</title><style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
