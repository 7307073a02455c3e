"""Bounded, link-safe reads of data files, and how their paths are shown.

A data file must resolve inside the data directory (a symbolic link may not lead out of it), be
a regular file (a FIFO or device is never opened for a blocking read), hold at most the size
limit, and be UTF-8 without NUL characters. Every failure is a ``Problem``, never an exception.
"""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path

from ..errors import Problem
from ..text import printable
from .limits import Limits

ALLOWED_SUFFIX = ".yaml"


IGNORED_NAMES = {"README.md", ".gitkeep", ".DS_Store"}


def read_text(path: Path, display: str, data_root: Path, limits: Limits) -> tuple[str | None, Problem | None]:
    """The file's text, or a problem saying why it cannot be read (see ``read_bytes``, ``decode``)."""
    raw, problem = read_bytes(path, display, data_root, limits)
    return (None, problem) if raw is None else decode(raw, display)


def read_bytes(path: Path, display: str, data_root: Path, limits: Limits) -> tuple[bytes | None, Problem | None]:
    """The file's bytes, or a problem saying why it cannot be read.

    The file must resolve inside the data directory (a symbolic link may not lead out of it),
    be a regular file (a FIFO or device is never opened for a blocking read) and hold at most
    ``limits.max_file_bytes``.
    """
    try:
        target = _resolved(path)
        inside = target.is_relative_to(_real_directory(str(data_root)) or data_root.resolve())
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic-link loop (Python < 3.13)
        return None, Problem(display, 0, 0, "unreadable-file", f"cannot resolve the path: {exc}", "error", "remove the looping symbolic link")
    if not inside:
        return None, Problem(
            display,
            0,
            0,
            "symlink-outside",
            f"a symbolic link leads outside the data directory (to {target})",
            "error",
            "copy the file into the knowledge base instead of linking to it",
        )
    try:
        raw = _read_regular(path, limits.max_file_bytes)
    except OSError as exc:
        return None, Problem(display, 0, 0, "unreadable-file", f"cannot read file: {exc.strerror or exc}", "error", "check the file's permissions")
    if raw is None:
        return None, Problem(display, 0, 0, "not-a-file", "not a regular file", "error", "records are plain .yaml files")
    if isinstance(raw, int):
        return None, Problem(
            display,
            0,
            0,
            "file-too-large",
            f"file is larger than the limit of {limits.max_file_bytes} bytes ({raw} bytes)",
            "error",
            "split the record, or raise IRKB_MAX_FILE_BYTES",
        )
    return raw, None


_REAL_DIRECTORIES: dict[tuple[str, int, int, int], Path] = {}


def _real_directory(directory: str) -> Path | None:
    """``directory`` with every link resolved, or None when it cannot be looked at.

    Resolving walks every component of the path, for each of thousands of files in a handful of
    folders: the answer is kept per folder, for as long as the folder itself (its device, inode
    and mtime) stays the same; a folder replaced, by a link or anything else, is resolved again.
    """
    try:
        info = os.lstat(directory)
    except (OSError, ValueError):
        return None
    key = (directory, info.st_dev, info.st_ino, info.st_mtime_ns)
    found = _REAL_DIRECTORIES.get(key)
    if found is None:
        if len(_REAL_DIRECTORIES) >= 64:
            _REAL_DIRECTORIES.clear()
        found = _REAL_DIRECTORIES[key] = Path(directory).resolve()
    return found


def _resolved(path: Path) -> Path:
    """``path`` with every link resolved (``Path.resolve``): a file that is not itself a link is its
    folder's real path and its name."""
    name = os.fspath(path)
    try:
        is_link = stat.S_ISLNK(os.lstat(name).st_mode)
    except (OSError, ValueError):
        is_link = True  # gone or unreadable: Path.resolve says what it says
    folder = None if is_link else _real_directory(os.path.dirname(name))
    return path.resolve() if folder is None else folder / os.path.basename(name)


def decode(raw: bytes, display: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text (a byte-order mark is allowed and dropped) without NUL, or a located problem."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Problem(display, line, col, "invalid-utf8", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", "error", "save the file as UTF-8")
    if "\x00" in text:
        offset = text.index("\x00")
        line, col = _line_col(text, offset)
        return None, Problem(display, line, col, "invalid-character", "file contains a NUL character", "error")
    return text, None


def _read_regular(path: Path, limit: int) -> bytes | int | None:
    """The bytes of a regular file; its size (an int) when over ``limit``; None when not a regular file.

    Opened without blocking and checked on the open descriptor, so a FIFO cannot hang the read
    and a file swapped between a check and the read is still bounded.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > limit:
            return info.st_size
        # in chunks: read(limit + 1) would allocate the whole limit up front, however large it is set
        chunks: list[bytes] = []
        total = 0
        while chunk := handle.read(min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                return total
    return b"".join(chunks)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


@lru_cache(maxsize=8)
def _normal(directory: str) -> bool:
    return directory == os.path.normpath(directory)


def data_path(path: Path, data_dir: Path) -> str:
    """A data file's path relative to the knowledge base (``procedures/tips.yaml``), as problems store it.

    Stored problems never depend on the directory a command ran from; ``display_path`` makes them
    relative to the working directory when they are shown.
    """
    name, root = os.fspath(path), os.fspath(data_dir)
    if os.sep == "/" and name.startswith(root + "/") and "/." not in name and "//" not in name and _normal(root):
        rel = name[len(root) + 1 :]  # already absolute and normal: what the general route below gives
    else:
        try:
            rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(data_dir)).as_posix()
        except ValueError:
            rel = str(path)
    return printable(rel)


def display_path(path: Path, root: Path) -> str:
    """The path shown in problems: relative to the working directory when inside it.

    Symbolic links are not followed: a problem names the file the curator has, not its target.
    Characters that are not printable are escaped (see ``printable``).
    """
    try:
        shown = str(Path(os.path.abspath(path)).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        try:
            shown = str(Path(root.name) / path.relative_to(root))
        except ValueError:
            shown = str(path)
    return printable(shown)
