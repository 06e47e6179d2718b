"""The errors a command ends with, named, and what each means for the exit code (cli.py maps
them in one place). Bad data never raises (problems.py); these are refusals with a message
that is ready for the user: it names what is wrong and what to do.
"""

from __future__ import annotations


class Refused(Exception):
    """A command cannot do what was asked; the message says why and what to do (exit 1)."""


class LedgerError(Refused):
    """The ledger file cannot be used as it is."""


class CannotIssue(Refused):
    """An invoice or credit note cannot be made (a template error, a client gone from rates.yaml):
    raised before its number is given out."""


class NothingToAccept(Refused):
    """The period's exports and the ledger agree, or the exports cannot be trusted to say so."""


class Unwritten(Refused):
    """An output file could not be written — another program holds it (a workbook open in Excel),
    or it is not writable. What the run did besides stands; the message names the file and the
    command that writes it again."""


class BadArgument(Exception):
    """An argument names nothing the command can use (a client, an invoice, a folder): a usage
    error (exit 2) about `argument`, as --help names it."""

    argument = ""


class Busy(Exception):
    """Another billing run holds the workspace's lock (exit 3)."""
