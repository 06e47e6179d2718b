"""The package's layout: which way the imports run.

Every module of `auftakt_batch` belongs to a unit — a top-level module (`periods`, `pipeline`)
or a stage package (`check/`, `billing/`) — and the units form layers: a unit imports only
units of lower layers, never one of its own layer or above. Imports inside functions and under
`TYPE_CHECKING` count as much as those at the top of a file. Within a package its modules import
each other freely, but no two modules anywhere import each other in a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "auftakt_batch"

# Lowest first: what each stage may build on. README's "Development" section shows the same.
LAYERS = [
    {"codes", "frames"},  # the registry of problem codes (and their severities); pandas set up for the frames
    {"errors", "units", "names", "periods", "problems", "files", "environment", "timings", "memory",
     "processes"},  # leaves
    {"config"},  # rates.yaml → Config
    {"schemas"},  # the column contracts between stages
    {"ingest"},  # input/** → RawEntries
    {"calendars"},  # .ics → meetings and absences
    {"pricing"},  # rates, rounding, amounts, invoice drafts
    {"check"},  # names, identity, overlaps, checks, capacity, the review's decisions, reconciling
    {"run", "ledger"},  # a check run's result; the system of record
    {"pipeline", "render", "payments"},  # the run on one screen; HTML and PDF; bank bookings matched to invoices
    {"einvoice"},  # the CII XML (Factur-X, XRechnung)
    {"reports"},  # figures, workbooks, summaries, listings
    {"billing"},  # the issue protocol, void, accept
    {"export", "reminding"},  # the period's invoices handed to accounting; payment reminders issued
    {"sending"},  # `send`: invoices mailed (SMTP) or written as .eml
    {"workspace"},  # `init`
    {"cli"},  # the thin command layer
    {"__main__"},  # python -m auftakt_batch
]
LAYER = {unit: number for number, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every auftakt_batch module (or name in one) that `path` imports, wherever the import is."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("auftakt_batch")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("auftakt_batch"):
                found |= {f"{target}.{alias.name}" for alias in node.names} if not node.module else {target}
    return found


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: imports(path) for name, path in MODULES.items()}


def resolved(target: str) -> str:
    """The module a target names: `auftakt_batch.check.tracker.INVOICED` → `auftakt_batch.check.tracker`."""
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def test_every_unit_has_a_layer():
    units = {unit(name) for name in MODULES} - {"__init__"}
    assert units - set(LAYER) == set(), "give each new module or package a layer in LAYERS"
    assert set(LAYER) - units == set(), "LAYERS names a unit that is gone"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_run_downwards(name):
    here = unit(name)
    wrong = sorted(target for target in GRAPH[name] if unit(target) != here and unit(target) != "__init__"
                   and LAYER[unit(target)] >= LAYER[here])
    assert wrong == [], f"{name} ({here}, layer {LAYER[here]}) imports upwards or sideways: {wrong}"


def test_no_module_imports_itself_back():
    edges = {name: {resolved(t) for t in targets} - {name} for name, targets in GRAPH.items()}
    cycles, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycles.append(path[path.index(name):] + [name])
            return
        if name in done:
            return
        for target in sorted(edges.get(name, ())):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])
    assert cycles == []


def test_the_check_imports_no_stage_after_it():
    """What the issue named: pipeline → reports/review → reports/figures → pipeline is gone, and
    a check run's data (run.py) imports no stage that uses it."""
    assert not any(unit(t) in {"reports", "billing", "pipeline"} for t in GRAPH["auftakt_batch.run"])
    assert not any(unit(t) == "reports" for t in GRAPH["auftakt_batch.pipeline"])


def test_the_readme_shows_every_unit_of_the_layout():
    readme = (PACKAGE.parent.parent / "README.md").read_text()
    tree = readme[readme.index("```text\nsrc/auftakt_batch/"):]
    tree = tree[:tree.index("\n```\n")]
    shown = {word.removesuffix(".py").removesuffix("/") for word in tree.split()
             if word.endswith((".py", "/")) and word != "src/auftakt_batch/"}
    assert shown == set(LAYER) - {"__main__"}
