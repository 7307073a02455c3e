"""Options shared by every command, and the knowledge base they load once."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..store import DataDir


class Color(StrEnum):
    """When to colour output."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass
class State:
    """Global options of one invocation."""

    data_dir: Path | None = None
    color: Color = Color.AUTO
    debug: bool = False
    format: str | None = None
    _kb: KnowledgeBase | None = field(default=None, repr=False)

    current: ClassVar[State | None] = None

    def where(self) -> DataDir:
        """The knowledge-base directory this invocation uses."""
        from ..store import resolve_data_dir

        return resolve_data_dir(self.data_dir)

    def kb(self, *, quiet: bool = False) -> KnowledgeBase:
        """Load the knowledge base once; warn on stderr when some records could not be loaded."""
        if self._kb is None:
            from ..store import load

            self._kb = load(self.where().path)
            skipped = self._kb.catalog.skipped_files()
            if skipped and not quiet:
                print(
                    f"irkb: warning: {len(skipped)} file(s) could not be loaded and were skipped; "
                    "answers come from the valid records (run 'irkb validate' for details)",
                    file=sys.stderr,
                )
        return self._kb

    def use_color(self, stream_is_tty: bool) -> bool:
        """Whether to colour: --color, then NO_COLOR, then whether the stream is a terminal."""
        if self.color == Color.ALWAYS:
            return True
        if self.color == Color.NEVER or os.environ.get("NO_COLOR"):
            return False
        return stream_is_tty
