"""rates.yaml's `agency.accounting:` (how `export` books invoices for accounting) and each client's
`debtor_account`.

The chart of accounts (SKR03 or SKR04) gives the revenue account of each VAT case unless
`revenue_accounts` names another; the DATEV Beraternummer (1001–9999999) and Mandantennummer
(1–99999) are checked as DATEV's header describes them. A client's debtor account is its
`debtor_account`, else 10000 + its position under `clients:` (the first is 10001); two clients
never share one.
"""

from __future__ import annotations

import re
from datetime import date
from types import MappingProxyType
from typing import Mapping

from .model import Accounting, Client
from .reader import Reader
from .yamltree import Map, Node

ACCOUNTING_KEYS = {"chart", "consultant", "client_number", "fiscal_year_start", "revenue_accounts"}
VAT_CASES = ("standard", "reduced", "reverse_charge", "exempt", "outside_scope")
# the revenue accounts of DATEV's charts for each VAT case (all of them automatic accounts or accounts without
# tax, so no booking needs a BU-Schlüssel); README's "Handing over to accounting" says where each comes from
CHARTS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "SKR03": MappingProxyType({"standard": "8400", "reduced": "8300", "reverse_charge": "8336", "exempt": "8100",
                               "outside_scope": "8338"}),
    "SKR04": MappingProxyType({"standard": "4400", "reduced": "4300", "reverse_charge": "4336", "exempt": "4100",
                               "outside_scope": "4338"}),
})
DEBTORS = (10000, 69999)  # DATEV's debtor accounts beside four-digit general-ledger accounts
DEFAULT_DEBTOR = 10000  # + the client's position under clients: (1, 2, …)


def read_accounting(r: Reader, node: Node | None) -> Accounting | None:
    m = r.mapping(node, "agency.accounting", ACCOUNTING_KEYS, {"chart"})
    if m is None:
        return None
    f = m.items.get
    chart = r.choice(f("chart"), "agency.accounting.chart", tuple(CHARTS))
    consultant = _number(r, f("consultant"), "agency.accounting.consultant", 1001, 9999999,
                         "the Beraternummer: 4 to 7 digits, 1001 to 9999999")
    client_number = _number(r, f("client_number"), "agency.accounting.client_number", 1, 99999,
                            "the Mandantennummer: 1 to 5 digits, 1 to 99999")
    start = _month_day(r, f("fiscal_year_start"), "agency.accounting.fiscal_year_start")
    accounts = _revenue_accounts(r, f("revenue_accounts"), "agency.accounting.revenue_accounts")
    if chart is None or accounts is None:
        return None
    return Accounting(chart=chart, consultant=consultant, client_number=client_number,
                      fiscal_year_start=start or (1, 1),
                      revenue_accounts=MappingProxyType({**CHARTS[chart], **accounts}))


def _number(r: Reader, node: Node | None, path: str, low: int, high: int, what: str) -> int | None:
    """A number of digits (DATEV's numbers are whole, unsigned, without leading zeros' meaning)."""
    text = r.text(node, path)
    if text is None:
        return None
    if not re.fullmatch(r"\d+", text.strip()) or not low <= int(text) <= high:
        r.fail(node.line, path, f"{text!r} is not {what}")
        return None
    return int(text)


def _month_day(r: Reader, node: Node | None, path: str) -> tuple[int, int] | None:
    text = r.text(node, path)
    if text is None:
        return None
    found = re.fullmatch(r"(\d{2})-(\d{2})", text.strip())
    try:
        day = date(2001, int(found[1]), int(found[2])) if found else None  # 2001: no 29 February
    except ValueError:
        day = None
    if day is None:
        r.fail(node.line, path, f"{text!r} is not a month and day like 01-01 (MM-DD; the fiscal year's first day)")
        return None
    return day.month, day.day


def _revenue_accounts(r: Reader, node: Node | None, path: str) -> dict[str, str] | None:
    m = r.mapping(node, path, set(VAT_CASES))
    if m is None:
        return {}
    accounts = {case: r.pattern(value, f"{path}.{case}", r"[1-9]\d{3}", "a four-digit account number like 8400")
                for case, value in m.items.items() if case in VAT_CASES}
    return None if None in accounts.values() else accounts  # type: ignore[return-value]  # None: said


def read_debtor_account(r: Reader, node: Node | None, path: str) -> int | None:
    low, high = DEBTORS
    return _number(r, node, path, low, high, f"a debtor account: a number from {low} to {high}")


def check_debtors(r: Reader, clients: Mapping[str, Client], clients_node: Map) -> None:
    """Two clients never book to one debtor account: one given that another client has too (given,
    or its default: 10000 + its position) is an error at the `debtor_account` given."""
    owners: dict[int, str] = {}
    for key, account in debtor_accounts(clients).items():
        other = owners.setdefault(account, key)
        if other == key:
            continue
        given, clash = (key, other) if clients[key].debtor_account is not None else (other, key)
        how = "" if clients[clash].debtor_account is not None else " (its default: 10000 + its position)"
        r.fail(clients_node.items[given].items["debtor_account"].line, f"clients.{given}.debtor_account",
               f"{account} is the debtor account of {clash} too{how} — give each client its own")


def debtor_accounts(clients: Mapping[str, Client]) -> dict[str, int]:
    """Client key -> its debtor account: its own, else 10000 + its position under clients: (from 1)."""
    return {key: c.debtor_account if c.debtor_account is not None else DEFAULT_DEBTOR + position
            for position, (key, c) in enumerate(clients.items(), 1)}
