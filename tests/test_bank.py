"""Bank statements in input/bank/: camt.053 (three versions), MT940 and Sparkasse's CSV → Bookings,
a booking in two statements once, and bad files as located warnings that never hold back billing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch.ingest.bank import read_statement
from auftakt_batch.ingest.bank.booking import StatementError, german_iban
from auftakt_batch.schemas import Bookings as B
from auftakt_batch.schemas import validate

from .conftest import examples, problem_lines

WEEK = "date,person,client,job,task,description,hours,billable\n2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
OWN = "DE89370400440532013000"

PARTY = {"02": "<Dbtr><Nm>{name}</Nm></Dbtr>", "04": "<Dbtr><Nm>{name}</Nm></Dbtr>",
         "08": "<Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr>"}
STATUS = {"02": "<Sts>{s}</Sts>", "04": "<Sts>{s}</Sts>", "08": "<Sts><Cd>{s}</Cd></Sts>"}
TX_AMOUNT = {"02": "<AmtDtls><TxAmt><Amt Ccy=\"EUR\">{a}</Amt></TxAmt></AmtDtls>", "04": "<Amt Ccy=\"EUR\">{a}</Amt>",
             "08": "<Amt Ccy=\"EUR\">{a}</Amt>"}


def camt(version: str, entries: str) -> str:
    return f"""\
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
          <BkToCstmrStmt>
            <GrpHdr><MsgId>STMT-2026-11</MsgId><CreDtTm>2026-12-01T06:00:00</CreDtTm></GrpHdr>
            <Stmt>
              <Id>2026-11</Id>
              <Acct><Id><IBAN>{OWN}</IBAN></Id><Ccy>EUR</Ccy></Acct>
        {entries}
            </Stmt>
          </BkToCstmrStmt>
        </Document>
        """


def entry(version: str, amount: str = "1190.00", sign: str = "CRDT", name: str = "Müller & Söhne GmbH",
          remittance: str = "Rechnung RE-2026-0042", ref: str = "2026112712345", booked: str = "<Dt>2026-11-27</Dt>",
          status: str = "BOOK") -> str:
    return f"""\
              <Ntry>
                <Amt Ccy="EUR">{amount}</Amt>
                <CdtDbtInd>{sign}</CdtDbtInd>
                {STATUS[version].format(s=status)}
                <BookgDt>{booked}</BookgDt>
                <ValDt><Dt>2026-11-28</Dt></ValDt>
                <AcctSvcrRef>{ref}</AcctSvcrRef>
                <NtryDtls><TxDtls>
                  <RltdPties>
                    {PARTY[version].format(name=name.replace("&", "&amp;"))}
                    <DbtrAcct><Id><IBAN>DE02 1203 0000 0000 2020 51</IBAN></Id></DbtrAcct>
                  </RltdPties>
                  <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
                </TxDtls></NtryDtls>
              </Ntry>"""


def batch(version: str) -> str:
    tx = "".join(f"""
                  <TxDtls>{TX_AMOUNT[version].format(a=a)}
                    <RltdPties>{PARTY[version].format(name=n)}</RltdPties>
                    <RmtInf><Ustrd>{r}</Ustrd></RmtInf>
                  </TxDtls>""" for a, n, r in (("500.00", "Globex AG", "RE-2026-0043"),
                                                ("250.50", "Initech GmbH", "RE-2026-0044 Teilzahlung")))
    return f"""\
              <Ntry>
                <Amt Ccy="EUR">750.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>{STATUS[version].format(s="BOOK")}
                <BookgDt><DtTm>2026-11-30T10:15:00+01:00</DtTm></BookgDt>
                <AcctSvcrRef>SAMMLER-1</AcctSvcrRef>
                <NtryDtls>{tx}
                </NtryDtls>
              </Ntry>"""


MT940 = """\
    :20:STARTUMSE
    :25:37040044/0532013000
    :28C:00123/001
    :60F:C261126EUR12345,67
    :61:2611271127CR1190,00NTRFNONREF//2611271234567
    :86:166?00GUTSCHR. UEBERWEISUNG?109310?20EREF+NOTPROVIDED?21SVWZ+Rechnung Nr RE-2026-00?2242 Danke?30COBADEFFXXX
    ?31DE02120300000000202051?32Müller & Söhne GmbH
    :61:2611281128DR89,90NDDTNONREF
    :86:105?00FOLGELASTSCHRIFT?20EREF+E2E-1?21SVWZ+Abschlag 11/2026?32Stadtwerke Musterstadt
    :62F:C261128EUR13446,77
    -
    """

SPARKASSE_HEADER = ('"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";"Glaeubiger ID";'
                    '"Mandatsreferenz";"Kundenreferenz (End-to-End)";"Sammlerreferenz";"Lastschrift Ursprungsbetrag";'
                    '"Auslagenersatz Ruecklastschrift";"Beguenstigter/Zahlungspflichtiger";"Kontonummer/IBAN";'
                    '"BIC (SWIFT-Code)";"Betrag";"Waehrung";"Info"')


def sparkasse_row(booked: str, amount: str, purpose: str, name: str, info: str = "Umsatz gebucht") -> str:
    return (f'"{OWN}";"{booked}";"{booked}";"GUTSCHR. UEBERWEISUNG";"{purpose}";"";"";"NOTPROVIDED";"";"";"";'
            f'"{name}";"DE02120300000000202051";"BYLADEM1001";"{amount}";"EUR";"{info}"')


SPARKASSE = "\r\n".join([SPARKASSE_HEADER,
                         sparkasse_row("27.11.26", "1.190,00", "Rechnung RE-2026-0042", "Müller & Söhne GmbH"),
                         sparkasse_row("28.11.26", "-89,90", "Abschlag 11/2026", "Stadtwerke Musterstadt"),
                         sparkasse_row("30.11.26", "-12,99", "Abo", "Netflix", "Umsatz vorgemerkt")]) + "\r\n"


def bookings(ws) -> list[tuple]:
    run = ws.check()
    frame, problems = validate(B, run.bookings)
    assert problems == []
    return [(r.account, r.booking_date.date(), r.amount, r.currency, r.counterparty_name, r.counterparty_iban,
             r.remittance, r.bank_reference, r.source_file, r.source_row, r.source_format)
            for r in frame.itertuples()]


@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_camt053_of_each_version_gives_its_bookings_signed(ws, version):
    ws.input("week.csv", WEEK)
    ws.input("bank/2026-11.xml", camt(version, entry(version) + entry(version, "89.90", "DBIT", "Stadtwerke",
                                                                      "Abschlag", "R2") + batch(version)))
    file = "input/bank/2026-11.xml"
    fmt = f"camt.053.001.{version}"
    assert bookings(ws) == [
        (OWN, date(2026, 11, 27), Decimal("1190.00"), "EUR", "Müller & Söhne GmbH", "DE02120300000000202051",
         "Rechnung RE-2026-0042", "2026112712345", file, 1, fmt),
        (OWN, date(2026, 11, 27), Decimal("-89.90"), "EUR", "", "", "Abschlag", "R2", file, 2, fmt),
        (OWN, date(2026, 11, 30), Decimal("500.00"), "EUR", "Globex AG", "", "RE-2026-0043", "SAMMLER-1", file, 3, fmt),
        (OWN, date(2026, 11, 30), Decimal("250.50"), "EUR", "Initech GmbH", "", "RE-2026-0044 Teilzahlung",
         "SAMMLER-1", file, 3, fmt),
    ]


def test_a_debit_names_its_creditor(ws):
    body = entry("08", "89.90", "DBIT").replace("<Dbtr><Pty><Nm>Müller &amp; Söhne GmbH</Nm></Pty></Dbtr>",
                                                "<Cdtr><Pty><Nm>Stadtwerke</Nm></Pty></Cdtr>")
    ws.input("bank/s.xml", camt("08", body))
    assert bookings(ws)[0][2:5] == (Decimal("-89.90"), "EUR", "Stadtwerke")


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_mt940_reads_the_german_structured_details(ws, encoding):
    ws.input("bank/umsaetze.sta", MT940, encoding)
    assert bookings(ws) == [
        (OWN, date(2026, 11, 27), Decimal("1190.00"), "EUR", "Müller & Söhne GmbH", "DE02120300000000202051",
         "Rechnung Nr RE-2026-0042 Danke", "2611271234567", "input/bank/umsaetze.sta", 5, "mt940"),
        (OWN, date(2026, 11, 28), Decimal("-89.90"), "EUR", "Stadtwerke Musterstadt", "", "Abschlag 11/2026", "",
         "input/bank/umsaetze.sta", 8, "mt940"),
    ]


def test_mt940_purpose_subfields_are_joined_as_the_bank_cut_them(ws):
    """DK, field 86: ?20–?29 hold 27 characters each; a longer text goes on in the next subfield,
    cut anywhere: a full subfield joins the next without a space, a shorter one with a space."""
    assert len("SVWZ+Beratung 11 RE 2026-00") == 27
    cut = MT940.replace("?20EREF+NOTPROVIDED?21SVWZ+Rechnung Nr RE-2026-00?2242 Danke",
                        "?20EREF+NOTPROVIDED?21SVWZ+Beratung 11 RE 2026-00?2207 Danke")
    ws.input("bank/cut.sta", cut.replace("?20EREF+E2E-1?21SVWZ+Abschlag 11/2026", "?20RE 2026-0001?212026-0002"))
    assert [b[6] for b in bookings(ws)] == ["Beratung 11 RE 2026-0007 Danke", "RE 2026-0001 2026-0002"]


def test_a_number_cut_across_remittance_lines_is_still_found_in_camt_and_mt940(ws):
    """camt.053 repeats Ustrd for each line of the text (banks cut where they like): joined with a
    space, and the number finder reads `RE 2026-00 07` as 2026-0007; MT940 short of the full 27
    characters (a bank not filling its subfields) the same way."""
    from auftakt_batch.payments.match import Receivable, match
    from auftakt_batch.payments.settle import to_bookings

    ws.input("bank/a.xml", camt("08", entry("08", "119.00").replace(
        "<Ustrd>Rechnung RE-2026-0042</Ustrd>", "<Ustrd>RE 2026-00</Ustrd><Ustrd>07 Danke</Ustrd>")))
    ws.input("bank/b.sta", MT940.replace("?21SVWZ+Rechnung Nr RE-2026-00?2242 Danke", "?21SVWZ+RE 2026-00?2207 Danke"))
    run = ws.check()
    assert list(run.bookings[B.remittance][:2]) == ["RE 2026-00 07 Danke", "RE 2026-00 07 Danke"]
    owed = [Receivable("2026-0007", "acme", "EUR", date(2026, 11, 3), Decimal("1309.00"))]
    found = match(to_bookings(run.bookings)[:2], owed, {})
    assert [(a.number, a.amount) for a in found.allocations] == [("2026-0007", Decimal("119.00")),
                                                                 ("2026-0007", Decimal("1190.00"))]


def test_the_sparkasse_csv_in_windows_1252_is_read_and_a_pending_row_noted(ws):
    ws.input("bank/Umsaetze_DE89.csv", SPARKASSE.encode("cp1252"))
    assert bookings(ws) == [
        (OWN, date(2026, 11, 27), Decimal("1190.00"), "EUR", "Müller & Söhne GmbH", "DE02120300000000202051",
         "Rechnung RE-2026-0042", "", "input/bank/Umsaetze_DE89.csv", 2, "sparkasse-csv"),
        (OWN, date(2026, 11, 28), Decimal("-89.90"), "EUR", "Stadtwerke Musterstadt", "DE02120300000000202051",
         "Abschlag 11/2026", "", "input/bank/Umsaetze_DE89.csv", 3, "sparkasse-csv"),
    ]
    assert "input/bank/Umsaetze_DE89.csv: note: 1 entry the bank has not booked yet (pending), not read — they " \
           "count once a later statement books them" in problem_lines(ws.check())


def test_the_same_booking_in_two_statements_counts_once_and_twins_in_one_count_twice(ws):
    ws.input("week.csv", WEEK)
    twice = entry("08") + entry("08")  # two equal transfers on one day: two payments
    ws.input("bank/a.xml", camt("08", twice))
    ws.input("bank/b.xml", camt("08", twice + entry("08", "10.00", remittance="RE-2026-0050")))
    run = ws.check()
    assert list(zip(run.bookings[B.source_file], run.bookings[B.source_row])) == [
        ("input/bank/a.xml", 1), ("input/bank/a.xml", 2), ("input/bank/b.xml", 3)]
    assert "input/bank/b.xml:1: note: 2 bookings also in input/bank/a.xml, counted once" in problem_lines(run)
    out = ws.cli("check", "--period", "2026-11").output
    assert "Bank      2 statements, 3 bookings" in out
    assert "input/bank/b.xml    3 bookings  camt.053.001.08, 2 in an earlier statement" in out


def test_a_statement_is_never_read_as_a_timesheet_and_never_holds_back_billing(ws):
    ws.input("week.csv", WEEK)
    ws.input("bank/broken.xml", "<Document><unclosed>")
    run = ws.check()
    assert len(run.entries) == 1 and run.ok and not run.unreadable
    assert run.held_back().everyone is False


BAD = [
    ("not-xml.xml", b"<?xml version='1.0'?><Document><Stmt></Document>",
     "input/bank/not-xml.xml:1: warning: this is not well-formed XML (Opening and ending tag mismatch: Stmt line 1 "
     "and Document, line 1, column 49) — download the camt.053 statement from the bank again"),
    ("pain.xml", b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn/></Document>',
     "input/bank/pain.xml:1: warning: an XML document of urn:iso:std:iso:20022:tech:xsd:pain.001.001.09, not a "
     "camt.053 bank statement — export the account statement as camt.053 (camt.053.001.02 to 001.13), MT940 or the "
     "bank's CSV"),
    ("old.xml", b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01"><BkToCstmrStmt/></Document>',
     "input/bank/old.xml:1: warning: camt.053.001.01 is a version not read — the versions read are camt.053.001.02 "
     "to 001.13: choose one of them in the bank's export, or export MT940"),
    ("notice.xml", b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn/>'
                   b'</Document>',
     "input/bank/notice.xml:1: warning: a camt.054 message, not a camt.053 statement (camt.052 is an intraday "
     "report, camt.054 a notice) — export the account statement as camt.053 (camt.053.001.02 to 001.13)"),
    ("bomb.xml", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><d>&b;</d>',
     "input/bank/bomb.xml: warning: this XML declares a DOCTYPE, which no camt.053 statement has — not read; "
     "download the statement from the bank again"),
    ("kontoauszug.pdf", b"%PDF-1.7\n...",
     "input/bank/kontoauszug.pdf: warning: a PDF statement cannot be read — export the account's bookings as "
     "camt.053 (camt.053.001.02 to 001.13), MT940 or the bank's CSV"),
]


@pytest.mark.parametrize(("name", "data", "line"), BAD, ids=[b[0] for b in BAD])
def test_a_file_that_is_no_statement_is_one_warning_and_the_others_are_read(ws, name, data, line):
    ws.input(f"bank/{name}", data)
    ws.input("bank/z.sta", MT940)
    run = ws.check()
    assert [p for p in problem_lines(run) if "input/bank/" in p] == [line]
    assert len(run.bookings) == 2
    assert [(f.path, f.format) for f in run.bank_files] == [(f"input/bank/{name}", ""), ("input/bank/z.sta", "mt940")]


def test_bad_values_are_warnings_at_their_booking_and_field(ws):
    ws.input("bank/s.xml", camt("08", entry("08", "12,50") + entry("08", sign="XXX", ref="R2")
                                 + entry("08", booked="<Dt>2026-02-30</Dt>", ref="R3")))
    broken = MT940.replace(":61:2611281128DR89,90NDDTNONREF", ":61:26112X1128DR89,90NDDTNONREF")
    ws.input("bank/u.sta", broken)
    ws.input("bank/k.csv", "\r\n".join([SPARKASSE_HEADER, sparkasse_row("27.11.26", "12x", "R", "N")]).encode("cp1252"))
    run = ws.check()
    assert [p for p in problem_lines(run) if "input/bank/" in p] == [
        "input/bank/k.csv:2:Betrag: warning: unreadable Betrag '12x' — use a signed amount such as -1.234,56",
        "input/bank/s.xml:1:Amt: warning: entry 1 (line 8): amount '12,50' cannot be read (camt writes 1234.56) — "
        "download the statement again",
        "input/bank/s.xml:2:CdtDbtInd: warning: entry 2 (line 22): CdtDbtInd 'XXX' is neither CRDT nor DBIT, so "
        "whether money came in is unknown — download the statement again",
        "input/bank/s.xml:3:BookgDt: warning: entry 3 (line 36): BookgDt '2026-02-30' is no date (camt writes "
        "2026-11-30) — download the statement again",
        "input/bank/u.sta:8::61:: warning: statement line :61:26112X1128DR89,90NDDTNONREF cannot be read (MT940 "
        "writes YYMMDD[MMDD]C|D amount,cents type reference, e.g. :61:2612021202CR1190,00NTRFNONREF) — export the "
        "statement again",
    ]
    kept = run.bookings.set_index([B.source_file, B.source_row])
    assert kept.loc[("input/bank/s.xml", 1), B.amount] is None  # kept, never zero
    assert pd.isna(kept.loc[("input/bank/s.xml", 3), B.booking_date])
    assert len(run.bookings) == 5  # the :61: that cannot be read gives no booking; its warning says so


def test_german_account_numbers_become_their_iban():
    assert german_iban("37040044", "0532013000") == OWN
    assert german_iban("37040044", "532013000") == OWN
    assert german_iban("3704004", "532013000") is None


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=400),
    st.builds(lambda head, tail: head + tail, st.sampled_from([
        b"<?xml version='1.0'?>", b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">',
        b":20:X\n:25:1/2\n:61:", SPARKASSE_HEADER.encode() + b"\r\n", b"\xef\xbb\xbf"]), st.binary(max_size=300)),
    st.builds(lambda text, cut: text[:cut], st.sampled_from([camt("08", entry("08")), MT940, SPARKASSE]),
              st.integers(0, 1500)).map(lambda t: t.encode("utf-8")),
))
def test_no_bytes_give_a_traceback(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bank") / "s.dat"
    path.write_bytes(data)
    try:
        read = read_statement(path, "input/bank/s.dat")
    except StatementError as exc:
        assert exc.problem.code == "bad-statement"
    else:
        assert all(p.code == "bad-booking" for p in read.problems)
