"""Calendars: ICS exports as meetings, absences and evidence of untracked time."""
