"""Where the knowledge base lives, and loading all of it."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import DataDirError
from .kb import KnowledgeBase
from .loader import Limits, LoadedFile, iter_data_files, load_file, locate
from .models import RECORD_TYPES

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
    if not any((path / model.directory).is_dir() for model in RECORD_TYPES.values()):
        folders = ", ".join(m.directory + "/" for m in RECORD_TYPES.values())
        raise DataDirError(f"'{path}' holds no irkb knowledge base (expected one or more of: {folders})")
    return DataDir(path, origin)


def schema_dir() -> Path:
    """Where the JSON Schemas live: the checkout's ``schemas/`` or the packaged copy."""
    root = checkout_root()
    return root / "schemas" if root is not None else PACKAGE_DIR / "_schemas"


def load_files(data_dir: Path, limits: Limits | None = None, today: dt.date | None = None) -> list[LoadedFile]:
    """Load every data file under ``data_dir``, up to the record-count limit."""
    from .errors import Problem

    limits = limits or Limits.from_env()
    files: list[LoadedFile] = []
    for count, (kind, path) in enumerate(iter_data_files(data_dir)):
        if count >= limits.max_records:
            files.append(
                LoadedFile(
                    path,
                    str(path),
                    kind,
                    None,
                    [
                        Problem(
                            str(data_dir),
                            0,
                            0,
                            "too-many-records",
                            f"more than {limits.max_records} files; the rest were not read",
                            "error",
                            "raise IRKB_MAX_RECORDS",
                        )
                    ],
                )
            )
            break
        files.append(load_file(kind, path, data_dir, limits, today))
    return files


def load(data_dir: str | os.PathLike[str] | None = None, *, limits: Limits | None = None, today: dt.date | None = None) -> KnowledgeBase:
    """Load and check a knowledge base (the shipped one by default).

    >>> kb = load()
    >>> kb.get("TIPS").id
    'tips'
    """
    where = resolve_data_dir(data_dir)
    files = load_files(where.path, limits, today)
    by_display = {f.display: f.path for f in files}

    def locator(display: str, loc: tuple[str | int, ...]) -> tuple[int, int]:
        path = by_display.get(display)
        if path is None:
            return 0, 0
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return 0, 0
        return locate(text, loc)

    return KnowledgeBase.from_files(files, data_dir=where.path, locator=locator)
