"""The ``irkb`` console script: the fast path for everyday reads, recorded help pages, else the
full Typer CLI."""

from __future__ import annotations

import sys

FAST_COMMANDS = {"list", "show", "compare", "search", "complications", "stats"}
HELP = {"--help", "-h", "--version"}


def main() -> None:
    """Entry point of ``irkb`` and ``python -m irkb``."""
    argv = sys.argv[1:]
    if argv == ["--version"]:  # what the Typer option prints, without loading Typer
        from . import __version__

        print(f"irkb {__version__}")
        sys.exit(0)
    if FAST_COMMANDS.intersection(argv) and not HELP.intersection(argv):
        from .fastpath import run

        code = run(argv)
        if code is not None:
            sys.exit(code)
    from .helpcache import is_help_request

    if is_help_request(argv):
        from .helpcache import render, serve

        if serve(argv):
            sys.exit(0)
        from .cli import main as cli_main

        render(argv, cli_main)
        return
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
