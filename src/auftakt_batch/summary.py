"""What `check` tells the user: the one-screen summary and the JSON document."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from .pipeline import CheckRun
from .problems import Severity, by_code

TWO_PLACES = Decimal("0.01")


def hours_by_client(run: CheckRun) -> pd.DataFrame:
    """Seconds logged and billable per resolved client (rows with a readable duration)."""
    e = run.entries
    if e.empty:
        return pd.DataFrame({"seconds": [], "billable_seconds": []}, dtype="int64")
    known = e[e["client_key"].notna() & e["duration_s"].notna()]
    return (known.assign(seconds=known["duration_s"].astype("int64"),
                         billable_seconds=known["duration_s"].astype("int64").where(known["billable"], 0))
            .groupby("client_key")[["seconds", "billable_seconds"]].sum().sort_index())


def hours(seconds: int) -> Decimal:
    return (Decimal(int(seconds)) / 3600).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def as_json(run: CheckRun) -> dict:
    table = hours_by_client(run)
    return {
        "period": run.period.label,
        "files": [f.path for f in run.files],
        "entries": len(run.entries),
        "hours": {key: float(hours(s)) for key, s in table["seconds"].items()},
        "problems": [p.as_dict() for p in run.problems],
    }


def as_text(run: CheckRun) -> str:
    p = run.period
    lines = [f"Period    {p.label} ({p.start} .. {p.end})"]
    if run.config is None:
        lines.append("Files     not read: rates.yaml must load first")
    else:
        lines += _files(run)
        lines.append(f"Entries   {len(run.entries)} in the period · {run.outside_period} outside it, ignored · "
                     f"{run.repeated} repeated across files, counted once")
        lines += _hours(run)
    lines += _problems(run)
    return "\n".join(lines)


def _files(run: CheckRun) -> list[str]:
    unreadable = f", {len(run.unreadable)} unreadable" if run.unreadable else ""
    lines = [f"Files     {len(run.files)} read{unreadable}"]
    width = max((len(f.path) for f in run.files), default=0)
    for f in run.files:
        detail = ", ".join(x for x in (f.format, f.encoding, _separator_name(f.separator)) if x)
        lines.append(f"          {f.path:<{width}}  {plural(f.rows, 'row'):>10}  {detail}")
    lines += [f"          {path}  UNREADABLE" for path in run.unreadable]
    return lines


def _hours(run: CheckRun) -> list[str]:
    table = hours_by_client(run)
    lines = ["Hours     none logged for known clients in this period"]
    if not table.empty:
        width = max(len(k) for k in table.index) + 2
        lines = [f"Hours     {'client':<{width}}{'logged':>10}{'billable':>10}"]
        for key, row in table.iterrows():
            lines.append(f"          {key:<{width}}{hours(row.seconds):>10}{hours(row.billable_seconds):>10}")
        lines.append(f"          {'total':<{width}}{hours(table['seconds'].sum()):>10}"
                     f"{hours(table['billable_seconds'].sum()):>10}")
    unresolved = run.entries[run.entries["client_key"].isna() & run.entries["duration_s"].notna()]
    if len(unresolved):
        count = "1 entry" if len(unresolved) == 1 else f"{len(unresolved)} entries"
        lines.append(f"          plus {hours(unresolved['duration_s'].sum())} h in {count} "
                     "of unknown clients (see the errors)")
    return lines


def _problems(run: CheckRun) -> list[str]:
    counts = {s: sum(1 for x in run.problems if x.severity is s) for s in Severity}
    lines = [f"Problems  {plural(counts[Severity.ERROR], 'error')} · {plural(counts[Severity.WARNING], 'warning')} · "
             f"{plural(counts[Severity.INFO], 'note')}"]
    names = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    lines += [f"          {code:<24}{n:>6} {names[severity]}{'' if n == 1 else 's'}"
              for code, severity, n in by_code(run.problems)]
    if counts[Severity.ERROR]:
        lines.append("Result    NOT READY: fix the errors above; they hold back the invoices they touch")
    else:
        lines.append("Result    OK: no errors")
    return lines


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _separator_name(sep: str | None) -> str | None:
    return {",": "comma", ";": "semicolon", "\t": "tab"}.get(sep) if sep else None
