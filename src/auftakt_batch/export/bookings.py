"""The bookings of a period's invoices and credit notes: one per document and VAT rate.

Needs: the ledger's issued documents (void ones too) and the config. Gives: `Booking`s in the
series' order, with the VAT case that picks the revenue account: a standard-rated invoice's
own rate (the client's, `invoices.vat_rate`) is `standard`, another rate on it (a job's
`vat_rate`, 7 %) `reduced`; the client's `vat` mode names the others (reverse charge, exempt,
outside the scope). The amounts are the invoice's own VAT breakdown (EN 16931 BG-23), as the
ledger holds it: a credit note's are negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ..config import Config
from ..config.accounting import debtor_accounts
from ..errors import Refused
from ..ledger import InvoiceRecord, Stored

MODE_CASES = {"reverse-charge": "reverse_charge", "exempt": "exempt", "outside-scope": "outside_scope"}


@dataclass(frozen=True, kw_only=True)
class Booking:
    number: str
    kind: str  # invoice | credit-note
    refers_to: str | None  # the invoice a credit note cancels
    client_key: str
    client_name: str
    vat_id: str | None  # the client's, for a reverse-charge booking (EU-Land u. UStID)
    issue_date: date
    due_date: date
    stamped_at: datetime  # the document's stamp (noon of its issue date, agency time)
    currency: str
    vat_case: str  # config.accounting.VAT_CASES
    rate: Decimal  # percent
    net: Decimal
    vat: Decimal
    debtor: int
    revenue: str | None  # None: no agency.accounting in rates.yaml

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def bookings(documents: list[tuple[InvoiceRecord, Stored]], config: Config) -> list[Booking]:
    debtors = debtor_accounts(config.clients)
    accounts = config.agency.accounting.revenue_accounts if config.agency.accounting else {}
    found = []
    for record, stored in documents:
        client = config.clients.get(record.client_key)
        if client is None:
            raise Refused(f"{record.number} is for client {record.client_key}, which is no longer in rates.yaml — put "
                          "it back (its debtor account and name are booked), then export again")
        for share in stored.draft.breakdown:
            case = MODE_CASES.get(stored.draft.vat_mode) or (
                "standard" if share.rate == stored.draft.vat_rate else "reduced")
            found.append(Booking(
                number=record.number, kind=record.kind, refers_to=record.refers_to, client_key=client.key,
                client_name=client.name, vat_id=client.vat_id, issue_date=record.issue_date,
                due_date=record.due_date, stamped_at=stored.stamped_at, currency=record.currency, vat_case=case,
                rate=share.rate, net=share.basis, vat=share.vat, debtor=debtors[client.key],
                revenue=accounts.get(case)))
    return found
