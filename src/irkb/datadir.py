"""Where the knowledge base lives: ``--data-dir``, ``IRKB_DATA_DIR``, the checkout's ``data/``, or
the read-only copy packaged in the wheel."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .errors import DataDirError
from .kinds import KINDS

PACKAGE_DIR = Path(__file__).resolve().parent


class DataDir(NamedTuple):
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
    """``--data-dir``, else ``IRKB_DATA_DIR``, else the checkout's ``data/``, else the packaged copy.

    An explicit directory that is empty text, missing, a file, or holds none of the kinds'
    folders is a ``DataDirError`` (a usage error), whichever way it was given.
    """
    if explicit is not None:
        path, origin = str(os.fspath(explicit)), "option"
    elif os.environ.get("IRKB_DATA_DIR"):
        path, origin = os.environ["IRKB_DATA_DIR"], "env"
    elif (root := checkout_root()) is not None:
        return DataDir(root / "data", "checkout")
    else:
        return DataDir(PACKAGE_DIR / "_data", "package", read_only=True)
    where = "--data-dir" if origin == "option" else "IRKB_DATA_DIR"
    if not path.strip():
        raise DataDirError(f"{where} is empty; name a knowledge-base directory")
    if not os.path.isdir(path):
        what = "is a file, not a directory" if os.path.exists(path) else "does not exist"
        raise DataDirError(f"data directory '{path}' ({where}) {what}")
    if not any(os.path.isdir(os.path.join(path, kind.folder)) for kind in KINDS):
        folders = ", ".join(kind.folder + "/" for kind in KINDS)
        raise DataDirError(f"'{path}' ({where}) holds no irkb knowledge base (expected one or more of: {folders})")
    return DataDir(Path(path), origin)


def schema_dir() -> Path:
    """Where the JSON Schemas live: the checkout's ``schemas/`` or the packaged copy."""
    root = checkout_root()
    return root / "schemas" if root is not None else PACKAGE_DIR / "_schemas"
