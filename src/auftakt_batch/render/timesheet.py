"""The timesheet template: an XLSX whose person, client and job cells are drop-downs.

Written by `init` into input/. The lists live on a hidden sheet and are fed from
rates.yaml; the job list follows the client chosen in the same row (a dependent drop-down
via INDIRECT), so the data is clean before it is ever exported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..config import Config
from ..ingest.formats import NATIVE

HEADER = tuple(field for field in NATIVE.columns if field not in ("start", "end"))
WIDTHS = (12, 22, 28, 28, 18, 48, 8, 9)
ROWS = 2000  # rows that carry the drop-downs
LISTS = "Lists"


def write_timesheet_template(config: Config, path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Timesheet"
    _header(sheet)
    lists = book.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    _lists(book, lists, config)
    _validations(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def job_range_name(client_key: str) -> str:
    return "jobs_" + client_key.replace("-", "_")


def _header(sheet: Worksheet) -> None:
    sheet.append(HEADER)
    for cell, width in zip(sheet[1], WIDTHS):
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
        cell.alignment = Alignment(vertical="center")
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    for row in range(2, ROWS + 2):
        sheet.cell(row, 1).number_format = "yyyy-mm-dd"
        sheet.cell(row, 7).number_format = "@"  # text: "1:30" must not become a fraction of a day


def _lists(book: Workbook, lists: Worksheet, config: Config) -> None:
    lists["A1"], lists["C1"], lists["D1"] = "people", "clients", "job list"
    for i, person in enumerate(config.team, start=2):
        lists.cell(i, 1, person.name)
    clients = list(config.clients.values())
    for i, client in enumerate(clients, start=2):
        lists.cell(i, 3, client.name)
        lists.cell(i, 4, job_range_name(client.key))
        column = 6 + i - 2
        lists.cell(1, column, client.key)
        jobs = [job.name for job in client.jobs.values()] or [""]
        for j, name in enumerate(jobs, start=2):
            lists.cell(j, column, name)
        letter = lists.cell(1, column).column_letter
        _name(book, job_range_name(client.key), f"{LISTS}!${letter}$2:${letter}${len(jobs) + 1}")
    _name(book, "People", f"{LISTS}!$A$2:$A${max(len(config.team), 1) + 1}")
    _name(book, "Clients", f"{LISTS}!$C$2:$C${max(len(clients), 1) + 1}")
    _name(book, "ClientJobs", f"{LISTS}!$C$2:$D${max(len(clients), 1) + 1}")


def _name(book: Workbook, name: str, ref: str) -> None:
    book.defined_names[name] = DefinedName(name, attr_text=ref)


def _validations(sheet: Worksheet) -> None:
    last = ROWS + 1

    def add(column: str, title: str, prompt: str, **kwargs: Any) -> None:
        dv = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True,
                            promptTitle=title, prompt=prompt, errorTitle=title, **kwargs)
        dv.error = prompt
        dv.add(f"{column}2:{column}{last}")
        sheet.add_data_validation(dv)

    add("A", "Date", "The day worked, e.g. 2026-11-03.", type="date", operator="greaterThan",
        formula1="DATE(2000,1,1)")
    add("B", "Person", "Pick a team member from rates.yaml.", type="list", formula1="=People")
    add("C", "Client", "Pick a client from rates.yaml.", type="list", formula1="=Clients")
    add("D", "Job", "Pick a job of the client in this row.", type="list",
        formula1="=INDIRECT(VLOOKUP($C2,ClientJobs,2,FALSE))")
    add("G", "Hours", "Hours worked: 1.5 or 1:30 for one and a half hours.", type="textLength",
        operator="between", formula1="1", formula2="8")
    add("H", "Billable", "yes or no; leave empty for the job's setting.", type="list", formula1='"yes,no"')
