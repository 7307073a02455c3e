"""Finding the data files on disk: one stat per file, and a content hash when only the mtime moved."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

from ..ingest.files import IGNORED_NAMES
from ..kinds import KINDS


class FileStat(NamedTuple):
    """A data file as found on disk (plain strings: a scan of 10,000 files stays cheap)."""

    kind: str
    file: str
    rel: str
    size: int
    mtime_ns: int


Found = tuple[str, str, int, int]
"""A file as a scan finds it: (kind, path relative to the data directory, size, mtime_ns)."""


def scan(data_dir: Path) -> list[Found]:
    """Every file in each kind's folder (kinds in table order, files by name), with size and mtime.

    One stat per file and little else: at 10,000 files this runs before every command, so rows
    are plain tuples (a ``FileStat`` is made only for a file that changed).
    """
    out: list[Found] = []
    for kind in KINDS:
        rows: list[tuple[str, int, int]] = []
        append = rows.append
        try:
            with os.scandir(os.path.join(data_dir, kind.folder)) as it:
                for entry in it:
                    base = entry.name
                    if base[0] == "." or base in IGNORED_NAMES:
                        continue
                    try:
                        st = entry.stat(follow_symlinks=not entry.is_symlink())
                        append((base, st.st_size, st.st_mtime_ns))
                    except OSError:
                        append((base, -1, -1))
        except OSError:
            continue
        rows.sort()
        name, prefix = kind.name, kind.folder + "/"
        out += [(name, prefix + base, size, mtime) for base, size, mtime in rows]
    return out


def sha256(path: str) -> str | None:
    """Hash of a regular file's content, read in chunks; None for anything else (a FIFO, a device)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not S_ISREG(os.fstat(fd).st_mode):
                return None
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
