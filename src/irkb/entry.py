"""The ``irkb`` console script: the streams made safe, then the fast route for everyday reads, else
the full Typer CLI."""

from __future__ import annotations

import contextlib
import os
import sys


def _streams() -> None:
    """Standard streams a command can always use, whatever the caller left them as.

    - A closed fd 0, 1 or 2 is opened on /dev/null, so no file irkb opens (the catalog!) can take
      its number and receive output meant for a terminal; a diagnostic is never written to stdout.
    - Text that the terminal's encoding cannot show is written as escapes, never a crash
      (an ASCII-only locale still gets every answer).
    - SIGTERM ends the command like Ctrl-C does: temporary files removed, transactions rolled back.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                opened = os.open(os.devnull, os.O_RDWR)
                if opened != fd:
                    os.dup2(opened, fd)
                    os.close(opened)
            except OSError:
                pass
            if fd == 2:
                sys.stderr = None  # diagnostics are dropped, never sent to stdout
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")
    import signal

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(143)

    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGTERM, terminated)


def main() -> None:
    """Entry point of ``irkb`` and ``python -m irkb``."""
    _streams()
    argv = sys.argv[1:]
    if argv == ["--version"]:  # what the Typer option prints, without loading Typer
        from . import __version__

        print(f"irkb {__version__}")
        sys.exit(0)
    from .cli.fast import run

    code = run(argv)
    if code is not None:
        sys.exit(code)
    from .cli.app import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    main()
