"""Real exports from ../shared/samples, read as a user's workspace would read them.

These files are not in the repository (they are not ours to redistribute); the tests skip
when the folder is absent. The expected counts were taken from the files by hand (rows,
the sum of the Duration/Hours column, distinct users and clients, first and last day).
"""

import shutil
from decimal import Decimal

import pytest

from auftakt_batch.ingest import ingest
from auftakt_batch.ingest.build import Rules

from .conftest import SAMPLES

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")

# file: (format, entries, hours, people, clients incl. '' for none, first day, last day, export currency)
EXPECTED = {
    "toggl/Toggl_time_entries_2018-10-08_to_2018-10-14.csv":
        ("toggl", 21, "48.3686", 1, 1, "2018-10-08", "2018-10-12", ""),
    "toggl/Toggl_time_entries_2019-03-02_to_2020-03-01.csv":
        ("toggl", 394, "681.9000", 1, 22, "2019-03-04", "2020-02-14", ""),
    "toggl/toggl_time_entries_import_test_1.csv": ("toggl", 2, "1.0003", 1, 2, "2024-03-04", "2024-03-04", "EUR"),
    "clockify/Clockify_Time_Report_Detailed_01_01_2026-31_12_2026.csv":
        ("clockify", 42, "193.9667", 1, 3, "2026-01-19", "2026-03-09", "USD"),
    "clockify/clockify_time_entries_import_test_1.csv":
        ("clockify", 2, "1.0003", 1, 2, "2024-03-04", "2024-03-04", "USD"),
    "clockify/clockify_time_entries_import_test_2.csv":
        ("clockify", 1, "0.5000", 1, 1, "2024-10-15", "2024-10-15", "EUR"),
    "harvest/harvest_time_entries_import_test_1.csv":
        ("harvest", 2, "20.0100", 1, 2, "2024-03-04", "2024-03-04", "EUR"),
    "harvest/harvest_time_report_from2026-04-08to2026-04-14.csv":
        ("harvest", 2, "2.1500", 1, 1, "2026-04-08", "2026-04-14", "USD"),
}
# the solidtime fixture's dates are all ambiguous 03/04/2024: its users are in the US
DATE_FORMAT = {"clockify/clockify_time_entries_import_test_1.csv": "mdy"}


def read(tmp_path, name):
    (tmp_path / "input").mkdir()
    shutil.copy(SAMPLES / name, tmp_path / "input")
    return ingest(tmp_path / "input", tmp_path, Rules("Europe/Berlin", {}, DATE_FORMAT.get(name)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_export_is_read_whole(tmp_path, name):
    fmt, count, total, people, clients, first, last, currency = EXPECTED[name]
    got = read(tmp_path, name)
    e = got.entries
    assert [f.format for f in got.files] == [fmt] and not got.unreadable
    assert len(e) == count
    assert str((Decimal(int(e["duration_s"].sum())) / 3600).quantize(Decimal("0.0001"))) == total
    assert (e["person"].nunique(), e["client"].nunique()) == (people, clients)
    assert (f"{e['date'].min():%Y-%m-%d}", f"{e['date'].max():%Y-%m-%d}") == (first, last)
    assert set(e["export_currency"]) == {currency}
    assert not [p for p in got.problems if p.severity.value == "error"]


def test_an_ambiguous_real_export_says_which_setting_to_add(tmp_path):
    name = "clockify/clockify_time_entries_import_test_1.csv"
    (tmp_path / "input").mkdir()
    shutil.copy(SAMPLES / name, tmp_path / "input")
    got = ingest(tmp_path / "input", tmp_path, Rules("Europe/Berlin"))
    (problem,) = [p for p in got.problems if p.code == "date-order"]
    assert problem.source.row == 2 and problem.rows == (2, 3) and "imports: {date_format" in problem.message


OTHER = sorted(p for p in SAMPLES.rglob("*") if p.suffix == ".csv"
               and p.relative_to(SAMPLES).as_posix() not in EXPECTED) if SAMPLES.is_dir() else []


@pytest.mark.parametrize("sample", OTHER, ids=lambda p: p.name)
def test_an_export_of_no_known_tracker_is_rejected_with_a_located_message(ws, sample):
    shutil.copy(sample, ws.root / "input" / sample.name)
    run = ws.check()
    (problem,) = [p for p in run.problems if p.source.file == f"input/{sample.name}"]
    assert run.unreadable == (f"input/{sample.name}",)
    assert problem.severity.value == "error" and problem.source.row == 1 and "header" in problem.message


def test_a_real_watson_frames_file_is_read_whole(tmp_path):
    """Watson's own test data: ten frames of five projects, one person (named by the folder)."""
    (tmp_path / "input" / "someone").mkdir(parents=True)
    shutil.copy(SAMPLES / "watson" / "frames", tmp_path / "input" / "someone")
    got = ingest(tmp_path / "input", tmp_path, Rules("Europe/Berlin"))
    e = got.entries
    assert [(f.path, f.format) for f in got.files] == [("input/someone/frames", "watson")] and not got.problems
    assert len(e) == 10 and set(e["person"]) == {"someone"} and e["job"].nunique() == 5
    assert str((Decimal(int(e["duration_s"].sum())) / 3600).quantize(Decimal("0.0001"))) == "5.7636"
    assert (f"{e['date'].min():%Y-%m-%d}", f"{e['date'].max():%Y-%m-%d}") == ("2018-10-16", "2019-04-30")
