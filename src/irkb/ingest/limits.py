"""Bounds on hostile input, each settable by an environment variable (see README, "Limits on input").

Kept apart from ``loader`` so the catalog can read them without importing the YAML parser or
pydantic on the fast path.
"""

from __future__ import annotations

import os
from typing import NamedTuple

# IRKB_MAX_DEPTH can raise the nesting limit only this far: the YAML composer recurses in C, and
# input nested some tens of thousands deep crashes the process outright.
DEPTH_CEILING = 1000


class Limits(NamedTuple):
    """Bounds on hostile input; each can be set by an environment variable of the same name."""

    max_file_bytes: int = 1_048_576  # IRKB_MAX_FILE_BYTES
    max_depth: int = 64  # IRKB_MAX_DEPTH (at most DEPTH_CEILING)
    max_records: int = 100_000  # IRKB_MAX_RECORDS

    @classmethod
    def from_env(cls) -> Limits:
        """Limits with any ``IRKB_MAX_*`` environment overrides applied (bad values are ignored)."""
        values: dict[str, int] = {}
        for name in ("max_file_bytes", "max_depth", "max_records"):
            raw = os.environ.get("IRKB_" + name.upper(), "").strip()
            if raw.isascii() and raw.isdigit() and int(raw) > 0:
                values[name] = int(raw)
        if values.get("max_depth", 0) > DEPTH_CEILING:
            values["max_depth"] = DEPTH_CEILING
        return cls(**values)
