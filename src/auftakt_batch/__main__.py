"""`python -m auftakt_batch` and the auftakt-batch script (pyproject's entry point): the command line.

The script is what multiprocessing imports again, as its main module, in every worker it starts
from a fork server or by spawning (the PDF renderers: render/pdf.py). So this module imports the
command line only when it runs: a worker does not import the CLI, pandas and every stage for
nothing (about 0.35 s of CPU and 60 MB a worker, at the start of every `bill`).
"""


def main() -> None:
    from .cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
