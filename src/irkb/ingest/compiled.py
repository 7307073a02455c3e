"""Validating a record with pydantic-core alone, from the models' schemas stored as data.

Checking one edited file with pydantic means importing it and building the models: about a
hundred milliseconds before the first field is read. The catalog instead keeps the schemas that
``irkb.model.compiled`` rewrote into plain data, and ``install`` hands them to this module; a
validator is then built from them in about a millisecond.

It only ever answers "valid, and here is the record" or "ask pydantic": a record it rejects (or
that trips it in any way) is validated again by the models, which give the problems their exact
messages. A test holds the two to the same verdict and the same record on generated input.
"""

from __future__ import annotations

from typing import Any

from ..shape import RULES

_schemas: dict[str, Any] = {}
_validators: dict[str, Any] = {}


def install(schemas: dict[str, Any]) -> None:
    """Use these data-only schemas (kind -> core schema) from now on; an empty dict turns this off."""
    _schemas.clear()
    _schemas.update(schemas)
    _validators.clear()


def installed() -> bool:
    """Whether a validator can be built without pydantic."""
    return bool(_schemas)


def current() -> dict[str, Any]:
    """The schemas in use (to hand to a worker process)."""
    return dict(_schemas)


_FACTORIES = {"list": list, "dict": dict}
"""Default factories a stored schema may name (an empty list or mapping, made fresh each time)."""


def _resolve(node: Any) -> Any:
    """The stored schema with each rule's and default factory's name replaced by the function itself."""
    if isinstance(node, dict):
        return {
            key: RULES[value] if key == "function" and isinstance(value, str) else _FACTORIES[value] if key == "default_factory" else _resolve(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_resolve(item) for item in node]
    return node


def _validator(kind: str) -> Any:
    found = _validators.get(kind)
    if found is None and kind in _schemas:
        from pydantic_core import SchemaError, SchemaValidator

        try:
            found = SchemaValidator(_resolve(_schemas[kind]))
        except (SchemaError, KeyError, TypeError):  # a stored schema this pydantic-core cannot build
            found = False
        _validators[kind] = found
    return found or None


def dump(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The record's JSON dump (what ``model_dump(mode="json")`` gives) when ``data`` is a valid
    record of ``kind``; None when it is not, or when this cannot tell: then ask the models."""
    validator = _validator(kind)
    if validator is None:
        return None
    from pydantic_core import to_jsonable_python

    try:
        out = to_jsonable_python(validator.validate_python(data))
    except Exception:  # any doubt goes to pydantic, which reports it the way the models do
        return None
    return out if isinstance(out, dict) else None
