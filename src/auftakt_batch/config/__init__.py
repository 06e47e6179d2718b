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
    Milestone,
    Person,
    Retainer,
    Rounding,
    Schedule,
)

__all__ = ["NO_ROUNDING", "Agency", "Budget", "CalendarRule", "Cap", "Client", "Config", "Fixed", "Imports", "Job",
           "Milestone", "Person", "Retainer", "Rounding", "Schedule", "load_config", "parse_config"]
