"""The ``irkb`` command line: Typer wiring only; the work is done by the core modules.

Exit codes: 0 success; 1 data problems (or drift under --check); 2 usage error; 3 not found;
4 ambiguous; 70 unexpected internal error.
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from ..errors import IrkbError
from ..runtime import Color, State, report_error, report_internal_error

EPILOG = (
    "Exit codes: 0 ok; 1 data problems or drift; 2 usage error; 3 not found; 4 ambiguous; "
    "70 internal error.  Educational reference only: not clinical decision support."
)

app = typer.Typer(
    name="irkb",
    help="irkb: a cited knowledge base of image-guided (interventional radiology) procedures.\n\n"
    "Educational reference for trainees, scripts and curators; not clinical decision support.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"irkb {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", envvar="IRKB_DATA_DIR", help="Knowledge base to use (default: the checkout's data/, else the packaged copy).", file_okay=False
        ),
    ] = None,
    color: Annotated[Color, typer.Option("--color", help="Colour in tables: auto (on a terminal, unless NO_COLOR is set), always or never.")] = Color.AUTO,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full trace of an internal error.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """irkb: look up, filter, compare, validate and export image-guided procedures."""
    state = State(data_dir=data_dir, color=color, debug=debug)
    ctx.obj = state
    State.current = state


def main(argv: list[str] | None = None) -> None:
    """Run the Typer app and map errors to exit codes (the full CLI; see ``irkb.entry`` for the fast path)."""
    from . import commands  # noqa: F401  (registers the commands)

    try:
        app(args=argv, prog_name="irkb", standalone_mode=True)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl-C into exit 130, silently
            if State.current is not None:
                State.current.interrupted = True
            print("irkb: interrupted", file=sys.stderr)
        raise
    except IrkbError as exc:
        sys.exit(report_error(exc))
    except KeyboardInterrupt:
        if State.current is not None:
            State.current.interrupted = True
        print("irkb: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # the one place a bug is turned into a line instead of a trace
        sys.exit(report_internal_error(exc))
    finally:
        if State.current is not None:
            State.current.finish()
