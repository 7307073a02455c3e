"""The ``irkb`` command line: the Typer app (``app``), its declarations (``read``, ``curator``,
``exports``), and the fast route for everyday reads generated from them (``spec``, ``fast``).

Importing this package imports nothing heavy; ``irkb.cli.app`` imports Typer.
"""


def main(argv: list[str] | None = None) -> None:
    """Run the full Typer CLI (what tests and ``python -m irkb`` use through ``irkb.entry``)."""
    from .app import main as run

    run(argv)
