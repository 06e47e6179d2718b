"""Which all-day events mark someone away: their title, or a holiday calendar's own words.

In a person's calendar an all-day event is an absence only if its title says so ("Urlaub",
"vacation", "sick", "OOO", …). A public-holiday calendar (Google's "Holidays in Germany",
Outlook's, a state's feed) is recognised by its name (X-WR-CALNAME), or by every event carrying
Google's words in its description or a holiday category; its all-day events are days off whatever their
titles say — except those it says are not: Google writes "Public holiday", "Observance" or
"Not a public holiday" (and "Public holiday in Bavaria, …" for a regional one, which is not a
day off for everyone: regions come from `agency.region` and a person's `region:`).
"""

from __future__ import annotations

import re

import pandas as pd

ABSENCE = re.compile(r"\b(?:vacation|holiday|urlaub|ferien|sick|krank|out of office|ooo\b|pto\b|day off|abwesend|"
                     r"leave|elternzeit|feiertag|brückentag)", re.IGNORECASE)
HOLIDAY_CALENDAR = re.compile(r"holiday|feiertag", re.IGNORECASE)  # its name: "Holidays in Germany", "Feiertage …"
HOLIDAY_CATEGORY = re.compile(r"\b(?:holidays?|feiertage?)\b", re.IGNORECASE)
PUBLIC = re.compile(r"\s*(?:public holiday|gesetzlicher feiertag)\b(?!\s+in\b)", re.IGNORECASE)
NOT_PUBLIC = re.compile(r"\s*(?:not a public holiday|observance|kein gesetzlicher feiertag|gedenktag|"
                        r"public holiday\s+in\b|gesetzlicher feiertag\s+in\b)", re.IGNORECASE)


def holiday_calendar(name: str | None, events: list[tuple[str, str]]) -> bool:
    """Whether a calendar is a public-holiday feed: by its name, or because every one of its
    events (description, categories) is a holiday by Google's words or its category. All of its
    events are looked at, not just the period's: a month without a holiday does not make it
    someone's calendar, and one holiday copied into someone's calendar does not make it a feed."""
    return bool(name and HOLIDAY_CALENDAR.search(name)) or bool(events) and all(
        PUBLIC.match(description) or NOT_PUBLIC.match(description) or HOLIDAY_CATEGORY.search(categories)
        for description, categories in events)


def days_off(events: pd.DataFrame, holidays: bool) -> pd.Series:
    """Per event: an all-day event that marks its owner (or, for a holiday calendar, everyone) away."""
    description = events["description"].astype(str)
    public, not_public = description.str.match(PUBLIC), description.str.match(NOT_PUBLIC)
    said = events["summary"].astype(str).str.contains(ABSENCE) | holidays
    return events["all_day"].astype(bool) & (public | (~not_public & said))
