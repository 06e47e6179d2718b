"""Every problem code the code can emit is registered (auftakt_batch/codes.py) and in README's
table of problem codes, with its severity, and neither names a code the code does not emit.

The codes are collected from the source, not from runs: every call of a callable that takes a
`code` (problems.error / warning / info, Problem(...), for_rows, a check's _grouped, CalendarError,
…) with a literal code, a code built in an f-string from a parameter whose call sites pass
literals (ingest's `bad-{field}`), and a parameter's default. A code passed on from elsewhere
(`code` itself, `exc.code`) is collected where it is made. Anything else fails the test, saying
where: a code must stay findable.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from auftakt_batch.codes import CODES, FLAGS
from auftakt_batch.problems import Problem, Severity, Source, problem

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "auftakt_batch"
SEVERITY_WORDS = {"ERROR": "error", "WARNING": "warning", "INFO": "note"}


@dataclass
class Emitted:
    severities: set[str] = field(default_factory=set)  # the words; empty where it is decided at run time
    places: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Takes:
    """A callable that takes a problem code: where its code and severity go, and their defaults."""

    params: tuple[str, ...]
    defaults: dict[str, ast.expr]
    severity: str | None = None  # implied by the callable itself (problems.error: an error)


def modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SOURCE.rglob("*.py"))}


def code_takers(trees: dict[Path, ast.Module]) -> dict[str, Takes]:
    """Every function, class (its __init__) or dataclass with a parameter or field `code: str`."""
    takers: dict[str, Takes] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name != "__init__" and _takes_code(node):
                takers[node.name] = Takes(_params(node), _defaults(node), _implied(node))
            elif isinstance(node, ast.ClassDef):
                init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                fields = [n for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]
                if init is not None and _takes_code(init):
                    takers[node.name] = Takes(_params(init)[1:], _defaults(init))
                elif any(f.target.id == "code" and ast.unparse(f.annotation) == "str" for f in fields):
                    takers[node.name] = Takes(tuple(f.target.id for f in fields), {})
    return takers


def _takes_code(function: ast.FunctionDef) -> bool:
    arguments = (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)
    return any(a.arg == "code" and a.annotation is not None and ast.unparse(a.annotation) == "str" for a in arguments)


def _params(function: ast.FunctionDef | None) -> tuple[str, ...]:
    if function is None:
        return ()
    return tuple(a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs))


def _defaults(function: ast.FunctionDef) -> dict[str, ast.expr]:
    positional = (*function.args.posonlyargs, *function.args.args)
    named = dict(zip([a.arg for a in positional[len(positional) - len(function.args.defaults):]],
                     function.args.defaults))
    named |= {a.arg: d for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d is not None}
    return named


def _implied(function: ast.FunctionDef) -> str | None:
    """The severity a wrapper without a severity parameter gives (problems.error → error)."""
    if "severity" in _params(function):
        return None
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and _callee(node) == "Problem" and len(node.args) > 2:
            return _severity_literal(node.args[2])
    return None


def _callee(call: ast.Call) -> str | None:
    return call.func.id if isinstance(call.func, ast.Name) else call.func.attr if isinstance(
        call.func, ast.Attribute) else None


def _severity_literal(node: ast.expr) -> str | None:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    return SEVERITY_WORDS.get(name)


def _argument(call: ast.Call, takes: Takes, name: str) -> ast.expr | None:
    """The expression `call` passes for parameter `name` (its default if it passes none)."""
    keyword = next((k.value for k in call.keywords if k.arg == name), None)
    if keyword is not None:
        return keyword
    index = takes.params.index(name) if name in takes.params else None
    if index is not None and index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    return takes.defaults.get(name)


class Collector:
    """Walks one module with its enclosing functions known."""

    def __init__(self, path: Path, tree: ast.Module, takers: dict[str, Takes]):
        self.path, self.tree, self.takers = path, tree, takers
        self.parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        self.functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}

    def collect(self, emitted: dict[str, Emitted], unresolved: list[str]) -> None:
        for call in (n for n in ast.walk(self.tree) if isinstance(n, ast.Call)):
            takes = self.takers.get(_callee(call))
            if takes is None:
                continue
            place = f"{self.path.relative_to(ROOT)}:{call.lineno}"
            codes = self.codes(_argument(call, takes, "code"), call, place, unresolved)
            severities = self.severities(call, takes)
            for code in codes:
                emitted[code].severities |= severities
                emitted[code].places.append(place)

    def codes(self, node: ast.expr | None, call: ast.Call, place: str, unresolved: list[str]) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name) and node.id == "code" and "code" in _params(self.enclosing(call)):
            return []  # passed on: collected where the enclosing callable is called
        if isinstance(node, ast.Attribute) and node.attr == "code":
            return []  # an exception's or another problem's code: collected where that was made
        if isinstance(node, ast.JoinedStr) and (built := self.built(node, call)) is not None:
            return built
        unresolved.append(f"{place}: {ast.unparse(node) if node is not None else 'no code'}")
        return []

    def built(self, text: ast.JoinedStr, call: ast.Call) -> list[str] | None:
        """f"bad-{f}" where `f` is a parameter of the enclosing function: one code per literal
        that the function's call sites pass for it."""
        holes = [v.value for v in text.values if isinstance(v, ast.FormattedValue)]
        function = self.enclosing(call)
        if len(holes) != 1 or not isinstance(holes[0], ast.Name) or holes[0].id not in _params(function):
            return None
        prefix = "".join(v.value for v in text.values[:text.values.index(next(
            v for v in text.values if isinstance(v, ast.FormattedValue)))])
        suffix = "".join(v.value for v in text.values[text.values.index(next(
            v for v in text.values if isinstance(v, ast.FormattedValue))) + 1:])
        takes = Takes(_params(function), _defaults(function))
        values = [_argument(c, takes, holes[0].id) for c in ast.walk(self.tree)
                  if isinstance(c, ast.Call) and _callee(c) == function.name]
        if not values or not all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values):
            return None
        return [f"{prefix}{v.value}{suffix}" for v in values]

    def severities(self, call: ast.Call, takes: Takes) -> set[str]:
        if takes.severity is not None:
            return {takes.severity}
        node = _argument(call, takes, "severity")
        if node is None:
            return set()
        if (word := _severity_literal(node)) is not None:
            return {word}
        if isinstance(node, ast.Name):  # a parameter passed on, or a local decided at run time: each it may be
            function = self.enclosing(call)
            if node.id in _params(function) and node.id == "severity" and "code" in _params(function):
                return set()  # the enclosing callable takes the severity: collected at its calls
            sources = [_defaults(function).get(node.id)] + [
                a.value for a in ast.walk(function) if isinstance(a, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
            words = {_severity_literal(n) for s in sources if s is not None for n in ast.walk(s)}
            return words - {None}
        return set()

    def enclosing(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None


def emitted_codes() -> tuple[dict[str, Emitted], list[str]]:
    trees = modules()
    takers = code_takers(trees)
    emitted: dict[str, Emitted] = defaultdict(Emitted)
    unresolved: list[str] = []
    for path, tree in trees.items():
        Collector(path, tree, takers).collect(emitted, unresolved)
    return emitted, unresolved


def documented_codes() -> dict[str, str]:
    """code -> its severity cell, from the table in README's "What `check` reports" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## What `check` reports"):]
    section = section[:section.index("\n## ", 1)]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| `")]
    return {code: cells[1].strip() for cells in rows for code in re.findall(r"`([a-z0-9_-]+)`", cells[0])}


@pytest.fixture(scope="module")
def codes():
    return emitted_codes()


def test_every_code_in_the_source_can_be_found(codes):
    _, unresolved = codes
    assert not unresolved, ("problem codes this test cannot read from the source — pass a literal, or teach "
                            "tests/test_readme_codes.py where they come from:\n  " + "\n  ".join(unresolved))


def test_every_problem_code_is_in_the_readme_table_and_the_table_names_no_other(codes):
    emitted, _ = codes
    documented = documented_codes()
    missing = sorted(set(emitted) - set(documented))
    assert not missing, ("problem codes the code emits that README's table (\"What `check` reports\") lacks — add "
                         "a row each (| `code` | severity | what it means | what to do |):\n  "
                         + "\n  ".join(_described(code, emitted[code]) for code in missing))
    extra = sorted(set(documented) - set(emitted))
    assert not extra, f"README's table names problem codes the code never emits: {', '.join(extra)}"


def _described(code: str, emitted: Emitted) -> str:
    severity = ", ".join(sorted(emitted.severities)) or "its severity is decided at run time"
    return f"{code} ({severity}; emitted at {', '.join(emitted.places)})"


def test_the_table_gives_each_code_the_severities_the_code_gives_it(codes):
    emitted, _ = codes
    documented = documented_codes()
    wrong = [f"{code}: the code says {', '.join(sorted(e.severities))}; README says {documented[code]!r}"
             for code, e in sorted(emitted.items()) if code in documented
             and not all(re.search(rf"\b{word}\b", documented[code]) for word in e.severities)]
    assert not wrong, "README's severities differ from the code's:\n  " + "\n  ".join(wrong)


def test_the_collector_finds_codes_of_every_kind(codes):
    """The collector itself: a literal code to problems.warning, to Problem and to a check's
    helper, a wrapper's implied severity, f"bad-{field}", a default, a severity decided at run time."""
    emitted, _ = codes
    assert emitted["no-input"].severities == {"warning"}  # warning(Source("input/"), "no-input", …)
    assert emitted["repeated-entry"].severities == {"note"}  # info(…)
    assert emitted["unknown-client"].severities == {"error"}  # _grouped(…, "unknown-client", ERROR, …)
    assert emitted["dst-ambiguous"].severities == {"error", "warning"}  # for_rows(…) twice
    assert emitted["bad-hours"].severities == {"error"} and "bad-end_date" in emitted  # parsed("hours", …)
    assert "bad-calendar" in emitted  # CalendarError's default
    assert emitted["calendar-owner"].severities == {"error", "warning"}  # as a client bills meetings or not


def test_a_code_the_collector_cannot_read_fails_naming_its_place():
    tree = ast.parse('def check(rows, which):\n'
                     '    return [warning(Source("a.csv"), which, "x"), error(Source("a.csv"), f"bad-{rows}", "y")]\n')
    emitted: dict[str, Emitted] = defaultdict(Emitted)
    unresolved: list[str] = []
    Collector(ROOT / "example.py", tree, code_takers(modules())).collect(emitted, unresolved)
    assert unresolved == ["example.py:2: which", "example.py:2: f'bad-{rows}'"] and not emitted


def _module(place: str) -> str:
    """src/auftakt_batch/check/checks.py:12 -> check.checks (as codes.py names where a code is raised)."""
    path = Path(place.rsplit(":", 1)[0]).relative_to(SOURCE.relative_to(ROOT)).with_suffix("")
    return ".".join(path.parts[:-1] if path.name == "__init__" else path.parts)


def test_every_emitted_code_is_registered_and_every_registered_code_is_emitted(codes):
    emitted, _ = codes
    unregistered = sorted(set(emitted) - set(CODES))
    assert not unregistered, ("problem codes the code emits that auftakt_batch/codes.py does not register (a typo, "
                              "or a new code that needs its entry):\n  "
                              + "\n  ".join(_described(code, emitted[code]) for code in unregistered))
    assert not sorted(set(CODES) - set(emitted)), "codes.py registers codes nothing emits"


def test_the_registry_names_where_each_code_is_raised_and_its_severities(codes):
    emitted, _ = codes
    words = {s.value: s for s in Severity}
    wrong = [f"{name}: raised in {sorted({_module(p) for p in emitted[name].places})}, registered in "
             f"{sorted(code.raised_in)}" for name, code in CODES.items()
             if {_module(p) for p in emitted[name].places} != set(code.raised_in)]
    wrong += [f"{name}: emitted as {sorted(emitted[name].severities)}, registered as "
              f"{[s.value for s in code.severities]}" for name, code in CODES.items()
              if not {words[w] for w in emitted[name].severities} <= set(code.severities)]
    assert not wrong, "codes.py differs from the source:\n  " + "\n  ".join(wrong)


def test_the_readme_table_and_the_registry_name_the_same_codes_with_the_same_severities():
    documented = documented_codes()
    assert sorted(documented) == sorted(CODES)
    wrong = [f"{name}: registered as {', '.join(s.value for s in code.severities)}; README says {documented[name]!r}"
             for name, code in CODES.items()
             if not all(re.search(rf"\b{s.value}\b", documented[name]) for s in code.severities)]
    assert not wrong, "README's severities differ from codes.py's:\n  " + "\n  ".join(wrong)


def test_the_reviewers_flags_are_of_codes_the_checks_emit_on_entries(codes):
    """The review workbook's flags: each of a registered code (`overlap`, as checks emit it — the
    hand-kept mapping had drifted to `overlapping`), raised where entries are checked."""
    emitted, _ = codes
    assert FLAGS["overlap"] == "overlap" and "overlapping" not in FLAGS
    assert all(_module(p).startswith("check.") for code in FLAGS for p in emitted[code].places)


def test_a_problem_with_an_unregistered_code_is_refused_and_problem_takes_the_registered_severity():
    with pytest.raises(ValueError, match="unregistered problem code 'overlapping'"):
        Problem(Source("a.csv", 2), "overlapping", Severity.WARNING, "x")
    assert problem(Source("output/ledger.sqlite"), "ledger", "x").severity is Severity.ERROR
    with pytest.raises(ValueError, match="several severities"):
        problem(Source("rates.yaml"), "calendar-owner", "x")
