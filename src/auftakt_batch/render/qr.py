"""The EPC (GiroCode / SEPA) payment QR code: a banking app scans it and fills in the transfer.

Only for invoices in euros to an IBAN, with an amount to pay; the invoice number is the
remittance text. Drawn as inline SVG (no file, no URL for the renderer to fetch).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segno import QRCode

MAX_AMOUNT = Decimal("999999999.99")  # the EPC standard's limit


def payment_qr(name: str, iban: str, bic: str | None, amount: Decimal, number: str) -> QRCode | None:
    """The segno QR code (EPC069-12, SEPA credit transfer), or None when no bank could pay by it."""
    import segno.helpers

    from .qrmask import install

    install()  # segno's mask search, in numpy (the same mask)
    if not (Decimal("0.01") <= amount <= MAX_AMOUNT):
        return None
    return segno.helpers.make_epc_qr(name=name[:70], iban=iban.replace(" ", ""), amount=amount, text=number[:140],
                                     bic=bic or None)


def svg(code: QRCode) -> str:
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=3, border=4, xmldecl=False, svgclass="qr", lineclass=None)
    return buffer.getvalue().decode()
