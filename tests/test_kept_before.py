"""What the months before a period give the figures, kept between runs (reports/kept.py): a run
whose key is the same reads it and writes the workbook a run that checks those months again
writes; anything the key holds changed, and the months are checked again; a kept file that is
not what was written is ignored, never trusted; `bill` reads what a report kept for the ledger
before it, and writes the report a bill that checks those months writes."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sqlite3
import time
import zipfile
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch import billing
from auftakt_batch import reports as reports_module
from auftakt_batch.billing import bill
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import kept, report
from auftakt_batch.reports.before import Before
from auftakt_batch.reports.status import status

from .conftest import RATES, TODAY, Workspace, copy_demo, edited, examples, ledger_dump
from .test_billing_models import HEADER, KAFFEE, NOVEMBER, OCTOBER
from .test_ingest_cache import WRITTEN_AT
from .test_model_reports import (
    NOVEMBER_ENTRIES,
    OCTOBER_ENTRIES,
    billed,  # noqa: F401 (a fixture: October and November billed, with the models)
)

DECEMBER = parse_period("2026-12")


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """The workspaces whose months before a report checked (in this process: nothing forked)."""
    checked: list[str] = []
    real = reports_module._before

    def counted(workspace, period, inputs, today):
        checked.append(period.label)
        return real(workspace, period, inputs, today)
    monkeypatch.setattr(reports_module, "_before", counted)
    monkeypatch.setattr(reports_module, "forked_call", lambda work, again=None: work)
    return checked


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core: the time written


def key_of(ws: Workspace, period, today: date = TODAY) -> tuple:
    """(The key of the months before `period` as a run makes it, the inputs it read)."""
    files = kept.snapshot(ws.root)
    inputs = reports_module.read_inputs(ws.root)
    return kept.key(ws.root, period, inputs, today, files), inputs


def demo(root: Path) -> Workspace:
    """The repository's demo agency, as a Workspace (its own rates.yaml, not the tests')."""
    ws = Workspace(root)
    shutil.rmtree(ws.root / "input")
    copy_demo(ws.root)
    return ws


def kept_files(ws: Workspace) -> list[Path]:
    folder = ws.root / kept.FOLDER
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def cold(ws: Workspace, period=DECEMBER, today: date = TODAY) -> dict[str, bytes]:
    """The workbook of a report that finds nothing kept (and keeps nothing of its own)."""
    shutil.rmtree(ws.root / kept.FOLDER, ignore_errors=True)
    found = parts(report(ws.root, period, today).path)
    shutil.rmtree(ws.root / kept.FOLDER, ignore_errors=True)
    return found


def test_what_the_months_before_give_comes_back_exactly(billed):  # noqa: F811
    """October and November billed with a retainer, fixed prices and caps: December's months before,
    kept and read back, are frame by frame (values, dtypes, index) what was made."""
    key, inputs = key_of(billed, DECEMBER)
    made_now = reports_module._before(billed.root, DECEMBER, inputs, TODAY)
    assert made_now.entries is not None and len(made_now.entries) and made_now.first_day is not None
    kept.keep(billed.root, key, made_now)
    exactly(made_now, kept.read(billed.root, key))


def exactly(made: Before, found: Before | None) -> None:
    """`found` is `made`: each table's values, dtypes and index, each other field's value and type."""
    assert found is not None
    for field in dataclasses.fields(Before):
        a, b = getattr(made, field.name), getattr(found, field.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, obj=field.name)
        else:
            assert a == b and type(a) is type(b), field.name
    assert made.first_day is None or found.first_day.unit == made.first_day.unit


def test_tables_of_every_shape_come_back_exactly(ws):
    """An index not 0..n, empty tables, none at all, no unheld entries and every one unheld."""
    (ws.root / "output").mkdir()
    frame = pd.DataFrame({"client": pd.array(["a", None, "b"], dtype="str"), "value": [D("1.50"), None, D("-0")],
                          "receipt": pd.Series(["receipts/a.pdf", None, "ü.png"], dtype=object, index=[7, 3, 12]),
                          "seconds": np.array([1, 2, 3], dtype="int64"), "day": pd.to_datetime(["2026-10-01"] * 3)},
                         index=pd.Index([7, 3, 12]))
    assert frame["receipt"].dtype == object  # text as Python objects, as the expenses' receipts are
    for n, before in enumerate((Before(frame, frame.iloc[:0], None, frame.reset_index(drop=True),
                                       pd.Timestamp("2026-10-01"), unheld=frozenset({"x", "y"})),
                                Before(None, None, None, None, None, unheld=None),
                                Before(frame.iloc[1:], None, frame, None, None, unheld=frozenset(), expenses=frame))):
        key = kept.Key(f"{n:064x}", kept.ledger_state(ws.root), kept.snapshot(ws.root))
        kept.keep(ws.root, key, before)
        exactly(before, kept.read(ws.root, key))


def test_the_demo_keeps_its_months_before_with_their_expenses_and_reads_them(tmp_path, made):
    """The demo agency with an October like its November (the dev team's hours, the expenses with
    their receipts), October billed: kept, its November report is the one a run keeping nothing writes."""
    ws = demo(tmp_path)
    (ws.root / "output").mkdir()
    for november, october in (("dev-team-2026-11.csv", "dev-team-2026-10.csv"),
                              ("expenses/expenses-2026-11.csv", "expenses/expenses-2026-10.csv")):
        data = (ws.root / "input" / november).read_bytes()  # as the tracker wrote it (Latin-1, CRLF)
        ws.input(october, data.replace(b".11.2026", b".10.2026").replace(b"2026-11-", b"2026-10-").replace(
            b"receipts/2026-10-", b"receipts/2026-11-"))  # the receipts are November's files
    bill(ws.root, OCTOBER, today=TODAY)
    first = parts(report(ws.root, NOVEMBER, TODAY).path)
    (path,) = kept_files(ws)
    found = kept.read(ws.root, key_of(ws, NOVEMBER)[0])
    assert found is not None and found.expenses is not None and len(found.expenses)
    assert parts(report(ws.root, NOVEMBER, TODAY).path) == first == cold(ws, NOVEMBER)
    assert made == ["2026-11", "2026-11"]  # the first report and the cold one


def test_only_the_last_files_read_are_kept(ws):
    """Each change of the inputs makes a key of its own: the files of the last KEEP read stay."""
    (ws.root / "output").mkdir()
    empty = Before(None, None, None, None, None)
    keys = [kept.Key(f"{n:064x}", kept.ledger_state(ws.root), kept.snapshot(ws.root)) for n in range(kept.KEEP + 3)]
    start = time.time() - 1000
    for n, key in enumerate(keys):
        kept.keep(ws.root, key, empty)
        os.utime(ws.root / kept.FOLDER / f"{key.name}.npz", (start + n,) * 2)  # made one after another
    assert {p.stem for p in kept_files(ws)} == {k.name for k in keys[-kept.KEEP:]}
    assert kept.read(ws.root, keys[-kept.KEEP]) is not None  # the oldest left, read: as if made last
    kept.keep(ws.root, keys[0], empty)  # made again
    assert {p.stem for p in kept_files(ws)} == {k.name for k in [keys[0], keys[-kept.KEEP], *keys[-kept.KEEP + 2:]]}


def test_a_second_report_reads_the_months_before_and_writes_the_same_workbook(billed, made):  # noqa: F811
    first = parts(report(billed.root, DECEMBER, TODAY).path)
    assert made == ["2026-12"] and len(kept_files(billed)) == 1
    second = parts(report(billed.root, DECEMBER, TODAY).path)
    assert made == ["2026-12"]  # not checked again
    status(billed.root, DECEMBER, TODAY)
    assert made == ["2026-12"]  # nor by status
    assert second == first == cold(billed)


def _edit_october(ws: Workspace) -> None:
    """A row added to October's export: work logged late, not billed yet."""
    path = ws.root / "input" / "october.csv"
    path.write_text(path.read_text() + "2026-10-20,Anna Schmidt,kaffee,seo,,Keywords,3,\n")


def _touch_october(ws: Workspace) -> None:
    path = ws.root / "input" / "october.csv"
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 60))


def _add_a_calendar(ws: Workspace) -> None:
    ws.input("calendars/anna.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nEND:VCALENDAR\r\n")


def _rate(ws: Workspace) -> None:
    ws.rates(edited((ws.root / "rates.yaml").read_text(), 'rate: "100.00"', 'rate: "105.00"', count=1))


def _ledger(ws: Workspace) -> None:
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    with conn:
        conn.execute("UPDATE invoices SET pdf_sha256 = pdf_sha256")  # a write (a new token) that changes no figure
    conn.close()


def _review(ws: Workspace) -> None:
    """A review workbook of the months before December (October 5, their first day, to November 30),
    which their check reads: one that cannot be read is an error of theirs."""
    history = DECEMBER.before(date(2026, 10, 5))
    path = ws.root / "output" / history.label / f"review-{history.label}.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a workbook")


CHANGES = {"an earlier export edited": (_edit_october, True), "an export touched": (_touch_october, False),
           "a calendar added": (_add_a_calendar, False), "a rate changed": (_rate, None),
           "the ledger written": (_ledger, False), "a review of the months before saved": (_review, None)}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_anything_the_key_holds_changed_the_months_before_are_checked_again(billed, made, change):  # noqa: F811
    """After each change the report is the one a run with nothing kept writes; where the change
    moves a figure of the months before, it differs from the report before it."""
    before = parts(report(billed.root, DECEMBER, TODAY).path)
    do, moves = CHANGES[change]
    do(billed)
    after = parts(report(billed.root, DECEMBER, TODAY).path)
    assert made == ["2026-12", "2026-12"]  # checked again
    assert len(kept_files(billed)) == 2  # each key its own file
    assert after == cold(billed)
    assert moves is None or (after != before) is moves


def test_the_periods_own_review_saved_reads_what_was_kept(billed, made):  # noqa: F811
    """The reviewer saves the period's review workbook between the report and the bill: the check of
    the months before does not read it, so what they gave is read as kept."""
    report(billed.root, DECEMBER, TODAY)
    assert reports_module.review(billed.root, DECEMBER, TODAY).path.is_file()
    found = parts(report(billed.root, DECEMBER, TODAY).path)
    assert made == ["2026-12"]
    assert found == cold(billed)


def test_another_day_checks_the_months_before_again(billed, made):  # noqa: F811
    report(billed.root, DECEMBER, TODAY)
    later = TODAY - timedelta(days=1)
    found = parts(report(billed.root, DECEMBER, later).path)
    assert made == ["2026-12", "2026-12"]
    assert found == cold(billed, today=later)


def _garbage(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 not a zip")


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def _pickled(path: Path) -> None:
    with path.open("wb") as out:
        np.savez(out, **{"auftakt-batch.before": np.array([object()], dtype=object)})


def _foreign(path: Path) -> None:
    """Another key's file under this key's name: the key it says it was written for is not this one."""
    with np.load(path, allow_pickle=False) as file:
        stored = {name: file[name] for name in file.files}
    text = stored["auftakt-batch.before"].tobytes().replace(path.stem.encode(), b"f" * 64)
    with path.open("wb") as out:
        np.savez(out, **{**stored, "auftakt-batch.before": np.frombuffer(text, dtype=np.uint8)})


def _other_format(path: Path) -> None:
    with np.load(path, allow_pickle=False) as file:
        stored = {name: file[name] for name in file.files}
    text = stored["auftakt-batch.before"].tobytes().replace(b'"format": 1', b'"format": 0')
    with path.open("wb") as out:
        np.savez(out, **{**stored, "auftakt-batch.before": np.frombuffer(text, dtype=np.uint8)})


@pytest.mark.parametrize("spoil", [_garbage, _truncated, _pickled, _foreign, _other_format], ids=lambda f: f.__name__[1:])
def test_a_spoilt_kept_file_is_made_again_never_trusted(billed, made, spoil):  # noqa: F811
    first = parts(report(billed.root, DECEMBER, TODAY).path)
    (path,) = kept_files(billed)
    spoil(path)
    assert parts(report(billed.root, DECEMBER, TODAY).path) == first
    assert made == ["2026-12", "2026-12"]
    assert kept.read(billed.root, key_of(billed, DECEMBER)[0]) is not None  # written again, whole


def test_nothing_is_kept_when_the_ledger_changed_while_the_months_before_were_checked(billed, monkeypatch):  # noqa: F811
    real = reports_module._before

    def billing_beside(workspace, period, inputs, today):
        found = real(workspace, period, inputs, today)
        _ledger(billed)  # as a billing run beside this report would
        return found
    monkeypatch.setattr(reports_module, "_before", billing_beside)
    monkeypatch.setattr(reports_module, "forked_call", lambda work, again=None: work)
    report(billed.root, DECEMBER, TODAY)
    assert kept_files(billed) == []


LATE = HEADER + "2026-10-20,Anna Schmidt,kaffee,seo,,Keywords,3,\n"  # October's work logged late, unbilled


def test_an_export_removed_while_the_inputs_are_read_keeps_nothing(october, monkeypatch):
    """The months before checked with an export that is gone by the time the key is made: kept under
    the key of the workspace without it, the next report would count it still."""
    october.input("october-late.csv", LATE)
    real = reports_module.read_inputs

    def read_then_removed(workspace):
        found = real(workspace)
        (workspace / "input" / "october-late.csv").unlink()  # as a user moving it out meanwhile
        return found
    monkeypatch.setattr(reports_module, "read_inputs", read_then_removed)
    report(october.root, NOVEMBER, TODAY)
    assert kept_files(october) == []


@pytest.mark.parametrize("when", ["read", "checked"])
def test_an_expense_export_saved_while_the_months_before_are_made_keeps_nothing(tmp_path, monkeypatch, when):
    """October's expenses saved again just after input/ was read, or while the months before were
    checked: what was made of the old file must not be kept under the new one's key."""
    ws = demo(tmp_path)
    (ws.root / "output").mkdir()
    data = (ws.root / "input" / "expenses" / "expenses-2026-11.csv").read_bytes()
    path = ws.input("expenses/expenses-2026-10.csv", data.replace(b"2026-11-", b"2026-10-").replace(
        b"receipts/2026-10-", b"receipts/2026-11-"))

    def saved() -> None:
        path.write_bytes(path.read_bytes() + b"2026-10-30,Clara Wei\xc3\x9f,Xenia,care,Fonts,Webfont,40.00,EUR,yes,\n")
    real_read, real_before = reports_module.read_inputs, reports_module._before
    if when == "read":
        monkeypatch.setattr(reports_module, "read_inputs", lambda workspace: (real_read(workspace), saved())[0])
    else:
        monkeypatch.setattr(reports_module, "_before", lambda *args: (real_before(*args), saved())[0])
    monkeypatch.setattr(reports_module, "forked_call", lambda work, again=None: work)
    report(ws.root, NOVEMBER, TODAY)
    assert kept_files(ws) == []


def test_a_bill_whose_inputs_change_while_it_checks_reads_nothing_kept(october, tmp_path, monkeypatch):
    """A report kept the months before without October's late export; it is put back, and moved out
    again while the bill checks: the bill counts it, so what was kept without it must not be read."""
    late = october.input("october-late.csv", LATE)
    again = Workspace(tmp_path / "again")
    shutil.copytree(october.root, again.root, dirs_exist_ok=True)
    moved = late.read_bytes()
    late.unlink()
    report(october.root, NOVEMBER, TODAY)  # keeps the months before without it
    late.write_bytes(moved)
    real = billing.check

    def check_then_moved(workspace, period, today):
        run = real(workspace, period, today)
        if workspace == october.root:
            (workspace / "input" / "october-late.csv").unlink()
        return run
    monkeypatch.setattr(billing, "check", check_then_moved)
    tabled = tabling(monkeypatch)
    assert _billed_outputs(october) == _billed_outputs(again)
    assert tabled == ["tabled", "tabled"]  # neither read what was kept


def test_a_kept_file_that_cannot_be_touched_is_read_all_the_same(billed, made, monkeypatch):  # noqa: F811
    """Another user's kept file, or a read-only workspace: its time cannot be set, it is read."""
    first = parts(report(billed.root, DECEMBER, TODAY).path)

    def refused(*args):
        raise PermissionError("read-only file system")
    monkeypatch.setattr(kept.os, "utime", refused)
    assert parts(report(billed.root, DECEMBER, TODAY).path) == first
    assert made == ["2026-12"]


def test_months_before_with_an_input_that_cannot_be_read_are_not_kept(tmp_path):
    """A calendar of a client who bills meetings that cannot be read (a broken file; one that timed
    out on a busy machine) may read next time: what the months before gave without it is not kept."""
    ws = demo(tmp_path)
    (ws.root / "output").mkdir()
    ws.input("calendars/broken.ics", "BEGIN:VCALENDAR\r\nthis is not a calendar\r\n")
    data = (ws.root / "input" / "dev-team-2026-11.csv").read_bytes()
    ws.input("dev-team-2026-10.csv", data.replace(b".11.2026", b".10.2026"))
    found = report(ws.root, NOVEMBER, TODAY)
    assert "input/calendars/broken.ics" in found.run.unreadable
    assert kept_files(ws) == []


def test_a_workspace_without_output_keeps_nothing(tmp_path):
    ws = Workspace(tmp_path).with_templates()
    ws.rates(RATES + KAFFEE)
    ws.input("october.csv", HEADER + OCTOBER_ENTRIES)
    key, inputs = key_of(ws, NOVEMBER)
    assert key is not None
    kept.keep(ws.root, key, reports_module._before(ws.root, NOVEMBER, inputs, TODAY))
    assert not (ws.root / "output").exists()


@pytest.fixture
def october(ws) -> Workspace:
    """October billed with the models; November's entries in input/, not yet billed."""
    ws.rates(RATES + KAFFEE)
    ws.with_templates()
    ws.input("october.csv", HEADER + OCTOBER_ENTRIES)
    bill(ws.root, OCTOBER, today=TODAY)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    return ws


def tabling(monkeypatch) -> list[str]:
    """Each time the months before are tabled from their check (not read as kept)."""
    tabled: list[str] = []
    real = reports_module.before_figures
    monkeypatch.setattr(reports_module, "before_figures", lambda *a: tabled.append("tabled") or real(*a))
    return tabled


def _billed_outputs(ws: Workspace) -> tuple:
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert result.report is not None and result.issued
    pdfs = {p.relative_to(ws.root).as_posix(): p.read_bytes() for p in sorted((ws.root / "output").rglob("*.pdf"))}
    return parts(result.report.path), [WRITTEN_AT.sub("'…Z'", line) for line in ledger_dump(ws.root)], pdfs


def test_a_bill_after_a_report_reads_the_months_before_kept_and_reports_what_it_would_have(october, tmp_path,
                                                                                         monkeypatch):
    """October billed with a retainer, fixed prices and caps, November's invoices reserved: the bill's
    report from what November's report kept for the ledger before them is the one made from the months
    before checked again with them in the ledger."""
    again = Workspace(tmp_path / "again")
    shutil.copytree(october.root, again.root, dirs_exist_ok=True)
    report(october.root, NOVEMBER, TODAY)  # keeps the months before
    assert len(kept_files(october)) == 1
    tabled = tabling(monkeypatch)
    with_kept = _billed_outputs(october)
    assert tabled == []  # read as kept: not tabled again
    without = _billed_outputs(again)
    assert tabled == ["tabled"]
    assert with_kept == without


def test_a_bill_that_finishes_an_earlier_runs_invoice_checks_the_months_before_again(october, monkeypatch):
    """A pending invoice of an earlier run (a crash left it) may be of the months before: issued by
    this run, it changes them, so what a report kept before is not read."""
    real_render = billing._render

    def crashed(todo, *args, **kwargs):
        list(todo)  # every invoice reserved, then the run dies before a PDF is written
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(billing, "_render", crashed)
    with pytest.raises(RuntimeError):
        bill(october.root, NOVEMBER, today=TODAY)
    monkeypatch.setattr(billing, "_render", real_render)
    report(october.root, NOVEMBER, TODAY)  # keeps the months before, November's invoices pending in the ledger
    read: list[object] = []
    real_kept = billing.kept_before
    monkeypatch.setattr(billing, "kept_before", lambda *args: read.append(found := real_kept(*args)) or found)
    tabled = tabling(monkeypatch)
    result = bill(october.root, NOVEMBER, today=TODAY)
    assert result.issued and all(i.finished for i in result.issued)
    assert read and read[0] is not None  # what the report kept is for this ledger...
    assert tabled == ["tabled"]  # ...and the months before are tabled again all the same


# Exports of September to November (month, day, person, client, minutes), each state's files written
# with fixed modification times; between states, October billed, a rate changed or nothing at all.
work = st.lists(st.tuples(st.sampled_from([9, 10, 11]), st.integers(1, 28), st.integers(0, 1), st.integers(0, 1),
                          st.sampled_from([30, 60, 90])), min_size=1, max_size=6)
changes = st.sampled_from(["nothing", "bill October", "a rate", "the day before"])


def _write_exports(ws: Workspace, rows: list[tuple], step: int) -> None:
    shutil.rmtree(ws.root / "input")
    (ws.root / "input").mkdir()
    for month in sorted({r[0] for r in rows}):
        text = NATIVE + "".join(f"2026-{m:02d}-{day:02d},{PEOPLE[who]},{CLIENTS[client]},,,{m}-{day} work,"
                                f"{minutes / 60:.2f},yes\n" for m, day, who, client, minutes in rows if m == month)
        path = ws.input(f"2026-{month:02d}.csv", text)
        os.utime(path, (1_790_000_000 + step * 100 + month,) * 2)


NATIVE = "date,person,client,job,task,description,hours,billable\n"
PEOPLE = ["Anna Schmidt", "Ben Okafor"]
CLIENTS = ["ACME GmbH", "Globex Corporation"]


@settings(max_examples=examples(3), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(work, changes), min_size=2, max_size=3))
def test_reports_from_what_was_kept_are_the_reports_of_runs_that_keep_nothing(tmp_path_factory, states):
    """Exports edited, added and deleted, October billed, a rate changed, another day: November's
    report and status, from what earlier runs kept where nothing changed, are a cold run's."""
    warm, cold_ws = (Workspace(tmp_path_factory.mktemp(name)).with_templates() for name in ("warm", "cold"))
    for ws in (warm, cold_ws):
        (ws.root / "output").mkdir()
    today = TODAY
    for step, (rows, change) in enumerate(states):
        for ws in (warm, cold_ws):
            _write_exports(ws, rows, step)
            if change == "bill October":
                bill(ws.root, OCTOBER, today=today)
            if change == "a rate":  # ACME's: 120.00, then 120.01, 120.02...
                ws.rates(re.sub(r'(\n    rate: "120\.)(\d\d)"', lambda m: f'{m[1]}{int(m[2]) + 1:02d}"',
                                (ws.root / "rates.yaml").read_text(), count=1))
        today = today - timedelta(days=1) if change == "the day before" else today
        for _ in range(2):  # the second from what the first kept
            shutil.rmtree(cold_ws.root / kept.FOLDER, ignore_errors=True)
            assert parts(report(warm.root, NOVEMBER, today).path) == parts(report(cold_ws.root, NOVEMBER, today).path)
            shutil.rmtree(cold_ws.root / kept.FOLDER, ignore_errors=True)
            assert status(warm.root, NOVEMBER, today)[1:] == status(cold_ws.root, NOVEMBER, today)[1:]  # [0]: its run
        assert kept_files(warm)
