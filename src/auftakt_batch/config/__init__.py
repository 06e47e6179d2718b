"""rates.yaml: the agency's one configuration file."""

from .load import load_config, parse_config
from .model import (
    NO_ROUNDING,
    Agency,
    Budget,
    CalendarRule,
    Cap,
    Client,
    Config,
    Fixed,
    Imports,
    Job,
    Mail,
    Milestone,
    Person,
    Reminders,
    Retainer,
    Rounding,
    Schedule,
    Smtp,
)

__all__ = ["NO_ROUNDING", "Agency", "Budget", "CalendarRule", "Cap", "Client", "Config", "Fixed", "Imports", "Job",
           "Mail", "Milestone", "Person", "Reminders", "Retainer", "Rounding", "Schedule", "Smtp", "load_config",
           "parse_config"]
