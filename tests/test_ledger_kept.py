"""The ledger's large reads kept under its token (ledger/kept.py): trusted only while every row is
the same, whoever wrote the ledger since, and never a reason to bill anything twice."""

import json
import os
import shutil
import sqlite3
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch import ledger
from auftakt_batch.ledger import kept, reading
from auftakt_batch.ledger.schema import TRIGGERS, WRITTEN_TABLES
from auftakt_batch.pricing.invoices import Billed

from .conftest import examples
from .test_ledger import AT, PATTERN, bill, draft


@pytest.fixture(autouse=True)
def forgotten():
    """Each test starts with nothing kept in this process (the memo is the process's, across tests)."""
    kept._in_process.clear()
    kept._followed.clear()
    yield
    kept._in_process.clear()
    kept._followed.clear()


READ = reading.billed  # as it is: a test may count what the code under test asks of it


def fresh(path) -> pd.DataFrame:
    """The live billed entries as the ledger holds them now, read past anything kept."""
    conn = sqlite3.connect(path)
    try:
        return READ(conn, ledger.SCHEMA_VERSION)
    finally:
        conn.close()


def token(path, whole: bool = False) -> str:
    """The token's bytes, as hex; `whole`: as what is kept is keyed by (kept.token)."""
    conn = sqlite3.connect(path)
    try:
        return kept.token(conn, ledger.SCHEMA_VERSION) if whole else conn.execute(
            "SELECT hex(token) FROM written").fetchone()[0]
    finally:
        conn.close()


def kept_file(path):
    return path.parent / kept.FOLDER / "billed.npz"


@pytest.fixture
def path(tmp_path):
    """A ledger with two invoices: one issued, one pending."""
    at = tmp_path / "output" / "ledger.sqlite"
    conn = ledger.connect(at)
    bill(conn, ["a", "b"])
    ledger.mark_issued(conn, "2026-0001", "x.pdf", "00")
    bill(conn, ["c"], client="globex")
    conn.close()
    return at


def test_what_is_kept_reads_back_exactly_as_the_ledger_gives_it(path):
    conn = ledger.connect(path)  # c edited since (its new version, with a start and a source), b deleted
    now = Billed(entry_id="c2", slot="t:c2", day=date(2026, 11, 3), person="Anna Schmidt", description="edited",
                 billed_s=3000, duration_s=2950, start="2026-11-03T09:00:00", source="input/t.csv:4")
    ledger.record_accepted(conn, [("c", now)], ["b"])
    conn.close()
    first = ledger.read_billed(path)
    assert kept_file(path).is_file()
    pd.testing.assert_frame_equal(first, fresh(path))
    kept._in_process.clear()  # another run: from the file
    again = ledger.read_billed(path)
    pd.testing.assert_frame_equal(again, fresh(path))
    assert [type(v) for v in again["start"]] == [type(v) for v in fresh(path)["start"]]  # None stays None
    book = ledger.read_book(path)
    assert list(book.billed.columns) == reading.BOOK_BILLED_COLUMNS
    assert book.billed[["entry_id", "number"]].values.tolist() == [["a", "2026-0001"], ["b", "2026-0001"],
                                                                    ["c", "2026-0002"], ["c2", "2026-0002"]]
    assert set(book.billed["unit_price"]) == {Decimal("120.00")} and set(book.billed["charge"]) == {"hours"}


def test_a_frame_taken_from_what_is_kept_and_changed_changes_nothing_kept(path):
    taken = ledger.read_billed(path)
    taken.loc[0, "description"] = "changed by its reader"
    taken["billed_s"] *= 2
    assert ledger.read_billed(path).equals(fresh(path))


ROWS = {  # a row of each table, as another program might insert it
    "invoices": "(number, year, seq, kind, client_key, period, issue_date, due_date, stamped_at, currency, vat_mode, "
                "vat_rate, net, vat, gross, status) VALUES ('2026-0099', 2026, 99, 'invoice', 'acme', '2026-11', "
                "'2026-12-01', '2026-12-15', '2026-12-01T12:00:00+01:00', 'EUR', 'standard', '19', '1', '0.19', "
                "'1.19', 'pending')",
    "invoice_lines": "(invoice_id, position, job_key, job_name, detail, first_day, last_day, quantity, unit_price, "
                     "amount) VALUES (1, 99, 'w', 'W', '', '2026-11-01', '2026-11-01', '1', '1', '1')",
    "billed_entries": "(entry_id, invoice_id, position, slot, day, person, description, billed_s, live) VALUES "
                      "('z', 1, 1, 't:z', '2026-11-02', 'Anna Schmidt', 'work', 60, 0)",
    "charges": "(invoice_id, position, kind, key, unit, quantity, unit_price, live) VALUES "
               "(1, 1, 'hours', 'z', 'HUR', '0.0167', '120.00', 0)",
    "messages": "(number, message_id, recipients, started_at, state) VALUES ('2026-0001', '<x@y>', 'a@b.example', "
                "'2026-12-01T10:00:00Z', 'sent')",
    "payments": "(booking_id, number, client_key, amount, currency, rule, booking_date, source, recorded_at) VALUES "
                "('b1', '2026-0001', 'acme', '1.00', 'EUR', 'number', '2026-12-01', 'bank.xml:1', "
                "'2026-12-01T10:00:00Z')",
    "reminders": "(number, level, issue_date, pay_by, days_overdue, paid, open, fee, fees_before, currency, status, "
                 "pdf_path, issued_at) VALUES ('2026-0001', 1, '2026-12-20', '2026-12-27', 5, '0.00', '119.00', "
                 "'0.00', '0.00', 'EUR', 'issued', 'r.pdf', '2026-12-20T10:00:00Z')",
}


@pytest.mark.parametrize("table, name, event", [(t, n, e) for (t, n), e in TRIGGERS.items()])
def test_every_write_of_every_table_by_any_program_replaces_the_token(path, table, name, event):
    """Each trigger on its own (the others dropped): an insert, an update (even to the same value) or a
    delete of one row, in an SQLite tool, gives the ledger a new token."""
    assert set(ROWS) == set(WRITTEN_TABLES)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("".join(f"DROP TRIGGER {other};" for _, other in TRIGGERS if other != name))
    if event != "INSERT":
        conn.execute(f"INSERT INTO {table} {ROWS[table]}")
    before = token(path)
    last = f"(SELECT MAX(rowid) FROM {table})"
    first_column = conn.execute(f"PRAGMA table_info({table})").fetchone()[1]
    conn.execute({"INSERT": f"INSERT INTO {table} {ROWS[table]}",
                  "UPDATE": f"UPDATE {table} SET {first_column} = {first_column} WHERE rowid = {last}",
                  "DELETE": f"DELETE FROM {table} WHERE rowid = {last}"}[event])
    assert conn.execute("SELECT changes()").fetchone() == (1,)
    conn.close()
    assert token(path) != before


def test_an_edit_in_another_program_is_read_not_what_was_kept(path):
    assert ledger.read_billed(path)["description"].tolist() == ["work on a", "work on b", "work on c"]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE billed_entries SET description = 'edited in a tool' WHERE entry_id = 'b'")
    assert ledger.read_billed(path)["description"].tolist() == ["work on a", "edited in a tool", "work on c"]
    kept._in_process.clear()
    assert ledger.read_billed(path)["description"].tolist() == ["work on a", "edited in a tool", "work on c"]


def test_a_credit_note_frees_its_entries_in_what_is_read_next(path):
    assert set(ledger.read_billed(path)["entry_id"]) == {"a", "b", "c"}
    conn = ledger.connect(path)
    ledger.record_pending(conn, PATTERN, draft([]), kind="credit-note", issue_date=date(2026, 12, 2),
                          due_date=date(2026, 12, 2), stamped_at=AT, refers_to="2026-0001", reason="wrong rate")
    conn.close()
    assert set(ledger.read_billed(path)["entry_id"]) == {"c"}
    assert set(ledger.read_book(path).billed["entry_id"]) == {"c"}


def test_a_backup_put_back_is_read_as_it_is(path, tmp_path):
    shutil.copy(path, tmp_path / "backup.sqlite")
    conn = ledger.connect(path)
    bill(conn, ["d"])
    conn.close()
    assert set(ledger.read_billed(path)["entry_id"]) == {"a", "b", "c", "d"}
    shutil.copy(tmp_path / "backup.sqlite", path)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    assert set(ledger.read_billed(path)["entry_id"]) == {"a", "b", "c"}
    kept._in_process.clear()
    assert set(ledger.read_billed(path)["entry_id"]) == {"a", "b", "c"}


@pytest.mark.parametrize("spoil", ["truncated", "garbage", "another token", "another format", "an object array"])
def test_a_kept_file_that_is_not_what_was_kept_is_read_again_never_trusted(path, spoil, monkeypatch):
    ledger.read_billed(path)
    file = kept_file(path)
    if spoil == "truncated":
        file.write_bytes(file.read_bytes()[:200])
    elif spoil == "garbage":
        file.write_bytes(os.urandom(4096))
    else:
        with np.load(file, allow_pickle=False) as stored:
            arrays = {n: stored[n] for n in stored.files}
        meta = json.loads(arrays[kept._META].tobytes())
        if spoil == "another token":  # what another state of the ledger gave
            meta["token"] = "00" * 16
        elif spoil == "another format":
            meta["format"] = kept.FORMAT + 1
        else:
            arrays["extra"] = np.array([{"x": 1}], dtype=object)
        arrays[kept._META] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        with open(file, "wb") as out:
            np.savez(out, **arrays)
    kept._in_process.clear()
    asked = counted_reads(monkeypatch)
    pd.testing.assert_frame_equal(ledger.read_billed(path), fresh(path))
    assert asked == [None]  # read from the ledger, not from the spoilt file
    kept._in_process.clear()
    pd.testing.assert_frame_equal(ledger.read_billed(path), fresh(path))
    assert asked == [None]  # and kept again: the next run reads the file


def test_without_a_token_nothing_is_kept_and_all_is_read_until_the_ledger_is_next_opened_to_write(path):
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM written")
        conn.execute("UPDATE billed_entries SET description = 'by hand' WHERE entry_id = 'a'")  # no row to replace
    assert ledger.read_billed(path)["description"].iloc[0] == "by hand"
    assert not kept_file(path).exists()
    conn = ledger.connect(path)  # a new token: it matches nothing kept
    bill(conn, ["d"])
    conn.close()
    pd.testing.assert_frame_equal(ledger.read_billed(path), fresh(path))
    assert kept_file(path).is_file() and len(token(path)) == 32


def test_a_billed_entry_without_its_line_in_the_book_is_damage_said_so_not_a_price_missing(path, monkeypatch):
    """The entries are read joined to their lines; the book's lines apart. An entry whose line the book
    does not hold (a frame of another state of the ledger) is refused, not priced as nothing."""
    entries = fresh(path)
    monkeypatch.setattr(reading, "_lines", lambda conn, version: [])
    with pytest.raises(ledger.LedgerError, match="cannot be read: a billed entry's invoice line is missing"):
        ledger.read_book(path)
    assert reading.book_billed(entries.iloc[:0], []).empty


def test_a_ledger_missing_a_trigger_is_refused_as_damaged(path):
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER written_billed_entries_update")
    with pytest.raises(ledger.LedgerError, match="is damaged: trigger written_billed_entries_update missing"):
        ledger.read_billed(path)
    with pytest.raises(ledger.LedgerError, match="is damaged"):
        ledger.connect(path)


def test_a_ledger_of_schema_11_is_read_as_it_is_and_gets_its_token_when_next_written(path):
    with sqlite3.connect(path) as conn:
        conn.executescript("".join(f"DROP TRIGGER {name};" for _, name in TRIGGERS)
                           + "DROP TABLE written; DROP INDEX billed_on_line; DROP INDEX charged_on_line; "
                           "PRAGMA user_version = 11;")
    assert set(ledger.read_billed(path)["entry_id"]) == {"a", "b", "c"}
    assert not kept_file(path).exists()  # no token: nothing kept
    ledger.connect(path).close()
    assert len(token(path)) == 32
    with sqlite3.connect(path) as conn:
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")} == \
            {name for _, name in TRIGGERS}
        assert len(TRIGGERS) == 3 * len(WRITTEN_TABLES)
    pd.testing.assert_frame_equal(ledger.read_billed(path), fresh(path))
    assert kept_file(path).is_file()


def test_a_workspace_whose_output_cannot_be_written_is_read_all_the_same(path):
    ledger.read_billed(path)
    shutil.rmtree(path.parent / ".cache")
    (path.parent / ".cache").write_text("not a folder")  # nothing can be kept under it
    kept._in_process.clear()
    pd.testing.assert_frame_equal(ledger.read_billed(path), fresh(path))


operations = st.lists(st.tuples(st.sampled_from(["bill", "batch", "void", "edit", "read", "forget"]),
                                st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=3, unique=True)),
                      min_size=1, max_size=12)


@settings(max_examples=examples(25), deadline=None)
@given(operations)
def test_what_is_read_is_what_the_ledger_holds_after_any_writes(tmp_path_factory, steps):
    """Bills (refused where an entry is billed already), several invoices reserved at once, credit notes,
    edits in another program, reads, and new runs (the process's memo forgotten) in any order: every read
    is what the ledger holds, so no entry is ever billable twice because of what was kept."""
    kept._in_process.clear()
    kept._followed.clear()
    at = tmp_path_factory.mktemp("kept") / "output" / "ledger.sqlite"
    conn = ledger.connect(at)
    for step, entries in steps:
        if step == "bill":
            try:
                number = bill(conn, entries)
                ledger.mark_issued(conn, number, "x.pdf", "00")
            except ledger.AlreadyBilled:
                pass
        elif step == "batch":  # an invoice an entry, reserved in one transaction as a bill reserves them
            try:
                for number in ledger.record_all_pending(
                        conn, PATTERN, [(draft([e], client), None) for e, client in zip(entries, "xyz")],
                        kind="invoice", issue_date=date(2026, 12, 1), due_date=date(2026, 12, 15), stamped_at=AT):
                    ledger.mark_issued(conn, number, "x.pdf", "00")
            except ledger.AlreadyBilled:
                pass
        elif step == "void":
            live = [r.number for r in ledger.invoices(conn, "issued") if r.kind == "invoice"]
            if live:
                ledger.record_pending(conn, PATTERN, draft([]), kind="credit-note", issue_date=date(2026, 12, 2),
                                      due_date=date(2026, 12, 2), stamped_at=AT, refers_to=live[0], reason="x")
        elif step == "edit":
            with sqlite3.connect(at) as other:
                other.execute("UPDATE billed_entries SET description = description || '!' WHERE entry_id = ?",
                              (entries[0],))
        elif step == "forget":
            kept._in_process.clear()
        read = ledger.read_billed(at)
        pd.testing.assert_frame_equal(read, fresh(at))
        assert not read["entry_id"].duplicated().any()
        assert set(read["entry_id"]) == set(ledger.billed_entries(conn))
    conn.close()


def test_the_months_before_are_kept_under_the_token_or_the_bytes_of_a_ledger_without_one(path):
    from auftakt_batch.reports.kept import ledger_state

    workspace = path.parent.parent
    assert ledger_state(workspace) == ["token", token(path, whole=True)]
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM written")
    state = ledger_state(workspace)
    assert state[0] != "token" and len(state[0]) == 64  # the ledger's bytes


def counted_reads(monkeypatch) -> list:
    """What `reading.billed` is asked from now on: None for all the live entries, else the invoices' ids."""
    asked, real = [], reading.billed

    def billed(conn, version, on=None):
        asked.append(None if on is None else tuple(on))
        return real(conn, version, on)
    monkeypatch.setattr(reading, "billed", billed)
    return asked


def test_after_its_own_bills_a_run_reads_only_the_entries_of_the_invoices_it_added(path, monkeypatch):
    asked = counted_reads(monkeypatch)
    ledger.read_billed(path)
    conn = ledger.connect(path)
    for entries in (["d", "e"], ["f"]):
        ledger.mark_issued(conn, bill(conn, entries), "x.pdf", "00")
    read = ledger.read_billed(path)
    assert asked == [None, (3, 4)]  # all, once; then invoices 3 and 4 only
    pd.testing.assert_frame_equal(read, fresh(path))
    ledger.record_pending(conn, PATTERN, draft([]), kind="credit-note", issue_date=date(2026, 12, 2),
                          due_date=date(2026, 12, 2), stamped_at=AT, refers_to="2026-0003", reason="wrong rate")
    conn.close()
    assert set(ledger.read_billed(path)["entry_id"]) == {"a", "b", "c", "f"}
    assert asked[-1] is None  # a credit note frees entries: all read again


def test_another_programs_write_between_a_runs_own_is_never_missed(path, monkeypatch):
    asked = counted_reads(monkeypatch)
    ledger.read_billed(path)
    conn = ledger.connect(path)
    bill(conn, ["d"])
    with sqlite3.connect(path) as other:
        other.execute("UPDATE billed_entries SET description = 'by hand' WHERE entry_id = 'a'")
    bill(conn, ["e"])
    conn.close()
    read = ledger.read_billed(path)
    assert asked[-1] is None and read["description"].iloc[0] == "by hand"
    pd.testing.assert_frame_equal(read, fresh(path))


def test_a_write_that_changed_nothing_is_not_followed(path):
    conn = ledger.connect(path)
    ledger.mark_issued(conn, "2026-0001", "x.pdf", "00")  # issued already: no row updated, no new token
    conn.close()
    assert all(before != after for steps in kept._followed.values() for before, (after, _) in steps.items())


@pytest.mark.parametrize("edit", ["a description", "an invoice left out"])
def test_a_ledger_loaded_from_a_dump_is_read_again_though_its_token_came_with_it(path, tmp_path, edit):
    """An SQLite tool's dump (or `.recover`) loaded into a new file writes the old token before the
    triggers exist: the rows may differ while the token is the same; the schema's count of changes
    tells the two files apart."""
    ledger.read_billed(path)  # kept under the token
    before = token(path), token(path, whole=True)
    conn = sqlite3.connect(path)
    dump = "\n".join(conn.iterdump())
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    conn.close()
    if edit == "a description":
        dump = dump.replace("work on b", "work on b, edited in the dump")
    else:
        dump = "\n".join(line for line in dump.splitlines()
                         if not (line.startswith('INSERT INTO "billed_entries"') and "'c'" in line))
    loaded = tmp_path / "loaded.sqlite"
    with sqlite3.connect(loaded) as conn:
        conn.executescript(dump + f"\nPRAGMA user_version = {version};")
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.move(loaded, path)
    assert token(path) == before[0] and token(path, whole=True) != before[1]  # the token came with the dump
    for _ in range(2):  # in this run, then in another
        pd.testing.assert_frame_equal(ledger.read_billed(path), fresh(path))
        kept._in_process.clear()


def test_more_invoices_added_than_one_query_takes_are_read_with_all_the_rest(path, monkeypatch):
    asked = counted_reads(monkeypatch)
    monkeypatch.setattr(kept, "MOST_ADDED", 1)
    ledger.read_billed(path)
    conn = ledger.connect(path)
    bill(conn, ["d"])
    bill(conn, ["e"])
    conn.close()
    pd.testing.assert_frame_equal(ledger.read_billed(path), fresh(path))
    assert asked == [None, None]
