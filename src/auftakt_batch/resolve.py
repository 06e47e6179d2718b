"""Resolve: names as typed in exports → the people, clients and jobs of rates.yaml.

Needs: raw entries and the config. Gives: the same rows with `person_name`, `client_key`,
`job_key` (NA where a name is unknown; the checks report those) and the final `billable`
flag: the entry's own flag (default yes) and the job's and client's setting, all three.
Every distinct name is looked up once.
"""

from __future__ import annotations

import pandas as pd

from .config import Config
from .names import normalise


def resolve_names(raw: pd.DataFrame, config: Config) -> pd.DataFrame:
    person_name = _lookup(raw["person"], config.people.get)
    client_key = _lookup(raw["client"], config.client_names.get)
    job_key = _job_keys(client_key, raw["job"], config)
    return raw.assign(
        person_name=person_name,
        client_key=client_key,
        job_key=job_key,
        billable=_billable(raw["billable_flag"], client_key, job_key, config),
    )


def _lookup(names: pd.Series, get) -> pd.Series:
    table = {name: get(name) for name in names.unique()}
    return names.map(table).astype("str")


def _job_keys(client_key: pd.Series, job: pd.Series, config: Config) -> pd.Series:
    """Job key within its client; '' for a client without jobs and an empty job cell."""
    pairs = pd.DataFrame({"c": client_key, "j": job}).drop_duplicates().dropna(subset=["c"])
    table = {}
    for c, j in pairs.itertuples(index=False):
        if not config.clients[c].jobs:
            table[(c, j)] = "" if not normalise(j) else None
        else:
            table[(c, j)] = config.job_names[c].get(j)
    keys = pd.Series(list(zip(client_key, job)), index=job.index).map(table)
    return keys.astype("str")


def _billable(flag: pd.Series, client_key: pd.Series, job_key: pd.Series, config: Config) -> pd.Series:
    """Entry flag (default yes) and client.billable and job.billable."""
    settings = {(c, j): _setting(config, c, j) for c, j in set(zip(client_key, job_key))}
    setting = pd.Series(list(zip(client_key, job_key)), index=flag.index).map(settings).astype("boolean")
    return (flag.fillna(True) & setting.fillna(True)).astype("bool")


def _setting(config: Config, client_key, job_key) -> bool | None:
    if pd.isna(client_key):
        return None
    client = config.clients[client_key]
    job = client.jobs.get(job_key) if isinstance(job_key, str) else None
    return client.billable and (job.billable if job else True)
