"""`export`: a period's issued invoices and credit notes handed over to accounting.

Needs: the workspace (rates.yaml, the ledger, the issued PDFs) and a period. Gives: in
output/PERIOD/export/, the DATEV booking batch (datev.py) or the CSV journal (journal.py), plus
the period's e-invoices as XML (einvoices.py). Only the ledger's issued documents of the period
count — a void invoice and its credit note both (the credit note is of its invoice's period).
Every byte comes from the ledger and the issued files, so a rerun writes the same files; files
an earlier run wrote there that this run would not write (a batch of another fiscal year, the
XML of a document since gone) are removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import ledger
from ..config import load_config
from ..errors import Refused
from ..files import write_bytes_atomically
from ..periods import Period
from .bookings import Booking, bookings
from .datev import batches
from .einvoices import einvoices
from .journal import journal_csv

FORMATS = ("datev", "journal")


@dataclass(frozen=True)
class Exported:
    folder: Path
    files: tuple[Path, ...]  # the batch or journal first, then the e-invoices
    documents: int  # invoices and credit notes exported
    bookings: tuple[Booking, ...]
    warnings: tuple[str, ...] = ()


def export(workspace: Path, period: Period, form: str) -> Exported:
    config, problems = load_config(workspace / "rates.yaml")
    if config is None:
        raise Refused(f"rates.yaml has errors — correct them first: {problems[0]}")
    documents = ledger.read_issued(workspace / "output" / "ledger.sqlite", period.label)
    folder = workspace / "output" / period.label / "export"
    if not documents:
        return Exported(folder, (), 0, ())
    found = bookings(documents, config)
    main = batches(found, config, period.label) if form == "datev" else {f"journal-{period.label}.csv":
                                                                         journal_csv(found)}
    xml, warnings = einvoices([record for record, _ in documents], workspace)
    written = tuple(write_bytes_atomically(folder / name, data) for name, data in {**main, **xml}.items())
    _remove_stale(folder, {path.name for path in written}, period.label, form)
    return Exported(folder, written, len(documents), tuple(found), tuple(warnings))


def _remove_stale(folder: Path, kept: set[str], period: str, form: str) -> None:
    """The files an earlier export of this format wrote that this one did not."""
    ours = [f"EXTF_Buchungsstapel_{period}*.csv"] if form == "datev" else [f"journal-{period}.csv"]
    for pattern in [*ours, "*.factur-x.xml", "*.xrechnung.xml"]:
        for path in folder.glob(pattern):
            if path.name not in kept:
                path.unlink()
