"""The ``irkb`` Typer app: the one declaration of every command and option of the command line.

Each command is a function whose signature declares its options (``Annotated`` with Typer's
``Option``/``Argument``) and whose docstring is its help; ``@runs(body)`` names the framework-free
body in ``irkb.commands`` that does the work. The fast route for everyday reads (``irkb.cli.fast``)
is generated from these objects (``irkb.cli.spec``), never written by hand.

Exit codes: 0 success; 1 data problems (or drift under --check); 2 usage error; 3 not found;
4 ambiguous; 70 unexpected internal error.
"""

import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from .. import __version__
from ..commands.runtime import Color, State, make_state, quiet_broken_pipe, report_internal_error, run_guarded, warn
from .argv import hoist

EPILOG = (
    "Exit codes: 0 ok; 1 data problems or drift; 2 usage error; 3 not found; 4 ambiguous; "
    "70 internal or system error.  Educational reference only: not clinical decision support."
)

F = TypeVar("F", bound=Callable[..., Any])


class Group(TyperGroup):
    """The root group: its own options are also accepted after the command (``irkb list --color never``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        values, flags = global_options(self)
        return super().parse_args(ctx, hoist(list(args), values, flags))


def global_options(group: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(options taking a value, flags) of the root group, by every name they go by."""
    values: set[str] = set()
    flags: set[str] = set()
    for param in group.params:
        if getattr(param, "is_eager", False):
            continue  # --version, --help: handled where they stand
        names = [*param.opts, *getattr(param, "secondary_opts", [])]
        (flags if getattr(param, "is_flag", False) else values).update(n for n in names if n.startswith("-"))
    return frozenset(values), frozenset(flags)


app = typer.Typer(
    name="irkb",
    cls=Group,
    help="irkb: a cited knowledge base of image-guided (interventional radiology) procedures.\n\n"
    "Educational reference for trainees, scripts and curators; not clinical decision support.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def runs(body: Callable[..., Any]) -> Callable[[F], F]:
    """Declare that a command's work is ``body(state, **options)`` (a function of ``irkb.commands``).

    The decorated function is only a declaration: its signature and docstring are what Typer reads.
    """

    def decorate(declaration: F) -> F:
        @functools.wraps(declaration)
        def callback(ctx: typer.Context, **params: Any) -> None:
            raise typer.Exit(run_guarded(ctx.obj, body, **params))

        callback.irkb_body = f"{body.__module__}:{body.__qualname__}"  # type: ignore[attr-defined]
        return callback  # type: ignore[return-value]

    return decorate


def _version(value: bool) -> None:
    if value:
        typer.echo(f"irkb {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        str | None,
        typer.Option("--data-dir", metavar="DIR", help="Knowledge base to use (also IRKB_DATA_DIR; default: the checkout's data/, else the packaged copy)."),
    ] = None,
    color: Annotated[Color, typer.Option("--color", help="Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")] = Color.AUTO,
    no_pager: Annotated[bool, typer.Option("--no-pager", help="Never page long output (also IRKB_PAGER=cat).")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full trace of an internal error.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """irkb: look up, filter, compare, validate and export image-guided procedures."""
    ctx.obj = make_state(data_dir=data_dir, color=color, no_pager=no_pager, debug=debug)


def main(argv: list[str] | None = None) -> None:
    """Run the Typer app: every command, every option, help and completion."""
    from . import commands  # noqa: F401  (registers the commands)

    try:
        app(args=argv, prog_name="irkb", standalone_mode=True)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl-C into exit 130, silently
            warn("irkb: interrupted")
        raise
    except KeyboardInterrupt:
        warn("irkb: interrupted")
        sys.exit(130)
    except BrokenPipeError:  # the reader left while Typer wrote help or an error: not a failure
        quiet_broken_pipe()
        sys.exit(0)
    except Exception as exc:  # the one place a bug in the framework's own work becomes a line instead of a trace
        sys.exit(report_internal_error(exc))


__all__ = ["State", "app", "main", "runs"]
