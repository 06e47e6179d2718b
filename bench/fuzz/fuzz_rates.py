"""rates.yaml: any bytes, saved as a workspace's rates.yaml, read by `load_config()` (decoding,
the positioned YAML tree, every key's reader, the cross-checks between agency, team, clients,
jobs, budgets and calendars).

Invariant: load_config never raises and returns (Config or None, problems): a list of Problems
naming rates.yaml, a Config exactly when there is none, and None never without a problem to
say why (a silent None would leave the user with nothing to fix).
"""


import atheris
import yaml  # noqa: F401  (imported before instrumenting: only auftakt_batch is)

with atheris.instrument_imports(include=["auftakt_batch"]):
    from auftakt_batch.config import Config, load_config
    from auftakt_batch.problems import Problem

from common import Scratch, run

SCRATCH = Scratch()
PATH = SCRATCH.root / "rates.yaml"


def test_one_input(data: bytes) -> None:
    PATH.write_bytes(data)
    result = load_config(PATH)
    assert isinstance(result, tuple) and len(result) == 2, result
    config, problems = result
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems), problems
    assert all(p.source.file == "rates.yaml" for p in problems), [str(p) for p in problems]
    if config is None:
        assert problems, "no config and no problem saying why"
    else:
        assert isinstance(config, Config) and not problems, [str(p) for p in problems]


if __name__ == "__main__":
    run("rates", test_one_input)
