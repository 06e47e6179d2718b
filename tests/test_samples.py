"""Real exports from ../shared/samples: whatever this version cannot read, it says so cleanly.

These files are not in the repository; the tests skip when the folder is absent.
"""

import shutil

import pytest

from .conftest import SAMPLES

FILES = sorted(p for p in SAMPLES.rglob("*") if p.suffix in {".csv", ".xlsx"}) if SAMPLES.is_dir() else []


@pytest.mark.skipif(not FILES, reason="../shared/samples is not present")
@pytest.mark.parametrize("sample", FILES, ids=lambda p: p.name)
def test_real_export_is_read_or_rejected_with_a_located_message(ws, sample):
    shutil.copy(sample, ws.root / "input" / sample.name)
    run = ws.check()
    label = f"input/{sample.name}"
    if run.unreadable:
        (problem,) = [p for p in run.problems if p.source.file == label]
        assert problem.severity.value == "error" and problem.source.row == 1
        assert "header" in problem.message
    else:
        assert [f.path for f in run.files] == [label]
