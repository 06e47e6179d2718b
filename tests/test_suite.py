"""The suite's own bookkeeping: a property CI runs fewer examples of is hunted with by `make fuzz`."""

import re

from .conftest import ROOT


def test_make_fuzz_runs_every_property_ci_runs_fewer_examples_of():
    """A property whose comment says `make fuzz` runs it with the long profile is in the fuzz
    target's test files: lowering a count in CI never drops the hunt."""
    recipe = re.search(r"^fuzz:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M | re.S)
    assert recipe is not None and "HYPOTHESIS_PROFILE=long" in recipe.group(1)
    fuzzed = set(re.findall(r"tests/(test_\w+\.py)", recipe.group(1)))
    lowered = {path.name for path in (ROOT / "tests").glob("test_*.py")
               if re.search(r"`make fuzz` \(the long profile\)", path.read_text(encoding="utf-8"))}
    assert lowered and lowered <= fuzzed, sorted(lowered - fuzzed)
