"""`export --format journal`: the bookings as a plain CSV journal, for any accounting program.

UTF-8 without a byte-order mark, comma-separated, a header row, dot decimals, one line per
invoice (or credit note) and VAT rate; a credit note's amounts are negative.
"""

from __future__ import annotations

import csv
import io

from .bookings import Booking

COLUMNS = ["date", "number", "kind", "refers_to", "client", "client_name", "debtor_account", "revenue_account",
           "vat_case", "vat_rate", "net", "vat", "gross", "currency"]


def journal_csv(found: list[Booking]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for b in found:
        writer.writerow([b.issue_date.isoformat(), b.number, b.kind, b.refers_to or "", b.client_key, b.client_name,
                         b.debtor, b.revenue or "", b.vat_case, f"{b.rate:f}", f"{b.net:.2f}", f"{b.vat:.2f}",
                         f"{b.gross:.2f}", b.currency])
    return out.getvalue().encode("utf-8")
