"""Whose calendar a file is, and which client each of its events is for.

Owner: `calendars: {FILE: {owner: PERSON}}` in rates.yaml, else the calendar's name
(X-WR-CALNAME), else the file's name — matched against the team's names, emails and aliases.
Client: a `[client-key]` tag in the summary decides; otherwise an attendee's (or the
organiser's) email domain in the client's `calendar.domains`, or one of its
`calendar.keywords` in the summary. An event that two clients claim is reported, not guessed.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pandas as pd

from ..config import Config
from ..names import normalise

_TAG = re.compile(r"\[([a-z0-9-]+)\]")
_SEPARATORS = re.compile(r"[-_.\s]+")


def owner_of(file: str, calendar_name: str | None, config: Config) -> str | None:
    """The team member a calendar file belongs to, or None."""
    name = PurePosixPath(file).name
    for key in (file, name, file.removeprefix("input/")):
        if key in config.calendar_owners:
            return config.calendar_owners[key]
    stem = PurePosixPath(file).stem
    candidates = [calendar_name or "", stem, _SEPARATORS.sub(" ", stem)]
    for text in candidates:
        if text and (person := config.people.get(text)) is not None:
            return person
    return config.mailboxes.get(normalise(stem))


def unowned_message(file: str, calendar_name: str | None, config: Config) -> str:
    named = f"its name {calendar_name!r} and " if calendar_name else ""
    return (f"whose calendar is this? {named}the file name match no one in the team — name the file after its owner "
            f"(e.g. {_example(config)}.ics), or add `calendars: {{{PurePosixPath(file).name}: {{owner: NAME}}}}` to "
            "rates.yaml")


def _domain_and_parents(domain: str) -> list[str]:
    """mail.acme.example → mail.acme.example, acme.example (a client's subdomains are its own)."""
    parts = domain.lower().split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]


def _example(config: Config) -> str:
    return config.team[0].email.split("@")[0] if config.team and config.team[0].email else "anna-schmidt"


def clients_of(events: pd.DataFrame, config: Config) -> pd.Series:
    """Per event, the tuple of client keys it is for (empty: not a client meeting)."""
    rules = {key: c.calendar for key, c in config.clients.items() if c.calendar is not None}
    domains = {d: key for key, rule in rules.items() for d in rule.domains}
    keywords = [(normalise(word), key) for key, rule in rules.items() for word in rule.keywords if word.strip()]

    def claim(summary: str, attendees: tuple, organizer: str) -> tuple[str, ...]:
        tags = {t for t in _TAG.findall(summary.lower()) if t in config.clients}
        if tags:
            return tuple(sorted(tags))
        found = {domains[d] for email in (organizer, *(a for a, _ in attendees))
                 for d in _domain_and_parents(email.rpartition("@")[2]) if d in domains}
        text = normalise(summary)
        found |= {key for word, key in keywords if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)}
        return tuple(sorted(found))

    return pd.Series([claim(s, a, o) for s, a, o in zip(events["summary"], events["attendees"], events["organizer"])],
                     index=events.index, dtype=object)
