"""Pricing: each entry's hourly rate and its billed duration after rounding.

Needs: Entries and the config. Gives: PricedEntries, the same rows with `rate` (Decimal, or None where no
rate is in force — the `no-rate` check reports those) and `billed_s` (whole seconds after the
rounding rule of the job, else the client, else the agency — `rounding: none` at any of them bills
the logged time; the raw `duration_s` is kept).
Rates are looked up once per person, client and job for each stretch of days in which no
rate changes, never per row.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from ..config import Config, Rounding
from ..frames import firsts
from ..schemas import Entries as E
from ..schemas import PricedEntries as P
from ..schemas import added
from ..units import CENT
from .rates import rate_changes, rate_for

RATE_KEY = [E.person_name, E.client_key, E.job_key, E.date]


def price(entries: pd.DataFrame, config: Config, known: pd.DataFrame | None = None) -> pd.DataFrame:
    """Entries → PricedEntries (what pricing adds checked against its contract). No entries (all
    billed already, say): the same empty columns, without the lookups' merges. `known`: `prices`
    of a frame these entries are rows of, taken instead of looked up again where each of them is
    there under its index with its entry id (else they are looked up)."""
    found = _taken(known, entries) if known is not None else None
    if found is None:
        found = prices(entries, config)
    return added(P, entries.assign(**{c: found[c] for c in (P.rate, P.billed_s)}))


def prices(entries: pd.DataFrame, config: Config) -> pd.DataFrame:
    """What pricing adds to each entry (`rate`, `billed_s`), and its `entry_id`, by the entries'
    index: a check of a year's entries works them out while its workers check (pipeline.check), for
    billing and the report to take (`price`)."""
    if entries.empty:
        return pd.DataFrame({P.rate: pd.Series(index=entries.index, dtype=object),
                             P.billed_s: pd.Series(index=entries.index, dtype="Int64"),
                             E.entry_id: pd.Series(index=entries.index, dtype=object)})
    return pd.DataFrame({P.rate: entry_rates(entries, config), P.billed_s: billed_seconds(entries, config),
                         E.entry_id: entries[E.entry_id]})


def _taken(known: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame | None:
    """`known`'s prices of `entries`, by their index (an empty frame given longer columns would take
    their rows); None unless every entry is there, under its own entry id."""
    if E.entry_id not in entries or not entries.index.isin(known.index).all():
        return None
    found = known.reindex(entries.index)
    same = found[E.entry_id].to_numpy(dtype=object) == entries[E.entry_id].to_numpy(dtype=object)
    return found if same.all() else None


def entry_rates(entries: pd.DataFrame, config: Config) -> pd.Series:
    """The rate in force for each billable entry (object Series of Decimal; None where there is none).
    Looked up once per person, client and job between two days on which a rate changes."""
    keys = entries[RATE_KEY]
    known = (entries[E.billable] & keys.notna().all(axis=1)).to_numpy(dtype=bool)
    looked_up = keys[known]
    era = np.searchsorted(np.array(rate_changes(config), dtype="datetime64[us]"),
                          looked_up[E.date].to_numpy(), side="right")
    first, which = firsts(looked_up[RATE_KEY[:-1]].assign(era=era))
    combos = looked_up[RATE_KEY].iloc[first]
    found = [rate_for(config, p, c, j or None, d.date())[0] for p, c, j, d in combos.itertuples(index=False)]
    rates = np.full(len(entries), None, dtype=object)
    rates[known] = _objects(found)[which]
    return pd.Series(rates, index=entries.index, dtype=object)


def _objects(values: list) -> np.ndarray:
    """A list as a one-dimensional object array, to be taken from by position."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def logged_seconds(entries: pd.DataFrame) -> pd.Series:
    """Each entry's logged time in seconds: 0 for a missing or negative duration (an error, not time)."""
    return entries[E.duration_s].fillna(0).clip(lower=0)


def billed_seconds(entries: pd.DataFrame, config: Config) -> pd.Series:
    """Duration after the entry's rounding rule, per entry; NA where the duration is unknown."""
    keys = entries[[E.client_key, E.job_key]]
    first, which = firsts(keys)
    rules = [rounding_for(config, c, j) for c, j in keys.iloc[first].itertuples(index=False)]
    # no rule: billed to the second, as logged
    step = pd.Series(np.array([step_seconds(r, none=1) for r in rules], dtype=np.int64)[which], index=entries.index)
    mode = pd.Series(_objects([_mode(r) for r in rules])[which], index=entries.index)
    return round_seconds(entries[E.duration_s], step, mode)


def round_seconds(seconds: pd.Series, step: pd.Series, mode: pd.Series) -> pd.Series:
    """Round whole seconds to multiples of `step` (up, down or nearest with halves up), vectorised
    (Int64: NA stays NA)."""
    seconds = seconds.astype("Int64")
    steps = step.to_numpy(dtype=np.int64)
    if not (steps > 1).any():  # no rounding rule in force: billed as logged
        return seconds
    missing = seconds.isna().to_numpy()
    values, modes = seconds.to_numpy(dtype=np.int64, na_value=0), mode.to_numpy(dtype=object)
    rounded = np.where(modes == "down", values // steps * steps,
                       np.where(modes == "up", -(-values // steps) * steps, (values + steps // 2) // steps * steps))
    return pd.Series(pd.arrays.IntegerArray(np.where(steps > 1, rounded, values), missing), index=seconds.index)


def rounding_for(config: Config, client_key: object, job_key: object) -> Rounding | None:
    """The rounding rule in force: the most specific one given (job, then client, then agency);
    None when none is given or that one is `rounding: none`."""
    client = config.clients.get(client_key) if isinstance(client_key, str) else None
    job = client.jobs.get(job_key) if client is not None and isinstance(job_key, str) else None
    for rule in (job.rounding if job else None, client.rounding if client else None, config.agency.rounding):
        if rule is not None:
            return rule if rule.minutes else None
    return None


def amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity × unit price, rounded half-up to cents."""
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def step_seconds(rule: Rounding | None, none: int) -> int:
    """A rounding rule's step in whole seconds; `none` where no rule is in force (each use says why)."""
    return rule.minutes * 60 if rule else none


def _mode(rule: Rounding | None) -> str:
    return rule.mode if rule else "none"
