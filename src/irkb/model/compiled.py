"""The models' validation schemas as plain data, for a validator that needs no pydantic.

pydantic builds each model's validator from a *core schema*: a tree of dicts that pydantic-core
turns into a Rust validator. Here that tree is rewritten into one made only of data: a model
becomes a typed dict (extra keys forbidden), an enum the literal of its values (the models keep
enum values), a tagged union of a note a plain union, a default factory its value, and every
function the name of its rule in ``irkb.shape.RULES``. The result is JSON; the catalog stores it,
and ``irkb.ingest.compiled`` builds a validator from it in about a millisecond, where importing
pydantic and building the models costs about a hundred.

The rewrite refuses what it does not know (``Unsupported``): a new kind of node or a function that
is not a registered rule stops it, so a model change can never make the two validators disagree
silently; irkb then validates with pydantic alone.
"""

from __future__ import annotations

import enum
import operator
from typing import Any

from ..shape import RULES
from .fields import _Model, _note_tag
from .records import RECORD_TYPES

# Node types whose keys are all data (their children are rewritten in turn).
_PLAIN = {"str", "int", "float", "bool", "date", "list", "nullable", "literal", "definitions", "definition-ref"}
_DROPPED_KEYS = {"metadata", "serialization"}
_RULE_NAMES = {id(function): name for name, function in RULES.items()}
_APPLY_RULE = _Model.__pydantic_decorators__.model_validators["_apply_rule"].func  # runs a model's ``rule``


class Unsupported(ValueError):
    """The models use something the data-only validator cannot express."""


def validator_schemas() -> dict[str, Any]:
    """Kind -> the data-only core schema of its model (JSON-ready)."""
    out = {}
    for kind, model in RECORD_TYPES.items():
        model.model_rebuild()
        out[kind] = _rewrite(model.__pydantic_core_schema__)
    return out


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if not isinstance(node, dict):
        if callable(node) or isinstance(node, enum.Enum):
            raise Unsupported(f"not data: {node!r}")
        return node
    kind = node.get("type")
    if kind in _PLAIN:
        return {key: _rewrite(value) for key, value in node.items() if key not in _DROPPED_KEYS}
    rewrite = _REWRITES.get(kind)  # type: ignore[arg-type]
    if rewrite is None:
        raise Unsupported(f"core schema node {kind!r}")
    return rewrite(node)


_MODEL_KEYS = {"type", "cls", "schema", "config", "custom_init", "root_model", "ref", "metadata"}
_MODEL_CONFIG = {"title": None, "extra_fields_behavior": "forbid", "validate_default": True}  # None: any value
_FIELDS_KEYS = {"type", "fields", "model_name", "computed_fields"}


def _model(node: dict[str, Any]) -> dict[str, Any]:
    # Only what the models use today is rewritten: a model option the typed dict would not apply
    # (strictness, extra fields allowed, a custom __init__, computed fields) stops the rewrite.
    inner, config = node["schema"], node.get("config", {})
    if (
        set(node) - _MODEL_KEYS
        or node.get("custom_init")
        or node.get("root_model")
        or inner.get("type") != "model-fields"
        or set(inner) - _FIELDS_KEYS
        or inner.get("computed_fields")
        or any(key not in _MODEL_CONFIG or _MODEL_CONFIG[key] not in (None, value) for key, value in config.items())
        or config.get("extra_fields_behavior") != "forbid"
    ):
        raise Unsupported(f"model {node.get('cls')!r}: {sorted(set(node) | set(config))}")
    fields = {}
    for name, field in inner["fields"].items():
        if set(field) - {"type", "schema", "metadata"}:
            raise Unsupported(f"field {name!r}: {sorted(set(field) - {'type', 'schema', 'metadata'})}")
        schema = _rewrite(field["schema"])
        fields[name] = {"type": "typed-dict-field", "schema": schema, "required": schema.get("type") != "default"}
    out: dict[str, Any] = {"type": "typed-dict", "fields": fields, "extra_behavior": "forbid"}
    if "ref" in node:
        out["ref"] = node["ref"]
    return out


def _function(node: dict[str, Any]) -> dict[str, Any]:
    function = node["function"]
    if function.get("type") != "no-info":
        raise Unsupported(f"validator with info: {function!r}")
    target, inner = function["function"], node["schema"]
    schema: dict[str, Any] = _rewrite(inner)
    if isinstance(target, operator.attrgetter) and repr(target) == "operator.attrgetter('value')" and inner.get("type") == "enum":
        return schema  # use_enum_values: the literal already gives the value
    if node["type"] == "function-after" and inner.get("type") == "model" and target is _APPLY_RULE:
        name = inner["cls"].rule  # the model's rule, or none: then the typed dict alone
    elif id(target) in _RULE_NAMES:
        name = _RULE_NAMES[id(target)]
    else:
        raise Unsupported(f"validator function {target!r} is not a rule of irkb.shape")
    out: dict[str, Any] = schema if name is None else {"type": node["type"], "function": {"type": "no-info", "function": name}, "schema": schema}
    ref = node.get("ref") or schema.pop("ref", None)  # a definition's ref belongs on its outermost node
    if ref is not None:
        out["ref"] = ref
    return out


def _enum(node: dict[str, Any]) -> dict[str, Any]:
    if node.get("sub_type") != "str" or node.get("missing") is not None:
        raise Unsupported(f"enum {node.get('cls')!r}")
    out: dict[str, Any] = {"type": "literal", "expected": [member.value for member in node["members"]]}
    if "ref" in node:
        out["ref"] = node["ref"]
    return out


def _union(node: dict[str, Any]) -> dict[str, Any]:
    # A note is text or a cited text, and its discriminator sends a mapping to the cited text and
    # anything else to the text: exactly the choice that could accept it, so a plain union of the
    # two accepts the same. Another discriminator may not be so: it stops the rewrite.
    choices = node["choices"]
    if node.get("discriminator") is not _note_tag or not isinstance(choices, dict) or set(node) - {"type", "choices", "discriminator", "metadata", "ref"}:
        raise Unsupported("tagged union")
    out: dict[str, Any] = {"type": "union", "choices": [_rewrite(choice) for choice in choices.values()]}
    if "ref" in node:
        out["ref"] = node["ref"]
    return out


def _default(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "default", "schema": _rewrite(node["schema"]), "validate_default": True}
    if "default_factory" in node:
        factory = node["default_factory"]
        if factory is list:
            out["default_factory"] = "list"
        elif isinstance(factory, type) and issubclass(factory, _Model):
            out["default_factory"] = "dict"  # validated like any input, so it gains the model's defaults
        else:
            raise Unsupported(f"default factory {factory!r}")
    else:
        value = _rewrite(node["default"].value if isinstance(node["default"], enum.Enum) else node["default"])
        if value == [] or value == {}:  # made fresh by a factory: a mutable default would be deep-copied each time
            out["default_factory"] = type(value).__name__
        else:
            out["default"] = value
    return out


_REWRITES = {
    "model": _model,
    "function-after": _function,
    "function-before": _function,
    "enum": _enum,
    "tagged-union": _union,
    "default": _default,
}
