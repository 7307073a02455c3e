"""A Typer-free route for the everyday read commands, so an answer does not wait for the framework.

Typer builds a pydantic adapter for every parameter of a command at run time; for a query that
the compiled catalog answers in a few milliseconds, that is most of the wall time. This module
parses exactly the options the Typer commands declare (``SPECS`` mirrors them; a test compares
the two) and calls the same ``irkb.reads`` functions. Whatever it does not fully understand —
``--help``, completion, an unknown option, a value outside a closed vocabulary, a missing
argument — it hands to Typer untouched, so errors and help look the same as ever.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .vocab import Format

NOT_HANDLED = None


@dataclass(frozen=True)
class Opt:
    """One option: its names, destination, and how to read its value (None: a boolean flag)."""

    names: tuple[str, ...]
    dest: str
    convert: Callable[[str], Any] | None
    repeat: bool = False
    flag_value: bool | None = None


def _choice(*values: str) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if value not in values:
            raise ValueError(value)
        return value

    return convert


def _enum_values(name: str) -> tuple[str, ...]:
    from . import vocab

    return tuple(m.value for m in getattr(vocab, name))


def _int_min0(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def _percent(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 100:
        raise ValueError(value)
    return number


_FORMAT = Opt(("--format", "-f"), "fmt", lambda v: Format(v))
_KIND = Opt(("--kind", "-k"), "kind", _choice("procedure", "modality", "access-route", "complication", "source"))


def _specs() -> dict[str, tuple[list[Opt], int, int]]:
    """Command -> (options, least positionals, most positionals)."""
    return {
        "list": (
            [
                Opt(("--modality", "-m"), "modality", str, repeat=True),
                Opt(("--role",), "role", _choice(*_enum_values("Role"))),
                Opt(("--live",), "live", None, flag_value=True),
                Opt(("--no-live",), "live", None, flag_value=False),
                Opt(("--radiation",), "radiation", None, flag_value=True),
                Opt(("--no-radiation",), "radiation", None, flag_value=False),
                Opt(("--access", "-a"), "access", str, repeat=True),
                Opt(("--complication", "-c"), "complication", str, repeat=True),
                Opt(("--category",), "category", _choice(*_enum_values("Category"))),
                Opt(("--system",), "system", _choice(*_enum_values("BodySystem"))),
                Opt(("--purpose",), "purpose", _choice(*_enum_values("Purpose"))),
                Opt(("--family",), "family", str),
                _FORMAT,
            ],
            0,
            1,
        ),
        "show": ([_KIND, _FORMAT], 1, 1),
        "compare": ([_KIND, _FORMAT], 2, 10_000),
        "search": ([_KIND, Opt(("--limit", "-n"), "limit", _int_min0), _FORMAT], 1, 1),
        "complications": (
            [
                Opt(("--procedure", "-p"), "procedure", str, repeat=True),
                Opt(("--complication", "-c"), "complication", str, repeat=True),
                Opt(("--min-rate",), "min_rate", _percent),
                Opt(("--rate-kind",), "rate_kind", _choice(*_enum_values("RateKind"))),
                Opt(("--sort",), "sort", _choice("procedure", "complication", "rate")),
                _FORMAT,
            ],
            0,
            0,
        ),
        "stats": ([_FORMAT], 0, 0),
    }


GLOBAL_OPTIONS = {"--data-dir": "data_dir", "--color": "color"}
GLOBAL_FLAGS = {"--debug": "debug"}


def parse(argv: Sequence[str]) -> tuple[dict[str, Any], str, list[str], dict[str, Any]] | None:
    """(global options, command, positionals, options), or None when Typer should handle it."""
    args = list(argv)
    glob: dict[str, Any] = {}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name, eq, value = args[i].partition("=")
        if name in GLOBAL_FLAGS and not eq:
            glob[GLOBAL_FLAGS[name]] = True
            i += 1
        elif name in GLOBAL_OPTIONS:
            if not eq:
                if i + 1 >= len(args):
                    return None
                value = args[i + 1]
                i += 1
            glob[GLOBAL_OPTIONS[name]] = value
            i += 1
        else:
            return None
    if i >= len(args):
        return None
    command = args[i]
    spec = _specs().get(command)
    if spec is None:
        return None
    options, least, most = spec
    by_name = {n: o for o in options for n in o.names}
    positionals: list[str] = []
    values: dict[str, Any] = {}
    rest = args[i + 1 :]
    j = 0
    while j < len(rest):
        token = rest[j]
        if token in ("--help", "-h", "--") or token.startswith("--help"):
            return None
        if token.startswith("-") and token != "-":
            name, eq, value = token.partition("=")
            opt = by_name.get(name)
            if opt is None:
                return None  # unknown option, combined short flags, negative numbers: Typer decides
            if opt.convert is None:
                if eq:
                    return None
                values[opt.dest] = opt.flag_value
                j += 1
                continue
            if not eq:
                if j + 1 >= len(rest):
                    return None
                value = rest[j + 1]
                j += 1
            try:
                converted = opt.convert(value)
            except ValueError:
                return None
            if opt.repeat:
                values.setdefault(opt.dest, []).append(converted)
            else:
                values[opt.dest] = converted
            j += 1
        else:
            positionals.append(token)
            j += 1
    if not least <= len(positionals) <= most:
        return None
    if command == "list" and positionals and positionals[0] not in ("procedures", "modalities", "access-routes", "complications", "sources"):
        return None
    if glob.get("color") not in (None, "auto", "always", "never"):
        return None
    return glob, command, positionals, values


def run(argv: Sequence[str]) -> int | None:
    """Run a read command without Typer; the exit code, or None when Typer must handle argv."""
    if os.environ.get("IRKB_NO_FAST_PATH") or any(k.startswith("_IRKB_COMPLETE") for k in os.environ):
        return NOT_HANDLED
    parsed = parse(argv)
    if parsed is None:
        return NOT_HANDLED
    glob, command, positionals, values = parsed
    from pathlib import Path

    from . import reads
    from .errors import IrkbError
    from .runtime import Color, State, quiet_broken_pipe, report_error, report_internal_error

    data_dir = glob.get("data_dir") or os.environ.get("IRKB_DATA_DIR") or None
    state = State(data_dir=Path(data_dir) if data_dir else None, color=Color(glob.get("color", "auto")), debug=bool(glob.get("debug")))
    State.current = state
    fmt = values.pop("fmt", Format.TABLE)
    try:
        if command == "list":
            reads.run_list(state, positionals[0] if positionals else "procedures", fmt=fmt, **values)
        elif command == "show":
            reads.run_show(state, positionals[0], values.get("kind"), fmt)
        elif command == "compare":
            reads.run_compare(state, positionals, values.get("kind"), fmt)
        elif command == "search":
            reads.run_search(state, positionals[0], values.get("kind"), values.get("limit", 20), fmt)
        elif command == "complications":
            reads.run_complications(state, fmt=fmt, **values)
        else:
            reads.run_stats(state, fmt)
    except IrkbError as exc:
        return report_error(exc)
    except BrokenPipeError:
        quiet_broken_pipe()
        return 0
    except KeyboardInterrupt:
        state.interrupted = True
        print("irkb: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return report_internal_error(exc)
    finally:
        state.finish()
    return 0
