"""Which hourly rate applies to an entry: PRODUCT.md's precedence, at the entry's date.

Most specific first: person on job, job, person on client, role on client, client
default — each taken at the rate in force on the entry's date. A level with no rate in
force on that date is skipped; when no level has one, there is no rate (an error, never
a bill at zero).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from ..config import Client, Config, Schedule

LEVELS = ("person on job", "job", "person on client", "role on client", "client")


def rate_for(config: Config, person: str, client_key: str, job_key: str | None,
             day: date) -> tuple[Decimal, str] | tuple[None, None]:
    """(rate, level it came from) for one entry, or (None, None) when no rate is in force."""
    client = config.clients[client_key]
    for level, schedule in zip(LEVELS, _schedules(config, client, person, job_key)):
        if schedule is not None and (rate := schedule.at(day)) is not None:
            return rate, level
    return None, None


def _schedules(config: Config, client: Client, person: str, job_key: str | None) -> Iterator[Schedule | None]:
    job = client.jobs.get(job_key) if job_key else None
    role = config.roles.get(person)
    yield job.person_rates.get(person) if job else None
    yield job.rate if job else None
    yield client.person_rates.get(person)
    yield client.role_rates.get(role) if role else None
    yield client.rate


def rate_changes(config: Config) -> list[date]:
    """Every day on which some rate of rates.yaml changes: between two of them, all rates hold."""
    days: set[date] = set()
    for client in config.clients.values():
        schedules = [client.rate, *client.role_rates.values(), *client.person_rates.values()]
        for job in client.jobs.values():
            schedules += [job.rate, *job.person_rates.values()]
        days.update(start for s in schedules if s is not None for start, _ in s.changes if start is not None)
    return sorted(days)
