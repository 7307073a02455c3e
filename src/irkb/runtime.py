"""What one invocation needs without Typer: global options, the knowledge base, error reporting.

Used by the Typer commands and by the fast path alike, so both behave the same.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .errors import IrkbError
    from .kb import KnowledgeBase
    from .store import DataDir


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
    interrupted: bool = False  # Ctrl-C ended the command
    _kb: KnowledgeBase | None = field(default=None, repr=False)

    current: ClassVar[State | None] = None

    def where(self) -> DataDir:
        """The knowledge-base directory this invocation uses."""
        from .store import resolve_data_dir

        return resolve_data_dir(self.data_dir)

    def kb(self, *, quiet: bool = False) -> KnowledgeBase:
        """Load the knowledge base once; warn on stderr when some records could not be loaded."""
        if self._kb is None:
            from .store import load

            self._kb = load(self.where().path, overlap=True)
            if not quiet:
                self._kb.catalog.when_settled(self._warn_skipped)
        return self._kb

    def finish(self) -> None:
        """End the invocation with the catalog up to date: wait for an overlapped refresh, even
        after an error (a refresh that cannot be finished is rolled back; the next run redoes it).
        After Ctrl-C (``interrupted``), or a Ctrl-C while waiting, the refresh is dropped instead."""
        if self._kb is None:
            return
        import sqlite3

        catalog = self._kb.catalog
        if self.interrupted:
            catalog.abandon()
            return
        try:
            with contextlib.suppress(sqlite3.Error, OSError):
                catalog.settle()
        except KeyboardInterrupt:
            catalog.abandon()

    def _warn_skipped(self) -> None:
        assert self._kb is not None
        skipped = self._kb.catalog.skipped_files()
        if skipped:
            print(
                f"irkb: warning: {len(skipped)} file(s) could not be loaded and were skipped; "
                "answers come from the valid records (run 'irkb validate' for details)",
                file=sys.stderr,
            )

    def use_color(self, stream_is_tty: bool) -> bool:
        """Whether to colour: --color, then NO_COLOR, then whether the stream is a terminal."""
        if self.color == Color.ALWAYS:
            return True
        if self.color == Color.NEVER or os.environ.get("NO_COLOR"):
            return False
        return stream_is_tty


def quiet_broken_pipe() -> None:
    """`irkb list | head`: the reader left; do not complain about it on exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def report_error(exc: IrkbError) -> int:
    """Print an irkb error (as JSON on stdout when the command was asked for JSON); return its exit code."""
    from .errors import Ambiguous, NotFound

    state = State.current
    if isinstance(exc, (NotFound, Ambiguous)) and state is not None and state.format in ("json", "jsonl"):
        import json

        payload = {
            "error": "not-found" if isinstance(exc, NotFound) else "ambiguous",
            "query": exc.query,
            "candidates": exc.candidates,
        }
        print(json.dumps(payload))
    print(f"irkb: {exc}", file=sys.stderr)
    if isinstance(exc, Ambiguous):
        print("hint: use one of the ids above" + (" or --kind" if any(":" in c for c in exc.candidates) else ""), file=sys.stderr)
    return exc.exit_code


def report_internal_error(exc: BaseException) -> int:
    """One line for an unexpected error (the trace with --debug or IRKB_DEBUG); return exit code 70.

    An operating-system error (``OSError`` with a reason) is said as such, without asking for a
    bug report; anything else is an internal error.
    """
    from .errors import EXIT_INTERNAL

    state = State.current
    if (state is not None and state.debug) or os.environ.get("IRKB_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        # not a bug: the system refused (a full disk or a closed stream behind stdout, say)
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"irkb: system error: {exc.strerror}{where}", file=sys.stderr)
    else:
        print(
            f"irkb: internal error: {type(exc).__name__}: {exc} (run again with --debug for the trace, and report it with that output)",
            file=sys.stderr,
        )
    return EXIT_INTERNAL
