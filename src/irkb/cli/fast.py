"""The fast route for everyday reads: the command line parsed from ``spec.json`` (generated from the
Typer app by ``irkb.cli.spec``), without importing Typer, and the same command body called.

Typer builds a pydantic adapter for every parameter of a command at run time; for a query the
catalog answers in a few milliseconds that is most of the wall time. This module applies click's
parsing rules to the table of the app's own options — long and short forms, ``--opt=value``,
``-n3``, repeated options, ``--``, global options after the command — and converts values exactly
as Typer would, accepting only spellings whose conversion is certain. Anything else (help,
completion, an unknown option, a value Typer would refuse or might read differently) is left to
Typer untouched, so errors and help are Typer's own. A property test holds the two routes to the
same stdout, stderr and exit code.
"""

from __future__ import annotations

import json
import os
import re
from importlib import import_module
from typing import Any

from .argv import hoist
from .spec import SPEC_FILE

NOT_HANDLED = None
_INT = re.compile(r"\d{1,18}")
_FLOAT = re.compile(r"\d{1,15}(\.\d{1,15})?")
_DECLINE = frozenset({"--help", "-h", "--version", "--install-completion", "--show-completion"})


class Decline(Exception):
    """This command line is Typer's to handle."""


def _load_spec() -> dict[str, Any]:
    with open(SPEC_FILE, encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


def _convert(param: dict[str, Any], text: str) -> Any:
    """A value as Typer makes it from ``text``, or ``Decline`` when that is not certain."""
    kind = param["type"]
    if kind == "str":
        return text
    if kind == "choice":
        if text not in param["choices"]:
            raise Decline
        module, name = param["enum"].split(":")
        return getattr(import_module(module), name)(text)
    if kind == "path":
        return _path(text)
    if kind in ("int", "float"):
        if not (_INT if kind == "int" else _FLOAT).fullmatch(text):
            raise Decline
        value = int(text) if kind == "int" else float(text)
        if (param["min"] is not None and value < param["min"]) or (param["max"] is not None and value > param["max"]):
            raise Decline
        return value
    raise Decline


def _path(text: str) -> Any:
    """A path as Typer makes it (any text; click refuses only an existing path it cannot read)."""
    from pathlib import Path

    if not text or "\x00" in text:
        raise Decline
    try:
        os.stat(text)
    except (OSError, ValueError):
        return Path(text)
    if not os.access(text, os.R_OK):
        raise Decline  # Typer's message: "Path ... is not readable"
    return Path(text)


def _default(param: dict[str, Any]) -> Any:
    if param["default"] is None or param.get("type") != "choice":
        return param["default"]
    module, name = param["enum"].split(":")
    return getattr(import_module(module), name)(param["default"])


def parse(params: list[dict[str, Any]], args: list[str], *, group: bool = False) -> tuple[dict[str, Any], list[str]]:
    """(values by parameter name, what is left) of ``args`` under click's rules for ``params``.

    For a group, parsing stops at the first token that is not an option (the command name).
    """
    long: dict[str, tuple[dict[str, Any], Any]] = {}
    short: dict[str, tuple[dict[str, Any], Any]] = {}
    for p in params:
        if p["kind"] != "option":
            continue
        for name in p["opts"]:
            (long if name.startswith("--") else short)[name] = (p, True)
        for name in p["secondary"]:
            (long if name.startswith("--") else short)[name] = (p, False)
    values: dict[str, Any] = {}
    positionals: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token in _DECLINE:
            raise Decline
        if token == "--":
            positionals += args[i:]
            break
        if not token.startswith("-") or token == "-":
            if group:
                return values, [token, *args[i:]]
            positionals.append(token)
            continue
        if token.startswith("--"):
            name, eq, attached = token.partition("=")
            found = long.get(name)
            value: str | None = attached if eq else None
        else:
            name = token[:2]
            found = short.get(name)
            value = token[2:] or None
        if found is None:
            raise Decline  # unknown option, a negative number, combined short flags: Typer says what it is
        param, primary = found
        if param.get("eager"):
            raise Decline
        if param["flag"]:
            if value is not None:
                raise Decline
            values[param["name"]] = primary if param["type"] == "bool" else param["default"]
            continue
        if value is None:
            if i >= len(args) or (args[i].startswith("-") and args[i] != "-"):
                raise Decline  # a missing value, or one that looks like an option
            value = args[i]
            i += 1
        converted = _convert(param, value)
        if param["multiple"]:
            values.setdefault(param["name"], []).append(converted)
        else:
            values[param["name"]] = converted
    return values, positionals


def _arguments(params: list[dict[str, Any]], positionals: list[str], values: dict[str, Any]) -> None:
    """Give the positionals to the arguments in order (click's rules: one nargs=-1 takes the rest)."""
    arguments = [p for p in params if p["kind"] == "argument"]
    rest = list(positionals)
    for index, p in enumerate(arguments):
        if p["nargs"] == -1:
            after = sum(1 for q in arguments[index + 1 :])
            take = rest[: len(rest) - after] if after else rest
            rest = rest[len(take) :]
            if take:
                values[p["name"]] = [_convert(p, t) for t in take]
            elif p["required"]:
                raise Decline
        elif rest:
            values[p["name"]] = _convert(p, rest.pop(0))
        elif p["required"]:
            raise Decline
    if rest:
        raise Decline  # extra arguments: Typer's error


def resolve(argv: list[str], spec: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, Any]] | None:
    """(global values, command, command values) for ``argv``, or None when Typer should take it."""
    value_options = frozenset(n for p in spec["root"] if not p["eager"] and not p["flag"] for n in p["opts"])
    flags = frozenset(n for p in spec["root"] if not p["eager"] and p["flag"] for n in [*p["opts"], *p["secondary"]])
    args = hoist(list(argv), value_options, flags)
    try:
        glob, rest = parse(spec["root"], args, group=True)
        if not rest or rest[0] not in spec["commands"]:
            return None
        command = spec["commands"][rest[0]]
        values, positionals = parse(command["params"], rest[1:])
        _arguments(command["params"], positionals, values)
    except Decline:
        return None
    for p in command["params"]:
        if p["name"] not in values:
            if p["required"]:
                return None
            values[p["name"]] = _default(p)
    for p in spec["root"]:
        if p["eager"]:
            glob.pop(p["name"], None)
        elif p["name"] not in glob:
            glob[p["name"]] = _default(p)
    return glob, rest[0], values


def run(argv: list[str]) -> int | None:
    """Run a read command without Typer; the exit code, or None when Typer must handle ``argv``."""
    if os.environ.get("IRKB_NO_FAST_PATH") or any(k.startswith("_IRKB_COMPLETE") for k in os.environ):
        return NOT_HANDLED
    try:
        spec = _load_spec()
    except (OSError, ValueError):
        return NOT_HANDLED
    found = resolve(argv, spec)
    if found is None:
        return NOT_HANDLED
    glob, command, values = found
    from ..commands.runtime import make_state, run_guarded

    module, name = spec["commands"][command]["body"].split(":")
    body = getattr(import_module(module), name)
    return run_guarded(make_state(**glob), body, **values)
