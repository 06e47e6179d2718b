"""Resolve: names as typed in exports → the people, clients and jobs of rates.yaml.

Needs: raw entries and the config. Gives: the same rows with `person_name`, `client_key`,
`job_key` (NA where a name is unknown; the checks report those) and the final `billable`
flag: the job's and client's setting and — with `imports.billable: export`, the default —
the entry's own flag (default yes). Every distinct name is looked up once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..config import Config
from ..frames import firsts
from ..ingest.formats import FORMATS
from ..names import normalise, per_distinct
from ..schemas import Entries as E

FILE_NAMED = frozenset(f.name for f in FORMATS if f.person_from_file)  # formats whose file names its person


def resolve_names(raw: pd.DataFrame, config: Config) -> pd.DataFrame:
    person_name = person_names(raw, config)
    client_key, job_key = client_and_job_keys(raw, config)
    return raw.assign(**{
        E.person_name: person_name,
        E.client_key: client_key,
        E.job_key: job_key,
        E.billable: _billable(raw[E.billable_flag], client_key, job_key, config),
    })


def client_and_job_keys(raw: pd.DataFrame, config: Config) -> tuple[pd.Series, pd.Series]:
    """Each row's client key and job key (NA where unknown), from its client and job as typed
    (an empty client: the one client whose job it names). Expenses are resolved by it too."""
    client_key = _lookup(raw[E.client], config.client_names.get).fillna(_client_of_job(raw, config).astype("str"))
    return client_key, _job_keys(client_key, raw[E.job], config)


def rates_billable(entries: pd.DataFrame, config: Config) -> pd.Series:
    """Whether rates.yaml bills each entry's client and job, whatever the export's flag says
    (an unknown client or job: yes, its error holds it back)."""
    pairs = pd.DataFrame({"c": entries[E.client_key], "j": entries[E.job_key]}, copy=False)
    first, which = firsts(pairs)
    setting = np.array([True if pd.isna(c) or pd.isna(j) else  # unknown: its error holds it back
                        config.clients[c].billable and (config.clients[c].jobs[j].billable if j else True)
                        for c, j in pairs.iloc[first].itertuples(index=False)], dtype=bool)
    return pd.Series(setting[which], index=entries.index)


def person_names(raw: pd.DataFrame, config: Config) -> pd.Series:
    """Each row's person: by the name in the export, else by its email column (a tracker's user
    name may be a login), else — in a one-person file named after its person (Watson's) — by the
    mailbox that name is (`anna.json`: anna@…); NA where none is in the team."""
    named = _lookup(raw[E.person], config.people.get)
    unnamed = named.isna().to_numpy()
    if unnamed.any():  # by email only where the name is no one's: a year's emails are not looked at otherwise
        named = named.fillna(_lookup(raw[E.email].where(unnamed), config.people.get))
    by_file = raw[E.source_format].isin(FILE_NAMED)
    if not by_file.any():
        return named
    return named.fillna(per_distinct(raw[E.person].where(by_file), lambda n: config.mailboxes.get(normalise(n))))


def _lookup(names: pd.Series, get: Callable[[str], str | None]) -> pd.Series:
    return per_distinct(names, get)


def _client_of_job(raw: pd.DataFrame, config: Config) -> pd.Series:
    """For an entry without a client (trackers allow projects without one): the client whose
    job it names, if exactly one client has a job by that name."""
    owners = config.job_owners

    def owner(job: str) -> str | None:
        keys = owners.get(normalise(job), frozenset())
        return next(iter(keys)) if len(keys) == 1 else None

    return per_distinct(raw[E.job].where(raw[E.client].eq("")), owner)  # ingest strips every value


def _job_keys(client_key: pd.Series, job: pd.Series, config: Config) -> pd.Series:
    """Job key within its client; '' for a client without jobs and an empty job cell."""
    pairs = pd.DataFrame({"c": client_key, "j": job}, copy=False)
    first, which = firsts(pairs)
    keys = np.array([None if pd.isna(c) else config.job_names[c].get(j) if config.clients[c].jobs else
                     ("" if not normalise(j) else None) for c, j in pairs.iloc[first].itertuples(index=False)]
                    + [None], dtype=object)
    return pd.Series(keys[which], index=job.index, dtype="str")


def _billable(flag: pd.Series, client_key: pd.Series, job_key: pd.Series, config: Config) -> pd.Series:
    """client.billable and job.billable, and the entry's flag (default yes) unless
    `imports.billable: rates` says the export's flag is not ours to follow."""
    setting = rates_billable(pd.DataFrame({E.client_key: client_key, E.job_key: job_key}), config)
    if config.imports.billable == "rates":
        return setting
    return (flag.fillna(True) & setting).astype("bool")
