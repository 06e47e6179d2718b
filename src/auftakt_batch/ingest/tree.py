"""The files under input/: which are read, which cannot be and why, and which are junk.

Runs first in ingest, and whenever an input file is opened. input/ is walked with an explicit
stack, so its depth is limited by the longest path the system allows, not by Python's
recursion. A symlinked folder (a shared drive mounted in input/) is read wherever it points;
a folder reached twice, by a link back up or by two links, is read once (known by its device
and inode). Nothing is opened while walking: a named pipe, socket or device is refused from
its mode, since opening a FIFO waits for a writer forever; and `open_input` opens a file
without waiting, in case one took a file's place since.

Whatever may hold entries and cannot be read is an error on its path and listed as
unreadable: it stops a billing run, since any client may be in it. Editors' and the system's
junk is skipped without a word.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO

from ..problems import Problem, Severity, Source, error, info

TABLE_SUFFIXES = frozenset({".csv", ".tsv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
CALENDAR_SUFFIXES = frozenset({".ics"})
JSON_SUFFIXES = frozenset({".json"})
READ_SUFFIXES = TABLE_SUFFIXES | WORKBOOK_SUFFIXES | CALENDAR_SUFFIXES | JSON_SUFFIXES
OWN_NAMES = {"frames": ".json"}  # files a tool names without a type: Watson's frames file is JSON

# What editors, office suites and operating systems leave beside the files people work on:
# never entries, and some are unreadable by design. Skipped quietly, files and folders alike.
JUNK = (
    ".DS_Store",  # macOS Finder's view settings
    "._*",        # macOS AppleDouble files on shared drives: binary, even when named ._week.csv
    ".~lock.*#",  # LibreOffice's lock beside an open document
    "~$*",        # Excel's and Word's owner file beside an open document
    ".#*",        # Emacs's lock: a symlink to nowhere, by design
)
# Hidden names (a leading dot). A hidden folder (.git, .Trash-1000) and a hidden file of a type
# never read (.gitignore, .week.csv.swp) belong to tools: skipped quietly. A hidden file of a
# type we read (.timesheet.csv, ..csv) is READ, with a note. Reporting it instead would lose its
# hours from the invoices with at most a warning that `bill` only counts; on Windows such a name
# is as visible as any other and `..csv` is a slip of the keyboard. Reading one is safe: a copy
# of another export bills nothing twice (an entry in two files counts once), and one that is
# not an export at all is an error naming it.

KINDS = {  # file types that are not files: refused from their mode, never opened
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
# What to do about an input the system will not let us read, by errno (what went wrong is
# the system's own words, its strerror).
ADVICE: dict[int | None, str] = {
    errno.ENOENT: "run again (it was moved or deleted while being read)",
    errno.ELOOP: "point the link at the folder or file meant, or delete it",
    errno.ENAMETOOLONG: "move it to a folder nearer input/ (its path is longer than the system allows)",
}
NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX; where there are no FIFOs to wait on, nothing
READABLE = "make it readable (check its permissions) or move it out of input/"
DANGLING = "reconnect what it links to (an unmounted drive?) or delete the link"


class NotAFile(OSError):
    """A FIFO, socket, device or folder where a file was expected."""

    def __init__(self, mode: int) -> None:
        super().__init__(errno.EINVAL, "not a file")
        self.kind = KINDS.get(stat.S_IFMT(mode), "not a regular file")


@dataclass(frozen=True)
class Tree:
    files: tuple[Path, ...]  # regular files to read, in the order of their path under input/
    problems: tuple[Problem, ...]  # inputs that cannot be read (errors); folders read once, hidden files (notes)
    unreadable: tuple[str, ...]  # the labels of those errors: each stops a billing run


def walk(input_dir: Path, workspace: Path) -> Tree:
    """Every file under `input_dir`, symlinked folders included, and a problem for every input
    that cannot be read. Real folders are walked before linked ones, so a folder that is both
    in input/ and linked to keeps its own name."""
    files: list[Path] = []
    problems: list[Problem] = []
    seen: dict[tuple[int, int], str] = {}
    try:
        top = input_dir.stat()
    except OSError as exc:  # input/ missing (ingest says so), or a link to an unmounted drive
        link = _link(input_dir)
        missing = link is None and isinstance(exc, FileNotFoundError)
        return _tree(files, [] if missing else [cannot_read(folder_label(input_dir, workspace), exc, link)], input_dir)
    real: Listed = [(input_dir, top)] if stat.S_ISDIR(top.st_mode) else []
    linked: deque[tuple[Path, os.stat_result]] = deque()
    while real or linked:
        folder, status = real.pop() if real else linked.popleft()
        label = folder_label(folder, workspace)
        if (key := (status.st_dev, status.st_ino)) in seen:
            problems.append(info(Source(label), "folder-read-once",
                                 f"the same folder as {seen[key]}, reached again through a link — read once, there"))
            continue
        seen[key] = label
        inside, folders, links, found = _folder(folder, workspace)
        files += inside
        problems += found
        real.extend(reversed(folders))  # depth first, in the order of names
        linked.extend(links)
    return _tree(files, problems, input_dir)


Listed = list[tuple[Path, os.stat_result]]


def _folder(folder: Path, workspace: Path) -> tuple[list[Path], Listed, Listed, list[Problem]]:
    """(files, folders, linked folders (each with its status), problems) of one folder."""
    files: list[Path] = []
    folders: Listed = []
    linked: Listed = []
    problems: list[Problem] = []
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        return files, folders, linked, [cannot_read(folder_label(folder, workspace), exc)]
    for entry in entries:
        path = folder / entry.name
        try:
            kind = _kind(entry)
        except OSError as exc:
            problems.append(cannot_read(label_of(path, workspace), exc, _link(path)))
            continue
        if kind == "file":
            files.append(path)
            problems += [_hidden_file(path, workspace)] if entry.name.startswith(".") else []
        elif kind:
            (linked if kind == "linked folder" else folders).append((path, entry.stat()))  # stat() is cached
    return files, folders, linked, problems


def _kind(entry: os.DirEntry) -> str | None:
    """'file', 'folder' or 'linked folder' for a name to read, None for one skipped quietly;
    raises OSError (NotAFile for a FIFO, socket or device) for one that cannot be read."""
    if quiet(entry.name):
        return None
    mode = entry.stat().st_mode  # through a link: what it points to
    if stat.S_ISDIR(mode):
        return None if entry.name.startswith(".") else "linked folder" if entry.is_symlink() else "folder"
    if not stat.S_ISREG(mode):
        raise NotAFile(mode)
    return "file"


def _hidden_file(path: Path, workspace: Path) -> Problem:
    return info(Source(label_of(path, workspace)), "hidden-file", "hidden file read (its name starts with a dot)")


def _tree(files: list[Path], problems: list[Problem], input_dir: Path) -> Tree:
    files = sorted(files, key=lambda p: p.relative_to(input_dir).as_posix())
    return Tree(tuple(files), tuple(problems),
                tuple(p.source.file for p in problems if p.severity is Severity.ERROR))


def quiet(name: str) -> bool:
    """Junk, or a hidden name of a type never read: skipped without a word."""
    return any(fnmatchcase(name, pattern) for pattern in JUNK) or (
        name.startswith(".") and suffix(name) not in READ_SUFFIXES)


def suffix(name: str) -> str:
    """'.csv' for 'week.CSV', and for '.csv' and '..csv' too (a file named only by its type);
    '.json' for Watson's `frames` (OWN_NAMES)."""
    return "." + name.rpartition(".")[2].lower() if "." in name else OWN_NAMES.get(name.lower(), "")


def label_of(path: Path, workspace: Path) -> str:
    """A path as shown to the user: relative to the workspace (through the links as followed)."""
    return path.relative_to(workspace).as_posix() if path.is_relative_to(workspace) else str(path)


def folder_label(path: Path, workspace: Path) -> str:
    return label_of(path, workspace).rstrip("/") + "/"


def open_input(path: Path) -> BinaryIO:
    """An input file opened for reading without waiting (a FIFO put in its place since the walk
    would block a plain open until a writer comes); anything but a regular file is refused."""
    try:
        handle = open(path, "rb", opener=lambda name, flags: os.open(name, flags | NONBLOCK))
    except IsADirectoryError:
        raise NotAFile(stat.S_IFDIR) from None
    mode = os.fstat(handle.fileno()).st_mode
    if not stat.S_ISREG(mode):
        handle.close()
        raise NotAFile(mode)
    return handle


def read_input(path: Path) -> bytes:
    with open_input(path) as handle:
        return handle.read()


def size_of(path: Path) -> int:
    """The file's size in bytes; 0 for one that cannot be looked at (its reader says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def cannot_read(label: str, exc: OSError, link: str | None = None) -> Problem:
    """An input that cannot be read: the system's reason, and what to do (`link`: where the
    symlink at `label` points, if it is one)."""
    if isinstance(exc, NotAFile):
        return error(Source(label), "not-a-file", f"{exc.kind}, not a file — not opened; move it out of input/ "
                                                  "and put the export itself there")
    reason = exc.strerror or str(exc)
    dangling = link is not None and exc.errno == errno.ENOENT
    advice = DANGLING if dangling else ADVICE.get(exc.errno, READABLE)
    where = f"; it links to {link}" if link is not None else ""
    return error(Source(label), "unreadable", f"cannot be read ({reason}{where}) — {advice}")


def _link(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:  # not a link (or gone meanwhile)
        return None
