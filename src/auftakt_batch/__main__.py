"""`python -m auftakt_batch`: the command line, as the auftakt-batch script runs it."""

from .cli import main

main()
