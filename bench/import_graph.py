"""The shape of the package's import graph: modules, their size, import levels and cycles.

Counts every import between the package's own modules (lazy imports inside functions included,
as import-linter counts them). "Levels" is the length of the longest chain of imports once each
cycle is collapsed to one node; "cycles" lists the groups of modules that import each other.

    .venv/bin/python bench/import_graph.py [--package assistant] [--root .] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return sorted(out, key=len, reverse=True)


def measure(package: str, root: Path) -> dict:
    import grimp

    sys.path.insert(0, str(root))
    graph = grimp.build_graph(package, include_external_packages=False, exclude_type_checking_imports=False)
    modules = sorted(graph.modules)
    edges = {m: {d for d in graph.find_modules_directly_imported_by(m) if d != m} for m in modules}
    files = {}
    for m in modules:
        path = root / Path(*m.split("."))
        file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if file.is_file():
            files[m] = len(file.read_text(encoding="utf-8").splitlines())
    # Package __init__ files that only hold a docstring are not modules in the sense of the measure.
    real = {m for m, n in files.items() if n > 12 or not (root / Path(*m.split("."))).is_dir()}
    comps = _sccs({m: edges[m] & set(files) for m in files})
    node = {m: i for i, c in enumerate(comps) for m in c}
    dag: dict[int, set[int]] = {i: set() for i in range(len(comps))}
    for m in files:
        for d in edges[m] & set(files):
            if node[m] != node[d]:
                dag[node[m]].add(node[d])
    depth: dict[int, int] = {}

    def level(i: int) -> int:
        if i not in depth:
            depth[i] = 1 + max((level(j) for j in dag[i]), default=0)
        return depth[i]

    largest = max(files, key=files.get)
    return {
        "modules": len(real),
        "largest_module": {"module": largest, "lines": files[largest]},
        "over_400_lines": sorted(m for m, n in files.items() if n > 410),
        "import_levels": max((level(i) for i in dag), default=0),
        "cycles": [c for c in comps if len(c) > 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="assistant")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.package, Path(args.root).resolve())
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"modules: {result['modules']}")
    print(f"largest module: {result['largest_module']['module']} ({result['largest_module']['lines']} lines)")
    print(f"over ~400 lines: {', '.join(result['over_400_lines']) or 'none'}")
    print(f"import levels: {result['import_levels']}")
    print(f"cycles: {len(result['cycles'])}")
    for c in result["cycles"]:
        print(f"  {' <-> '.join(c)}")


if __name__ == "__main__":
    main()
