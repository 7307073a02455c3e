"""Where the compiled catalog lives, what it is keyed on, and opening it without following links.

The catalog of a knowledge base is ``<cache dir>/kb-<hash of the data directory>.sqlite`` in the
user's cache directory (``platformdirs``; ``IRKB_CACHE_DIR`` moves it, ``IRKB_NO_CACHE=1`` keeps it
in memory). It holds data only: records, index rows and problems — never the environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from importlib.machinery import PathFinder
from pathlib import Path

from .. import __version__

CACHE_FORMAT = "7"
APPLICATION_ID = 0x49524B42  # 'IRKB': PRAGMA application_id of every catalog irkb writes
# The libraries whose behaviour decides what a record compiles to: a new version rebuilds the catalog.
LIBRARIES = (
    ("pydantic", "version.py"),
    ("pydantic_core", "__init__.py"),
    ("ruamel", "yaml/__init__.py"),
    ("rapidfuzz", "__init__.py"),
    ("orjson", "__init__.py"),  # writes the stored JSON text
)


def cache_root() -> Path | None:
    """The directory irkb keeps its catalogs in, or None when caching is off (``IRKB_NO_CACHE``)."""
    if os.environ.get("IRKB_NO_CACHE"):
        return None
    override = os.environ.get("IRKB_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("irkb", appauthor=False))


def location(directory: Path, data_dir: Path) -> Path:
    """The catalog file of ``data_dir`` inside the cache ``directory``."""
    return directory / f"kb-{hashlib.sha256(str(data_dir).encode('utf-8', 'surrogateescape')).hexdigest()[:16]}.sqlite"


def prepare(directory: Path) -> bool:
    """Make the cache directory (mode 0700); False when it cannot be used safely.

    A symbolic link in the directory's own place is never followed: irkb will not write its files
    into whatever the link points at. (The folders above it, such as ``~/.cache``, may be links.)
    """
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        try:
            directory.mkdir(parents=True, mode=0o700)
        except FileExistsError:  # made meanwhile by another irkb: check it below
            pass
        except OSError:
            return False
        return prepare_checked(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and not stat.S_ISLNK(info.st_mode)


def prepare_checked(directory: Path) -> bool:
    """Whether ``directory`` is a real directory (not a link to one)."""
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode)


def safe_file(path: Path) -> bool:
    """Whether ``path`` (and SQLite's side files) are absent or regular files, never links or devices."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            info = os.lstat(str(path) + suffix)
        except FileNotFoundError:
            continue
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode):
            return False
    return True


def remove(path: Path) -> None:
    """Delete a catalog file and SQLite's side files (links themselves, never what they point at)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(str(path) + suffix)


def _stamp(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:-"
    return f"{path}:{info.st_size}:{info.st_mtime_ns}"


def library_file(name: str) -> str | None:
    """The file of library ``name`` that ``LIBRARIES`` names (its version is in it), found without
    importing the library; None when it is not installed."""
    spec = PathFinder.find_spec(name)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    return os.path.join(folders[0], dict(LIBRARIES)[name]) if folders else None


def code_fingerprint() -> str:
    """A hash of irkb's own modules (every one of them) and of the libraries that decide what a
    record compiles to: any change rebuilds the catalog rather than serve what older code made."""
    here = Path(__file__).resolve().parent.parent
    parts = [__version__, CACHE_FORMAT]
    for folder, _, names in sorted(os.walk(here)):
        parts += sorted(_stamp(os.path.join(folder, n)) for n in names if n.endswith(".py"))
    for name, _ in LIBRARIES:
        found = library_file(name)
        parts.append(_stamp(found) if found else f"{name}:-")
    return hashlib.sha256("|".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
