"""Sparkasse (and the other banks on Finanz Informatik's online banking): Umsätze → Export →
*CSV-CAMT-Format* (V2, 17 columns) or *CSV-MT940-Format* (11 columns).

    "Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";"Glaeubiger ID";
    "Mandatsreferenz";"Kundenreferenz (End-to-End)";"Sammlerreferenz";"Lastschrift Ursprungsbetrag";
    "Auslagenersatz Ruecklastschrift";"Beguenstigter/Zahlungspflichtiger";"Kontonummer/IBAN";
    "BIC (SWIFT-Code)";"Betrag";"Waehrung";"Info"

The MT940 variant has `Kontonummer` and `BLZ` where the CAMT one has `Kontonummer/IBAN` and
`BIC (SWIFT-Code)`, and none of its references. Semicolons, every field quoted, Windows-1252,
dates `DD.MM.YY` (some institutes `DD.MM.YYYY`), amounts signed with a decimal comma
(`-1.234,56`). `Info` says `Umsatz gebucht` (booked) or `Umsatz vorgemerkt` (pending: not yet
a booking). Some exports write the umlauts (`Begünstigter`, `Währung`): both are known.
"""

from .format import Format

FORMAT = Format(
    name="sparkasse-csv",
    title="Sparkasse CSV-CAMT / CSV-MT940 export",
    tool="Sparkasse",
    kind="booking",
    columns={
        "account": ("auftragskonto",),
        "booking_date": ("buchungstag",),
        "value_date": ("valutadatum",),
        "booking_text": ("buchungstext",),
        "remittance": ("verwendungszweck",),
        "counterparty_name": ("beguenstigter/zahlungspflichtiger", "begünstigter/zahlungspflichtiger"),
        "counterparty_iban": ("kontonummer/iban", "kontonummer"),
        "amount": ("betrag",),
        "currency": ("waehrung", "währung"),
        "bank_reference": (r"kundenreferenz \(end-to-end\)",),
        "status": ("info",),
    },
    required=frozenset({"account", "booking_date", "remittance", "amount", "currency"}),
    notes={"blz": "the counterparty's bank code: its account is enough to tell who paid"},
)
