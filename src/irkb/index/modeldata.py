"""What a new catalog needs from the models, generated into ``models.json`` beside this module.

A cold build needs two things the pydantic models decide: the CREATE statements of the public
tables (``tables.schema_sql``) and the data-only validator schemas (``model.compiled``). Making
them means importing pydantic and building every model, about 150 ms before the first file can be
read. ``models.json`` holds both, with the SHA-256 of every file they were made from: irkb's
modules that the models import, and pydantic's ``version.py`` (which names pydantic's version and
the pydantic-core it needs). When any of those files differs here (an edited model, another
pydantic), the file is not used and both are made from the models as before: it can make a build
faster, never different.

``python -m irkb.index.modeldata`` writes it again; ``--check`` exits 1 when it is out of date, and
a test fails then, as for ``irkb.cli.spec``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).with_name("models.json")
_PACKAGE = Path(__file__).resolve().parent.parent  # src/irkb

_PROBE = """
import json, sys
from irkb.index.modeldata import made_from_models
made_from_models()
print(json.dumps(sorted(m.__name__ for m in list(sys.modules.values()) if m.__name__.split(".")[0] == "irkb")))
"""
"""Run in a fresh interpreter: the irkb modules that making the two things imports."""

_loaded: dict[str, Any] | None = None


def made_from_models() -> dict[str, Any]:
    """The public tables' SQL and the validator schemas (``{}`` when the models use something a
    schema cannot hold as data), made from the models."""
    from .. import jsonio
    from ..model.compiled import Unsupported, validator_schemas
    from .tables import schema_sql

    try:
        validators = _stable_refs(jsonio.loads(jsonio.dumps(validator_schemas(), indent=False)), {})
    except (Unsupported, LookupError, TypeError, AttributeError):  # a core schema shaped in a way not foreseen
        validators = {}
    return {"public_sql": schema_sql(), "validators": validators}


_REF_KEYS = ("ref", "schema_ref")


def _stable_refs(node: Any, names: dict[str, str]) -> Any:
    """The schema with each definition's name made the same in every run.

    pydantic names a definition by its class and the class's ``id()`` (``Rate:94889357472224``),
    which changes from one process to the next; each is renamed ``Rate:1``, ``Rate:2``... in the
    order met. A reference and its definition get the same new name, so nothing else changes.
    """
    if isinstance(node, list):
        return [_stable_refs(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _REF_KEYS and isinstance(value, str):
            if value not in names:
                names[value] = f"{value.rpartition(':')[0] or value}:{len(names) + 1}"
            out[key] = names[value]
        else:
            out[key] = _stable_refs(value, names)
    return out


# The two helpers import here, not at the top: what this module imports is listed among the
# sources, and neither changes what the models make.


def _pydantic_version_file() -> str | None:
    from .cachedir import library_file

    return library_file("pydantic")  # pydantic/version.py, as the catalog's code fingerprint reads it


def _digest(path: str | None) -> str:
    from .scan import sha256

    return (sha256(path) if path is not None else None) or "-"


def _module_file(name: str) -> str:
    """``irkb.index.tables`` -> ``index/tables.py`` (a package: its ``__init__.py``)."""
    parts = name.split(".")[1:]
    folder = _PACKAGE.joinpath(*parts)
    return "/".join([*parts, "__init__.py"]) if folder.is_dir() else "/".join(parts) + ".py"


def sources() -> dict[str, str]:
    """File -> SHA-256 of everything the two things are made from, as this machine has it."""
    import subprocess

    found = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True).stdout
    names = sorted({_module_file(name) for name in json.loads(found)})
    out = {f"irkb/{name}": _digest(str(_PACKAGE / name)) for name in names}
    out["pydantic/version.py"] = _digest(_pydantic_version_file())
    return out


def render() -> str:
    """The exact text committed in ``models.json``."""
    return json.dumps({"sources": sources(), **made_from_models()}, indent=1) + "\n"  # key order kept: a model's fields are in order


def _fresh(found: dict[str, str]) -> bool:
    """Whether every source file here is the one ``models.json`` was made from."""
    for name, digest in found.items():
        path = _pydantic_version_file() if name == "pydantic/version.py" else str(_PACKAGE / name.removeprefix("irkb/"))
        if _digest(path) != digest:
            return False
    return True


def generated() -> dict[str, Any]:
    """``made_from_models()``: from ``models.json`` while its sources are unchanged, else from the models."""
    global _loaded
    if _loaded is None:
        try:
            with open(MODEL_FILE, encoding="utf-8") as handle:
                stored = json.load(handle)
            usable = isinstance(stored, dict) and isinstance(stored.get("sources"), dict) and _fresh(stored["sources"])
        except (OSError, ValueError):
            usable = False
        _loaded = {"public_sql": stored["public_sql"], "validators": stored["validators"]} if usable else made_from_models()
    return _loaded


def main() -> int:
    """``python -m irkb.index.modeldata [--check]``: write ``models.json``, or exit 1 when it is out of date."""
    from ..atomic import generated_file

    return generated_file(MODEL_FILE, render(), sys.argv[1:], "the models", "python -m irkb.index.modeldata")


if __name__ == "__main__":
    sys.exit(main())
