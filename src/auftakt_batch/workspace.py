"""Workspaces: the folder layout, and `init` creating a new one from the skeleton.

    rates.yaml   the one config file        templates/   invoice template
    input/       exports dropped here       output/      everything generated
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

from .config import load_config
from .render.timesheet import write_timesheet_template

MARKERS = ("rates.yaml", "input", "templates", "output")
TIMESHEET_TEMPLATE = Path("input") / "timesheet-template.xlsx"


class WorkspaceExists(Exception):
    pass


def create_workspace(directory: Path) -> list[str]:
    """Write a new workspace into `directory` (created if needed); return the paths written."""
    taken = [name for name in MARKERS if (directory / name).exists()]
    if taken:
        raise WorkspaceExists(f"{directory} already holds a workspace ({', '.join(taken)} exist) — "
                              "choose an empty folder; nothing was changed")
    directory.mkdir(parents=True, exist_ok=True)
    with as_file(files("auftakt_batch") / "skeleton") as skeleton:
        shutil.copytree(skeleton, directory, dirs_exist_ok=True)
    (directory / "output").mkdir()
    config, problems = load_config(directory / "rates.yaml")
    if config is None:  # pragma: no cover - the skeleton is tested to load cleanly
        raise RuntimeError("the packaged rates.yaml does not load: " + "; ".join(map(str, problems)))
    write_timesheet_template(config, directory / TIMESHEET_TEMPLATE)
    return sorted(p.relative_to(directory).as_posix() + ("/" if p.is_dir() else "")
                  for p in directory.rglob("*"))
