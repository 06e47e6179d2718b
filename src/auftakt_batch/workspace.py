"""Workspaces: the folder layout, and `init` creating a new one from the skeleton.

    rates.yaml   the one config file        templates/   invoice template
    input/       exports dropped here       output/      everything generated
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

from .config import load_config
from .errors import BadArgument
from .render.timesheet import write_timesheet_template

MARKERS = ("rates.yaml", "input", "templates", "output")
TIMESHEET_TEMPLATE = Path("input") / "timesheet-template.xlsx"


class WorkspaceError(BadArgument):
    """The folder cannot become a new workspace; nothing was changed."""

    argument = "DIRECTORY"


def create_workspace(directory: Path) -> list[str]:
    """Write a new workspace into `directory` (new, or an empty folder); return the paths written."""
    _refuse_unsuitable(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create {directory}: {exc.strerror}") from None
    with as_file(files("auftakt_batch") / "skeleton") as skeleton:
        shutil.copytree(skeleton, directory, dirs_exist_ok=True)
    (directory / "output").mkdir()
    config, problems = load_config(directory / "rates.yaml")
    if config is None:  # pragma: no cover - the skeleton is tested to load cleanly
        raise RuntimeError("the packaged rates.yaml does not load: " + "; ".join(map(str, problems)))
    write_timesheet_template(config, directory / TIMESHEET_TEMPLATE)
    return sorted(p.relative_to(directory).as_posix() + ("/" if p.is_dir() else "")
                  for p in directory.rglob("*"))


def _refuse_unsuitable(directory: Path) -> None:
    if not str(directory).strip():
        raise WorkspaceError("give the folder for the new workspace, e.g. `auftakt-batch init my-agency`")
    if directory.exists() and not directory.is_dir():
        raise WorkspaceError(f"{directory} is a file, not a folder")
    taken = [name for name in MARKERS if (directory / name).exists()]
    if taken:
        raise WorkspaceError(f"{directory} already holds a workspace ({', '.join(taken)} already there) — "
                             "choose a new or empty folder; nothing was changed")
    if directory.is_dir() and any(directory.iterdir()):
        raise WorkspaceError(f"{directory} is not empty — choose a new or empty folder; nothing was changed")
    outer = next((p for p in directory.resolve().parents if (p / "rates.yaml").is_file()), None)
    if outer is not None:
        raise WorkspaceError(f"{directory} is inside the workspace {outer} — choose a folder outside it")
