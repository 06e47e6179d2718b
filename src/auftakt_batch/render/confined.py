"""The files of templates/, read only when they really are regular files inside it.

The invoice template may include other templates, and templates/labels.yaml is read for the
words on an invoice; both are the workspace's to edit. A symlink must not let them put a file
from elsewhere into an issued invoice (`templates/evil.html -> /etc/passwd`, `templates/partials
-> /`), and a pipe or a device must not hang or flood a run. So every such file is read here:
its real path, symlinks resolved, must be inside the real templates folder, and what is opened
there must be a regular file (checked on the open file, not before opening it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FIX_OUTSIDE = "copy the file into templates/ instead of linking to it"


class TemplateRefused(ValueError):
    """A file of templates/ that may not be read; the message names it, says why and what to do."""


def read_within(folder: Path, name: str) -> bytes | None:
    """The bytes of `folder`/`name` (a relative path with '/'), or None if there is no such file.
    Raises TemplateRefused when it leads outside `folder` or is not a regular file."""
    shown = f"templates/{name}"
    try:
        real = (folder / name).resolve()
    except RuntimeError:  # a symlink loop (Python 3.11; later versions raise OSError)
        raise TemplateRefused(f"{shown} is a symlink loop — {FIX_OUTSIDE}") from None
    if not real.is_relative_to(folder.resolve()):
        raise TemplateRefused(f"{shown} points outside templates/ (to {real}) — {FIX_OUTSIDE}")
    try:  # non-blocking: opening a pipe must not wait for a writer
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "a pipe or a device"
        raise TemplateRefused(f"{shown} is {kind}, not a file — put the file itself there")
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def stamp(path: Path) -> tuple[str, int, int] | None:
    """What says a file of templates/ changed: its real path, modification time and size."""
    try:
        found = path.stat()
    except OSError:
        return None
    return str(path.resolve()), found.st_mtime_ns, found.st_size
