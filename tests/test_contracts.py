"""One contract per column: every column of every stage is a schema field that says where it is
born, each stage gives exactly its schema's columns, and the code names columns through the
schemas — a string literal that equals a column name, used as a column, fails here."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

import auftakt_batch
from auftakt_batch.billing import reviewed
from auftakt_batch.check.decisions import NO_DECISIONS, review_applied
from auftakt_batch.ledger import read_book
from auftakt_batch.periods import parse_period
from auftakt_batch.pricing import price
from auftakt_batch.reports import review
from auftakt_batch.reports.figures import entry_table
from auftakt_batch.schemas import (
    ENTRY_STAGES,
    SCHEMAS,
    PricedEntries,
    ReportEntries,
    ReviewDecisions,
    ReviewedEntries,
    conforms,
)

from .conftest import TODAY

PACKAGE = Path(auftakt_batch.__file__).parent
COLUMNS = frozenset(name for schema in ENTRY_STAGES for name in schema.to_schema().columns)
HEADER = "date,person,client,job,task,description,hours,billable\n"
ENTRIES = ("2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
           "2026-11-04,Anna Schmidt,ACME,website,,Navigation,2,\n"
           "2026-11-07,Ben Okafor,globex,app,,API,2,\n"
           "2026-11-08,Ben Okafor,Nobody,x,,y,1,\n")

# Modules not converted yet, each with why; to be emptied, never added to.
NOT_YET = {
    "ingest": "works on the export's fields (ingest/formats FIELDS, the formats' vocabulary as data); "
              "RawEntries is born from them in build_entries",
    "calendars": "meetings and absences are the calendars' own frames (person, date, start, …)",
    "check/reconcile.py": "compares the ledger's billed entries (day, person, …) with the exports",
    "check/overlaps.py": "pairs of spans by person and day, its own frame",
    "check/capacity.py": "missing days (person, date), its own frame",
    "billing/accept.py": "the ledger's rows of an invoice being accepted",
    "pricing/invoices.py": "rewritten by the Charge change (issue 19, helper charge): convert after it is merged",
    "config/clients.py": "a job field of rates.yaml, not a frame",
}
# In converted modules: other tables' columns that share a name with an entry column.
OTHER_TABLES = {
    "reports/figures.py": {"client", "job", "currency", "person", "date", "value"},  # client/job/budget/team/
    # gap/invoice tables (figures.clients …), absences and missing days, untracked meetings
    "reports/workbook.py": {"client", "job", "currency", "value", "billable"},  # those tables, and their letters
    "reports/review.py": {"client"},  # the first sheet's table of clients
    "reports/summary.py": {"person", "date", "duration_s"},  # absences; untracked meetings
    "reports/totals.py": {"currency", "value"},  # the totals rows' columns (figures.clients, figures.jobs)
    "reports/trend_sheets.py": {"client", "job", "value"},  # the Months table (figures.months), the budgets' scopes
    "reports/overview.py": {"client", "job", "currency", "value", "billable"},  # the Overview's rows (figures.clients,
    # figures.budgets)
    "reports/status.py": {"client", "job", "currency"},  # the status table of clients; the models' tables
    "reports/months.py": {"client", "client_key", "job", "value"},  # its facts per client and month; next_bill's
    # client, job and value; the retainers' table and the book's invoice lines (ledger rows), as in reports/models.py
    "reports/history.py": {"client"},  # the sums per month and client of the entries still to bill (before.UNBILLED)
    "reports/models.py": {"client", "job", "currency", "client_key", "job_key"},  # the book's invoice lines (ledger
    # rows) and the tables of retainer periods, fixed prices and caps
    "reports/sheets.py": {"date", "currency"},  # a cell's kind; a table's currency column
    "check/checks.py": {"person"},  # overlaps.coverings' frame
    "ledger/writing.py": {"client_key", "currency"},  # a payment's row (record_payments)
    "ledger/reminders.py": {"client_key", "currency"},  # SQL rows: the reminders table (ledger/schema.py)
    "render/reminder.py": {"date"},  # the labels' {date} placeholder (templates/labels.yaml)
    "ledger/reading.py": {"entry_id", "client_key", "currency", "job_key"},  # SQL rows: ledger/schema.py's tables
}
ASSIGNING = {"assign"}
NAMING = {"set_index", "groupby", "sort_values", "drop_duplicates", "pivot_table"}  # first argument: columns
NAMING_KEYWORDS = {"columns", "on", "by", "subset", "left_on", "right_on", "index"}


def texts(node: ast.AST) -> Iterator[ast.Constant]:
    """The string constants a subscript, list, tuple or dict spells out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for element in node.elts:
            yield from texts(element)
    elif isinstance(node, ast.Dict):
        for part in (*node.keys, *node.values):
            if part is not None:
                yield from texts(part)


def named_columns(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) for each string used where a frame's column is named: a subscript, an
    `assign(name=…)` or `assign(**{…})`, the columns argument of a grouping, indexing, sorting or
    merging call, `columns=`, `on=`, `by=`, `subset=`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            yield from ((c.lineno, c.value) for c in texts(node.slice))
        elif isinstance(node, ast.Call):
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if method in ASSIGNING:
                for keyword in node.keywords:
                    if keyword.arg is None:
                        yield from ((c.lineno, c.value) for c in texts(keyword.value) if isinstance(keyword.value,
                                                                                                      ast.Dict))
                    else:
                        yield node.lineno, keyword.arg
            if method in NAMING and node.args:
                yield from ((c.lineno, c.value) for c in texts(node.args[0]))
            for keyword in node.keywords:
                if keyword.arg in NAMING_KEYWORDS:
                    yield from ((c.lineno, c.value) for c in texts(keyword.value))


def test_the_finder_sees_each_way_a_column_is_named():
    code = ("frame['rate']; frame.loc[:, 'billed_s']; frame[['value', 'cost']]; frame.assign(flags=x)\n"
            "frame.assign(**{'invoice': y}); pd.DataFrame(rows, columns=['error']); frame.groupby('client_key')\n"
            "frame.set_index('entry_id'); a.merge(b, on=['slot']); frame.rename(columns={'person': 'x'})\n"
            "frame[P.rate]; frame.assign(**{P.value: z}); print('tracker'); f(date=1)\n")
    assert sorted(name for _, name in named_columns(ast.parse(code))) == sorted(
        ["rate", "billed_s", "value", "cost", "flags", "invoice", "error", "client_key", "entry_id", "slot", "person",
         "x"])


def test_src_names_columns_through_the_schemas():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        if any(where == m or where.startswith(f"{m}/") for m in NOT_YET):
            continue
        allowed = OTHER_TABLES.get(where, set())
        found += [f"{where}:{line}: {name!r}" for line, name in named_columns(ast.parse(path.read_text()))
                  if name in COLUMNS and name not in allowed]
    assert found == [], "name these columns through their schema (E.rate, P.billed_s, …)"


def test_every_field_of_every_stage_says_what_it_holds_and_where_it_is_born():
    for schema in SCHEMAS:
        for name, column in schema.to_schema().columns.items():
            assert column.description and " — set by " in column.description, f"{schema.__name__}.{name}"
            what, where = column.description.split(" — set by ", 1)
            assert what.strip() and where.strip(), f"{schema.__name__}.{name}"


def test_each_stage_adds_its_own_columns_only():
    """A stage's model holds what the one before held and what the stage adds: nothing is redeclared."""
    for before, stage in zip(ENTRY_STAGES, ENTRY_STAGES[1:]):
        assert set(stage.to_schema().columns) == set(before.to_schema().columns) | set(stage.own)
        assert not set(before.to_schema().columns) & set(stage.own), stage.__name__


def test_every_column_of_every_stage_is_a_field_of_its_schema(ws):
    """The frames as the stages give them: exactly their schema's columns, passing it — an entry with
    an error included (it is priced and reported, counted in no total)."""
    ws.with_templates().input("week.csv", HEADER + ENTRIES)
    run = ws.check(today=TODAY)
    priced = price(run.entries, run.config)
    assert set(priced.columns) == set(PricedEntries.to_schema().columns)
    PricedEntries.validate(priced, lazy=True)
    final = reviewed(priced, NO_DECISIONS)
    assert set(final.columns) == set(ReviewedEntries.to_schema().columns)
    ReviewedEntries.validate(final, lazy=True)
    report = entry_table(run, read_book(ws.root / "output" / "ledger.sqlite"), run.config)
    assert set(report.columns) == set(ReportEntries.to_schema().columns)
    assert report[ReportEntries.error].any()
    ReportEntries.validate(report, lazy=True)
    assert conforms(ReviewDecisions.columns, NO_DECISIONS)


def test_the_decisions_read_from_a_review_are_review_decisions(ws):
    ws.with_templates().input("week.csv", HEADER + ENTRIES)
    path = review(ws.root, parse_period("2026-11"), today=TODAY).path
    book = load_workbook(path)
    sheet = book["acme"]
    head = [c.value for c in sheet[1]]
    sheet.cell(2, head.index("approve") + 1).value = "no"
    sheet.cell(3, head.index("bill_hours") + 1).value = 1
    book.save(path)
    decisions = ws.check(today=TODAY).decisions
    assert len(decisions) == 3
    ReviewDecisions.validate(decisions, lazy=True)
    assert decisions[ReviewDecisions.approve].tolist().count(False) == 1
    assert decisions[ReviewDecisions.bill_s].dropna().tolist() == [3600]


def test_the_review_is_applied_in_one_place_for_billing_and_the_reports(ws):
    """Billing's `reviewed` and the report's entry table read the decisions through the same rule:
    a no holds an entry back, a smaller bill_hours writes it down, a larger one changes nothing."""
    ws.with_templates().input("week.csv", HEADER + ENTRIES)
    run = ws.check(today=TODAY)
    priced = price(run.entries[run.entries["client_key"].eq("acme")], run.config)
    ids = priced[PricedEntries.entry_id].tolist()
    decisions = pd.DataFrame({"entry_id": ids, "client": "acme", "sheet": "acme", "row": [2, 3], "approve_raw": ["no", None],
                              "bill_raw": [None, 1], "person": "Anna Schmidt", "day": None, "job": "website",
                              "approve": [False, True], "bill_s": pd.array([None, 3600], dtype="Int64")}
                             ).astype({c: object for c in ("approve_raw", "bill_raw", "person", "day", "job")})
    ReviewDecisions.validate(decisions)
    applied = review_applied(priced[PricedEntries.entry_id], priced[PricedEntries.billed_s], decisions)
    assert applied.held.tolist() == [True, False]
    assert applied.billed_s.tolist() == [5400, 3600]
    assert applied.written_down_from.isna().tolist() == [True, False]
    final = reviewed(priced, decisions)
    assert final[PricedEntries.entry_id].tolist() == ids[1:]
    assert final[ReviewedEntries.billed_s].tolist() == [3600]
    assert final[ReviewedEntries.written_down_from].tolist() == [7200]
    up = decisions.assign(bill_s=decisions[ReviewDecisions.bill_s].astype("Int64") * 3)
    assert reviewed(priced, up)[ReviewedEntries.billed_s].tolist() == [7200]
