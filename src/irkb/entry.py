"""The ``irkb`` console script: the fast path for everyday reads, else the full Typer CLI."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of ``irkb`` and ``python -m irkb``."""
    from .fastpath import run

    code = run(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
