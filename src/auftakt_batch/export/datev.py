"""`export --format datev`: the bookings as DATEV-Format "Buchungsstapel" files (EXTF).

As DATEV's published description has it (developer.datev.de, "DATEV-Format": Einstieg, Header,
Buchungsstapel; header version 700, format category 21, format version 13): line 1 the header
(31 fields), line 2 the 125 column headings, then one booking per line; fields separated by
";", lines ended by CR LF, text fields in double quotes (a quote inside doubled), amounts with
a decimal comma and no thousands separator, the file in Windows-1252 ("ANSI"; a character it
has not becomes "?"). A batch holds one fiscal year (the header's WJ-Beginn; Belegdatum carries
no year): a period whose documents fall in two fiscal years gets one file for each.

Header fields written (number, name: value); the others are empty:
 1 Kennzeichen: "EXTF"; 2 Versionsnummer: 700; 3 Formatkategorie: 21; 4 Formatname:
 "Buchungsstapel"; 5 Formatversion: 13; 6 erzeugt am: the latest stamp of the batch's
 documents (noon of its issue date, agency time; the ledger's, so a rerun writes the same
 bytes), YYYYMMDDHHMMSS000; 8 Herkunft: "RE" (Rechnungswesen); 9 Exportiert von, 10
 Importiert von, 18 Diktatkürzel, 24 Derivatskennzeichen, 30, 31 Anwendungsinformation: ""
 (empty text); 11 Beraternummer; 12 Mandantennummer; 13 WJ-Beginn YYYYMMDD; 14
 Sachkontenlänge: 4; 15 Datum vom, 16 Datum bis: the batch's first and last Belegdatum,
 YYYYMMDD; 17 Bezeichnung: "Rechnungsausgang PERIOD"; 19 Buchungstyp: 1 (Finanzbuchführung);
 20 Rechnungslegungszweck: 0; 21 Festschreibung: 0 (the consultant locks the batch); 22 WKZ:
 the agency's currency; 27 SKR: "03" or "04". Empty: 7 importiert, 23, 25, 26, 28 Branchenlösung, 29.

Booking fields written (the other 113 of the 125 are empty):
 1 Umsatz: the gross of one VAT rate of the document, positive; 2 Soll/Haben-Kennzeichen: "S"
 for an invoice (the debtor is debited), "H" for a credit note; 3 WKZ Umsatz: the document's
 currency where it is not the agency's (4 Kurs, 5 Basis-Umsatz and 6 WKZ Basis-Umsatz stay
 empty: auftakt-batch knows no exchange rate; DATEV takes it from its Kurstabelle on import);
 7 Konto: the client's debtor account; 8 Gegenkonto: the revenue account of the VAT case; 9
 BU-Schlüssel: empty — the revenue accounts are automatic accounts (or accounts without tax);
 10 Belegdatum: the issue date, DDMM; 11 Belegfeld 1: the document's number; 14 Buchungstext:
 "Rechnung NUMBER CLIENT" or "Stornorechnung NUMBER zu ORIGINAL CLIENT", at most 60 characters;
 40 EU-Land u. UStID (Bestimmung): the client's VAT ID on a reverse-charge booking (for the
 EC Sales List); 114 Festschreibung: 0; 117 Fälligkeit: an invoice's due date, DDMMYYYY.
A VAT rate whose gross is 0.00 is no booking (DATEV's Umsatz must be positive).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ..config import Config
from ..errors import Refused
from .bookings import Booking

VERSION, CATEGORY, FORMAT_NAME, FORMAT_VERSION = 700, 21, "Buchungsstapel", 13
ACCOUNT_LENGTH = 4  # Sachkontenlänge: the charts' four-digit accounts; debtors have five digits
HEADER_FIELDS = 31
# line 2, as DATEV's sample file EXTF_Buchungsstapel.csv (developer.datev.de, "Einstieg") spells it
COLUMNS = (
    "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;WKZ Basis-Umsatz;Konto;"
    "Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;Belegfeld 1;Belegfeld 2;Skonto;Buchungstext;"
    "Postensperre;Diverse Adressnummer;Geschäftspartnerbank;Sachverhalt;Zinssperre;Beleglink;"
    + "".join(f"Beleginfo - Art {n};Beleginfo - Inhalt {n};" for n in range(1, 9))
    + "KOST1 - Kostenstelle;KOST2 - Kostenstelle;Kost-Menge;EU-Land u. UStID (Bestimmung);"
    "EU-Steuersatz (Bestimmung);Abw. Versteuerungsart;Sachverhalt L+L;Funktionsergänzung L+L;"
    "BU 49 Hauptfunktionstyp;BU 49 Hauptfunktionsnummer;BU 49 Funktionsergänzung;"
    + "".join(f"Zusatzinformation - Art {n};Zusatzinformation- Inhalt {n};" for n in range(1, 21))
    + "Stück;Gewicht;Zahlweise;Forderungsart;Veranlagungsjahr;Zugeordnete Fälligkeit;Skontotyp;Auftragsnummer;"
    "Buchungstyp;USt-Schlüssel (Anzahlungen);EU-Land (Anzahlungen);Sachverhalt L+L (Anzahlungen);"
    "EU-Steuersatz (Anzahlungen);Erlöskonto (Anzahlungen);Herkunft-Kz;Buchungs GUID;KOST-Datum;"
    "SEPA-Mandatsreferenz;Skontosperre;Gesellschaftername;Beteiligtennummer;Identifikationsnummer;Zeichnernummer;"
    "Postensperre bis;Bezeichnung SoBil-Sachverhalt;Kennzeichen SoBil-Buchung;Festschreibung;Leistungsdatum;"
    "Datum Zuord. Steuerperiode;Fälligkeit;Generalumkehr (GU);Steuersatz;Land;Abrechnungsreferenz;BVV-Position;"
    "EU-Land u. UStID (Ursprung);EU-Steuersatz (Ursprung);Abw. Skontokonto").split(";")
BELEGFELD = re.compile(r"[A-Za-z0-9$&%*+\-/]{1,36}")  # DATEV's Belegfeld 1: up to 36 of these
TEXT_LENGTH = 60  # Buchungstext


def batches(found: list[Booking], config: Config, period: str) -> dict[str, bytes]:
    """File name -> the batch's bytes: one file per fiscal year of the bookings' issue dates."""
    accounting = config.agency.accounting
    if accounting is None or accounting.consultant is None or accounting.client_number is None:
        raise Refused("a DATEV batch names the consultant and the client it is for — add agency.accounting with "
                      "chart, consultant (the Beraternummer) and client_number (the Mandantennummer) to rates.yaml")
    years: dict[date, list[Booking]] = {}
    for b in found:
        if b.gross:
            years.setdefault(_fiscal_year(b.issue_date, accounting.fiscal_year_start), []).append(b)
    name = f"EXTF_Buchungsstapel_{period}"
    return {(f"{name}.csv" if len(years) == 1 else f"{name}_WJ{start:%Y%m%d}.csv"):
            _file(start, items, config, period) for start, items in sorted(years.items())}


def _fiscal_year(day: date, start: tuple[int, int]) -> date:
    begins = date(day.year, *start)
    return begins if day >= begins else date(day.year - 1, *start)


def _file(start: date, found: list[Booking], config: Config, period: str) -> bytes:
    lines = [";".join(header(start, found, config, period)), ";".join(COLUMNS),
             *(";".join(row(b, config.agency.currency)) for b in found)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def header(start: date, found: list[Booking], config: Config, period: str) -> list[str]:
    accounting = config.agency.accounting
    assert accounting is not None  # batches() refused without it
    made = max(b.stamped_at for b in found)
    fields = [""] * HEADER_FIELDS
    for number, value in {
        1: _text("EXTF"), 2: str(VERSION), 3: str(CATEGORY), 4: _text(FORMAT_NAME), 5: str(FORMAT_VERSION),
        6: f"{made:%Y%m%d%H%M%S}000", 8: _text("RE"), 9: _text(""), 10: _text(""),
        11: str(accounting.consultant), 12: str(accounting.client_number), 13: f"{start:%Y%m%d}",
        14: str(ACCOUNT_LENGTH), 15: f"{min(b.issue_date for b in found):%Y%m%d}",
        16: f"{max(b.issue_date for b in found):%Y%m%d}", 17: _text(f"Rechnungsausgang {period}"[:30]),
        18: _text(""), 19: "1", 20: "0", 21: "0", 22: _text(config.agency.currency), 24: _text(""),
        27: _text(accounting.chart.removeprefix("SKR")), 30: _text(""), 31: _text(""),
    }.items():
        fields[number - 1] = value
    return fields


def row(b: Booking, home: str) -> list[str]:
    """One booking's 125 fields."""
    if not BELEGFELD.fullmatch(b.number):
        raise Refused(f"invoice number {b.number!r} does not fit DATEV's Belegfeld 1 (at most 36 letters, digits "
                      "and $ & % * + - /) — its batch cannot be written")
    text = (f"Rechnung {b.number} {b.client_name}" if b.kind == "invoice"
            else f"Stornorechnung {b.number} zu {b.refers_to} {b.client_name}")
    fields = [""] * len(COLUMNS)
    values: dict[int, str] = {
        1: _amount(abs(b.gross)), 2: _text("S" if b.gross > 0 else "H"), 7: str(b.debtor), 8: b.revenue or "",
        10: f"{b.issue_date:%d%m}", 11: _text(b.number), 14: _text(_plain(text)[:TEXT_LENGTH]), 114: "0"}
    if b.currency != home:
        values[3] = _text(b.currency)
    if b.vat_case == "reverse_charge" and b.vat_id:
        values[40] = _text(b.vat_id.replace(" ", "").upper())
    if b.kind == "invoice":
        values[117] = f"{b.due_date:%d%m%Y}"
    for number, value in values.items():
        fields[number - 1] = value
    return fields


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _plain(text: str) -> str:
    """No control characters (DATEV allows none in a text field), spaces kept single."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'
