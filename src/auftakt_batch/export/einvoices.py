"""The period's e-invoices, as issued, for the export folder: each document's Factur-X XML (the
`factur-x.xml` its PDF carries) and, where the client gets one, its XRechnung XML (written
beside the PDF when it was issued).

A PDF that is gone, or no longer the one issued (its SHA-256 is not the ledger's), or that
carries no XML gives no e-invoice: a warning names it, and the rest is exported.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ..ledger import InvoiceRecord


def einvoices(records: list[InvoiceRecord], workspace: Path) -> tuple[dict[str, bytes], list[str]]:
    """File name -> bytes of every e-invoice found, and a warning for each one missing."""
    files: dict[str, bytes] = {}
    warnings: list[str] = []
    for record in records:
        stem = f"{record.number}-{record.client_key}"
        pdf = workspace / record.pdf_path if record.pdf_path else None
        data = pdf.read_bytes() if pdf is not None and pdf.is_file() else None
        if data is None:
            warnings.append(f"{record.number}: its PDF {record.pdf_path or ''} is gone — its e-invoice is not exported")
            continue
        if hashlib.sha256(data).hexdigest() != record.pdf_sha256:
            warnings.append(f"{record.number}: {record.pdf_path} is not the PDF that was issued (its checksum "
                            "differs from the ledger's) — its e-invoice is not exported; restore the file")
            continue
        xml = _embedded(data)
        if xml is None:
            warnings.append(f"{record.number}: {record.pdf_path} carries no factur-x.xml — its e-invoice is not "
                            "exported")
        else:
            files[f"{stem}.factur-x.xml"] = xml
        assert pdf is not None
        if (xrechnung := pdf.with_suffix(".xrechnung.xml")).is_file():
            files[f"{stem}.xrechnung.xml"] = xrechnung.read_bytes()
    return files, warnings


def _embedded(pdf: bytes) -> bytes | None:
    """The factur-x.xml embedded in `pdf`, or None."""
    from facturx import get_xml_from_pdf

    quiet = logging.getLogger("factur-x")
    level, quiet.level = quiet.level, logging.CRITICAL  # it logs an error for a PDF without XML: ours to say
    try:
        _, xml = get_xml_from_pdf(pdf, check_xsd=False, filenames=["factur-x.xml"])
    except Exception:  # any PDF the library cannot read (pypdf raises its own kinds) has no XML to export
        xml = None
    finally:
        quiet.level = level
    return xml or None
