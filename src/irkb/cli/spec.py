"""The fast route's table of commands and options, generated from the Typer app's own objects.

``spec.json`` beside this module is what ``irkb.cli.fast`` reads; it is never edited by hand.
``python -m irkb.cli.spec`` writes it again, and a test fails when it differs from what the app
declares (as ``irkb schema --check`` does for the JSON Schemas). A command with an option type
the fast route does not handle is left out of the table and always goes through Typer.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

SPEC_FILE = Path(__file__).with_name("spec.json")
FAST = ("list", "show", "compare", "search", "complications", "outcomes", "stats", "vocab", "validate")
"""Commands the fast route may answer (the everyday reads, and the check a curator runs after each edit)."""


class Unsupported(Exception):
    """A parameter the fast route does not convert exactly as Typer does."""


def _type(param: Any) -> dict[str, Any]:
    desc = param.type_descriptor
    annotation = desc.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    info = desc.parameter_info
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if not desc.case_sensitive:
            raise Unsupported(param.name)
        return {"type": "choice", "enum": f"{annotation.__module__}:{annotation.__qualname__}", "choices": [m.value for m in annotation]}
    if annotation is bool:
        return {"type": "bool"}
    if annotation in (int, float):
        if getattr(info, "clamp", False):
            raise Unsupported(param.name)
        return {"type": annotation.__name__, "min": info.min, "max": info.max}
    if annotation is str:
        return {"type": "str"}
    if annotation is Path and _plain_path(info):
        return {"type": "path"}
    raise Unsupported(f"{param.name}: {annotation!r}")


def _plain_path(info: Any) -> bool:
    """Whether a path parameter takes any text as it is: Typer then checks only that an existing
    path is readable (the fast route declines an unreadable one, for Typer to say so)."""
    wanted = {"exists": False, "file_okay": True, "dir_okay": True, "writable": False, "readable": True, "resolve_path": False, "allow_dash": False}
    return all(getattr(info, name, not value) == value for name, value in wanted.items()) and getattr(info, "path_type", None) is None


def _default(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise Unsupported(f"default {value!r}")


def _param(param: Any) -> dict[str, Any]:
    out = {
        "name": param.name,
        "kind": "argument" if param.param_type_name == "argument" else "option",
        "opts": list(param.opts),
        "secondary": list(getattr(param, "secondary_opts", [])),
        "flag": bool(getattr(param, "is_flag", False)),
        "multiple": bool(getattr(param, "multiple", False)),
        "nargs": param.nargs,
        "required": bool(param.required),
        "eager": bool(getattr(param, "is_eager", False)),
        "default": _default(param.default),
    }
    if getattr(param, "envvar", None):
        raise Unsupported(f"{param.name}: envvar")
    if out["eager"]:
        return out  # --version, --help: the fast route declines whenever they appear
    out.update(_type(param))
    return out


def build() -> dict[str, Any]:
    """The table, read from the Typer app: its global options, and every fast command's parameters and body."""
    import typer
    from typer.main import get_command, get_command_name

    from . import commands  # noqa: F401  (registers the commands)
    from .app import app

    group = get_command(app)
    import inspect

    assert app.registered_callback is not None and app.registered_callback.callback is not None
    own = set(inspect.signature(app.registered_callback.callback).parameters)
    root = []
    for p in group.params:
        if p.name == "help":
            continue
        entry = _param(p)
        if p.name not in own:
            entry["eager"] = True  # Typer's own (completion): the fast route declines when it appears
        root.append(entry)
    bodies = {}
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or get_command_name(info.callback.__name__)
        bodies[name] = getattr(info.callback, "irkb_body", None)
    spec: dict[str, Any] = {"typer": typer.__version__, "root": root, "commands": {}}
    for name in FAST:
        command = group.commands[name]  # type: ignore[attr-defined]
        try:
            params = [_param(p) for p in command.params if p.name not in ("help",)]
        except Unsupported:
            continue
        if bodies.get(name) is None:
            continue
        spec["commands"][name] = {"body": bodies[name], "params": params}
    return spec


def render() -> str:
    """The table as the exact text committed in ``spec.json``."""
    return json.dumps(build(), indent=1, sort_keys=False) + "\n"


def main() -> int:
    """``python -m irkb.cli.spec [--check]``: write the table, or exit 1 when it is out of date."""
    from ..atomic import generated_file

    return generated_file(SPEC_FILE, render(), sys.argv[1:], "the Typer app", "python -m irkb.cli.spec")


if __name__ == "__main__":
    sys.exit(main())
