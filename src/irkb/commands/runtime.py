"""What one invocation needs, without Typer: global options, the knowledge base, where output goes,
and how errors are reported. The Typer commands and the fast route both run through here.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..datadir import DataDir
    from ..errors import IrkbError
    from ..kb import KnowledgeBase


class Color(StrEnum):
    """When to colour output."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def warn(text: str) -> None:
    """A diagnostic on stderr — never on stdout, even when stderr is closed (then it is dropped)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


@dataclass
class State:
    """Global options of one invocation, and the knowledge base it loads once."""

    data_dir: str | None = None
    color: Color = Color.AUTO
    debug: bool = False
    pager: bool = True
    format: str | None = None
    _kb: KnowledgeBase | None = field(default=None, repr=False)

    current: ClassVar[State | None] = None

    def where(self) -> DataDir:
        """The knowledge-base directory this invocation uses (``DataDirError`` when it is unusable)."""
        from ..datadir import resolve_data_dir

        return resolve_data_dir(self.data_dir)

    def kb(self, *, quiet: bool = False) -> KnowledgeBase:
        """Load the knowledge base once; warn on stderr when some files' records are not served."""
        if self._kb is None:
            from ..kb import load
            from ..view.progress import progress

            with progress("loading records", minimum=200) as update:
                self._kb = load(self.where().path, progress=update)
            if not quiet:
                skipped = self._kb.skipped()
                if skipped:
                    warn(
                        f"irkb: warning: {len(skipped)} file(s) could not be loaded and were skipped; "
                        "answers come from the valid records (run 'irkb validate' for details)"
                    )
        return self._kb

    def use_color(self, stream_is_tty: bool) -> bool:
        """Whether to colour: --color, then NO_COLOR, then whether the stream is a terminal."""
        if self.color == Color.ALWAYS:
            return True
        if self.color == Color.NEVER or os.environ.get("NO_COLOR"):
            return False
        return stream_is_tty


def make_state(data_dir: str | None = None, color: str = "auto", no_pager: bool = False, debug: bool = False) -> State:
    """The state of an invocation from the root group's options (by the names the Typer app gives them)."""
    state = State(data_dir=data_dir, color=Color(str(color)), debug=debug, pager=not no_pager)
    State.current = state
    return state


def report_error(exc: IrkbError) -> int:
    """Print an irkb error (as JSON on stdout too when the command was asked for JSON); return its exit code."""
    from ..errors import Ambiguous, NotFound
    from ..view.terminal import safe

    state = State.current
    if isinstance(exc, (NotFound, Ambiguous)) and state is not None and state.format in ("json", "jsonl"):
        import json

        payload: dict[str, Any] = {"error": "not-found" if isinstance(exc, NotFound) else "ambiguous", "query": exc.query, "candidates": exc.candidates}
        if isinstance(exc, Ambiguous) and exc.labels:
            payload["names"] = exc.labels
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    warn(f"irkb: {safe(str(exc))}")
    if isinstance(exc, Ambiguous):
        warn("hint: use one of the ids above" + (" or --kind" if any(":" in c for c in exc.candidates) else ""))
    return exc.exit_code


def report_internal_error(exc: BaseException) -> int:
    """One line for an unexpected error (the trace with --debug or IRKB_DEBUG); return exit code 70.

    An operating-system error (``OSError`` with a reason) is said as such, without asking for a
    bug report; anything else is an internal error.
    """
    from ..errors import EXIT_INTERNAL
    from ..view.terminal import safe

    state = State.current
    if (state is not None and state.debug) or os.environ.get("IRKB_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    elif isinstance(exc, OSError) and exc.strerror:
        # not a bug: the system refused (a full disk or a closed stream behind stdout, say)
        where = f" ({exc.filename})" if exc.filename else ""
        warn(f"irkb: system error: {safe(exc.strerror)}{safe(where)}")
    else:
        warn(f"irkb: internal error: {type(exc).__name__}: {safe(str(exc))} (run again with --debug for the trace, and report it with that output)")
    return EXIT_INTERNAL


def quiet_broken_pipe() -> None:
    """`irkb list | head`: the reader left; do not complain about it on exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run_guarded(state: State, body: Any, *args: Any, **kwargs: Any) -> int:
    """Run a command body and turn every way it can end into an exit code (the one place that does).

    irkb errors print their message and code; a reader that left (a broken pipe) is success; Ctrl-C
    is 130 and SIGTERM 143 (after cleaning up: files are written atomically); anything else is one
    line and exit 70 (the trace with --debug).
    """
    from ..errors import IrkbError

    State.current = state
    try:
        if state.data_dir is not None and not state.data_dir.strip():
            from ..errors import DataDirError

            raise DataDirError("--data-dir is empty; name a knowledge-base directory")
        result = body(state, *args, **kwargs)
    except IrkbError as exc:
        return report_error(exc)
    except BrokenPipeError:
        quiet_broken_pipe()
        return 0
    except KeyboardInterrupt:
        warn("irkb: interrupted")
        return 130
    except SystemExit as exc:  # SIGTERM, as raised by the entry point's handler
        if exc.code == 143:
            warn("irkb: terminated")
        raise
    except Exception as exc:
        return report_internal_error(exc)
    return int(result or 0)
