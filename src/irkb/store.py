"""Where the knowledge base lives, and loading all of it."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import DataDirError
from .integrity import DIRECTORY as DIRECTORIES
from .kb import KnowledgeBase

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class DataDir:
    """A knowledge-base directory, where it was found, and whether irkb may write to it."""

    path: Path
    origin: str  # option | env | checkout | package
    read_only: bool = False


def checkout_root() -> Path | None:
    """The source checkout irkb runs from (an editable install), or None."""
    root = PACKAGE_DIR.parent.parent
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir() and (root / "src" / "irkb").is_dir():
        return root
    return None


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> DataDir:
    """``--data-dir``, else ``IRKB_DATA_DIR``, else the checkout's ``data/``, else the packaged copy."""
    if explicit:
        path, origin = Path(explicit), "option"
    elif os.environ.get("IRKB_DATA_DIR"):
        path, origin = Path(os.environ["IRKB_DATA_DIR"]), "env"
    elif (root := checkout_root()) is not None:
        return DataDir(root / "data", "checkout")
    else:
        return DataDir(PACKAGE_DIR / "_data", "package", read_only=True)
    if not path.is_dir():
        raise DataDirError(f"data directory '{path}' does not exist or is not a directory")
    if not any((path / folder).is_dir() for folder in DIRECTORIES.values()):
        folders = ", ".join(f + "/" for f in DIRECTORIES.values())
        raise DataDirError(f"'{path}' holds no irkb knowledge base (expected one or more of: {folders})")
    return DataDir(path, origin)


def schema_dir() -> Path:
    """Where the JSON Schemas live: the checkout's ``schemas/`` or the packaged copy."""
    root = checkout_root()
    return root / "schemas" if root is not None else PACKAGE_DIR / "_schemas"


def load(data_dir: str | os.PathLike[str] | None = None, *, today: dt.date | None = None, progress: bool = False, overlap: bool = False) -> KnowledgeBase:
    """Load and check a knowledge base (the shipped one by default), through the compiled cache.

    ``overlap`` (for the command line, which is single-threaded) lets a few changed files be
    validated in a forked worker while the first read gets under way; every read waits for it.

    >>> kb = load()
    >>> kb.get("TIPS").id
    'tips'
    """
    from .catalog import Catalog

    where = resolve_data_dir(data_dir)
    return KnowledgeBase(Catalog.open(where.path, progress=progress, overlap=overlap), today)
