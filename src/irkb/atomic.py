"""Every file irkb writes goes through here: a temporary file beside the target, fsync, rename.

- The target is never half-written: a failure, Ctrl-C or SIGTERM removes the temporary file (and
  SQLite's ``-journal``/``-wal``/``-shm`` beside it) and leaves the old file as it was.
- Only regular files are replaced: a symbolic link, FIFO, device or directory in the target's
  place is refused (``TargetRefused``), never written through or silently replaced.
- ``expect`` makes the write a compare-and-swap: right before the rename the target must still be
  the file that was read (same inode, size, mtime and content hash), else ``ChangedOnDisk`` and
  the other writer's version stays.
- ``create`` never replaces a file that appeared meanwhile (``FileExistsError``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import IrkbError, UsageError

_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


class TargetRefused(UsageError):
    """The path to write is not a regular file (a link, FIFO, device or directory) or has no directory."""


class ChangedOnDisk(IrkbError):
    """The file changed on disk after it was read; it was left as the other writer saved it."""

    exit_code = 1


@dataclass(frozen=True)
class Stamp:
    """What identifies the version of a file that was read."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, info: os.stat_result, data: bytes) -> Stamp:
        """The stamp of ``data``, read from a file whose ``fstat`` is ``info``."""
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, hashlib.sha256(data).hexdigest())


def check_target(path: Path) -> None:
    """Raise ``TargetRefused`` unless ``path`` is a regular file or does not exist yet, in an existing directory."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not Path(path).parent.is_dir():
            raise TargetRefused(f"directory '{Path(path).parent}' does not exist") from None
        return
    if stat.S_ISLNK(info.st_mode):
        raise TargetRefused(f"'{path}' is a symbolic link; irkb does not write through links (remove it, or name the real file)")
    if stat.S_ISDIR(info.st_mode):
        raise TargetRefused(f"'{path}' is a directory; name a file")
    if not stat.S_ISREG(info.st_mode):
        raise TargetRefused(f"'{path}' is not a regular file (a FIFO or device); to stream, write to stdout ('-o -') and redirect")


def _mode_for(path: Path) -> int:
    try:
        return os.lstat(path).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _same(path: Path, expect: Stamp) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns) != (
            expect.device,
            expect.inode,
            expect.size,
            expect.mtime_ns,
        ):
            return False
        return hashlib.file_digest(handle, "sha256").hexdigest() == expect.sha256


def _remove(tmp: str) -> None:
    for suffix in ("", *_SQLITE_SIDE_FILES):
        with contextlib.suppress(OSError):
            os.unlink(tmp + suffix)


@contextlib.contextmanager
def replacing(path: Path, *, expect: Stamp | None = None, create: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` to build the new file in; on success it replaces ``path``.

    The caller writes (or lets SQLite write) the temporary file; it is fsynced and renamed over the
    target when the block ends without an exception, and removed otherwise.
    """
    path = Path(path)
    check_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        if create:
            os.link(tmp, path)  # fails if the file appeared meanwhile: no silent overwrite
            return
        check_target(path)  # replaced by a link or FIFO while we worked: refuse now
        if expect is not None and not _same(path, expect):
            raise ChangedOnDisk(f"'{path}' changed on disk while irkb worked on it; left as it was saved")
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def write_bytes(path: Path, data: bytes, *, expect: Stamp | None = None, create: bool = False) -> None:
    """Replace (or with ``create``, create) ``path`` with ``data`` atomically."""
    with replacing(path, expect=expect, create=create) as tmp:
        tmp.write_bytes(data)


def write_chunks(path: Path, chunks: Iterable[str]) -> None:
    """Replace ``path`` atomically with the UTF-8 text of ``chunks``, written as they come."""
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)


def write_text(path: Path, text: str, *, expect: Stamp | None = None, create: bool = False) -> None:
    """Replace ``path`` with UTF-8 ``text`` atomically (newlines written as given)."""
    write_bytes(path, text.encode("utf-8"), expect=expect, create=create)


def read_stamped(path: Path) -> tuple[bytes, Stamp]:
    """A regular file's bytes and the stamp that ``expect`` checks; links are not followed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TargetRefused(f"'{path}' is not a regular file")
        data = handle.read()
    return data, Stamp.of(info, data)


def generated_file(path: Path, text: str, argv: Iterable[str], source: str, command: str) -> int:
    """``python -m <module> [--check]`` of a file generated from the code (committed, never edited
    by hand): write ``text`` to ``path``, or with ``--check`` exit 1 when ``path`` differs from it."""
    import sys

    if "--check" in argv:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path}: out of date with {source}; run '{command}'", file=sys.stderr)
            return 1
        return 0
    write_text(path, text)
    print(path)
    return 0
