"""Problems: what is wrong with the user's data, and where.

Every stage returns `(result, problems)` instead of raising on bad input. A problem points
at a place the user can open: a file, a row as a spreadsheet shows it (the header is row 1),
and a column as the file names it; for rates.yaml the line and the key path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .codes import Severity, lookup

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Source:
    file: str
    row: int | None = None
    column: str | None = None
    key: str | None = None  # rates.yaml key path, e.g. clients.acme.jobs.web.rate

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(str(self.row))
            if self.column:
                parts.append(self.column)
        text = ":".join(parts)
        return f"{text}: {self.key}" if self.key else text


@dataclass(frozen=True)
class Problem:
    source: Source
    code: str
    severity: Severity
    message: str
    rows: tuple[int, ...] = ()  # every row of source.file this problem covers, when it covers several
    client: str | None = None  # the one client an error holds back when it is about no entry (a review sheet)

    def __post_init__(self) -> None:
        lookup(self.code)  # a code must be registered (codes.py): a typo fails here, not in a user's summary

    def __str__(self) -> str:
        if self.code == "config" and self.severity is Severity.ERROR:
            # rates.yaml's contract (PRODUCT.md): rates.yaml:LINE: key.path: message
            return f"{self.source}: {self.message}"
        return f"{self.source}: {self.severity}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "file": self.source.file,
            "row": self.source.row,
            "column": self.source.key or self.source.column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            **({"rows": list(self.rows)} if self.rows else {}),
        }

    def locations(self) -> list[tuple[str, int]]:
        """(file, row) of every entry this problem is about."""
        rows = self.rows or ((self.source.row,) if self.source.row is not None else ())
        return [(self.source.file, row) for row in rows]


def problem(source: Source, code: str, message: str) -> Problem:
    """A problem with its code's one severity, as registered (codes.py)."""
    return Problem(source, code, lookup(code).severity, message)


def error(source: Source, code: str, message: str) -> Problem:
    return Problem(source, code, Severity.ERROR, message)


def warning(source: Source, code: str, message: str) -> Problem:
    return Problem(source, code, Severity.WARNING, message)


def info(source: Source, code: str, message: str) -> Problem:
    return Problem(source, code, Severity.INFO, message)


def for_rows(rows: pd.DataFrame, column: str | None, code: str, severity: Severity,
             message: Callable[[Any], str]) -> list[Problem]:
    """One problem per row of a frame that has source_file and source_row (rows are few here)."""
    if rows.empty:  # the usual case: skip building a row type for no rows
        return []
    return [Problem(Source(r.source_file, int(r.source_row), column), code, severity, message(r))
            for r in rows.itertuples(index=False)]


def selected(rows: pd.DataFrame, mask: pd.Series, **values: object) -> pd.DataFrame:
    """`rows.assign(**values)[mask]`, the rows a problem is about — built only if `mask` selects
    any (most select none)."""
    return rows.assign(**values)[mask] if mask.any() else rows.iloc[:0]


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 entry', '3 entries': a count and its noun, for messages."""
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def error_rows(problems: Iterable[Problem]) -> set[tuple[str, int]]:
    """(file, row) of every entry that an error is about: these entries are held back."""
    return {loc for p in problems if p.severity is Severity.ERROR and p.client is None for loc in p.locations()}


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def sort_key(problem: Problem) -> tuple:
    src = problem.source
    return (src.file, src.row or 0, src.column or "", src.key or "", problem.code)


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=sort_key)


def by_code(problems: Iterable[Problem]) -> list[tuple[str, Severity, int]]:
    """(code, severity, count) for the summary, most severe and most frequent first."""
    counts = Counter((p.code, p.severity) for p in problems)
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(
        ((code, sev, n) for (code, sev), n in counts.items()),
        key=lambda t: (rank[t[1]], -t[2], t[0]),
    )


def relabel(problems: Iterable[Problem], labels: Mapping[str, Mapping[str, str]]) -> list[Problem]:
    """Replace canonical column names by the header text each file actually uses."""
    out = []
    for p in problems:
        mapping = labels.get(p.source.file, {})
        column = p.source.column
        if column is not None and mapping.get(column, column) != column:
            p = replace(p, source=replace(p.source, column=mapping[column]))
        out.append(p)
    return out
