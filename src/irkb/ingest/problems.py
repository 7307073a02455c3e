"""pydantic's validation errors as located problems: one per error, with a stable code and a hint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem, dotted
from .positions import locate

if TYPE_CHECKING:
    from pydantic import ValidationError

    from ..model import Record


_TYPE_CODES = {
    "extra_forbidden": "unknown-field",
    "missing": "missing-field",
    "enum": "invalid-value",
    "literal_error": "invalid-value",
    "string_pattern_mismatch": "invalid-format",
    "greater_than": "out-of-range",
    "greater_than_equal": "out-of-range",
    "less_than": "out-of-range",
    "less_than_equal": "out-of-range",
    "too_short": "too-short",
    "too_long": "too-long",
    "string_too_short": "empty-value",
    "string_too_long": "too-long",
    "union_tag_invalid": "wrong-type",
}


_UNION_TAGS = {"text", "cited"}


# A 1 MiB file can hold a list of 200,000 wrong values: past this many, one line says how many more.
MAX_PROBLEMS_PER_FILE = 100


def _code_for(error_type: str) -> str:
    if error_type in _TYPE_CODES:
        return _TYPE_CODES[error_type]
    if "-" in error_type:  # our own PydanticCustomError types are already stable codes
        return error_type
    if error_type.endswith(("_type", "_parsing")) or error_type.startswith(("date_", "bool_", "int_", "float_")):
        return "wrong-type"
    return "invalid-value"


def _hint_for(code: str, error: Any, model: type[Record], loc: tuple[str | int, ...]) -> str | None:
    if code == "unknown-field" and isinstance(loc[-1], str):
        import difflib

        fields = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(loc[-1], fields, n=1)
        if close:
            return f"did you mean '{close[0]}'?"
        return "allowed fields: " + ", ".join(fields) if fields else None
    value = error.get("input")
    if code == "invalid-value":
        expected = str((error.get("ctx") or {}).get("expected") or "")
        if isinstance(value, str) and expected:
            from ..vocab import british

            fixed = british(value.strip().lower())
            if fixed != value and f"'{fixed}'" in expected:
                return f"irkb spells it the British way: '{fixed}'"
            import difflib
            import re

            close = difflib.get_close_matches(value, re.findall(r"'([^']*)'", expected), n=2, cutoff=0.6)
            if close:
                return "did you mean " + " or ".join(f"'{c}'" for c in close) + "? ('irkb vocab' lists every value)"
        return "'irkb vocab' lists the allowed values" if expected else None
    if code == "wrong-type" and isinstance(value, str):
        number = value.strip().rstrip("%").strip()
        if value.strip().endswith("%") and number.replace(".", "", 1).isdigit():
            return f"write the number alone, without % (e.g. {number}): the field is already in percent"
        if number.replace(".", "", 1).isdigit() or value.strip().lower() in ("true", "false", "yes", "no"):
            return "remove the quotes: a quoted number or true/false is text"
    if code == "wrong-type" and isinstance(value, (int, float)) and not isinstance(value, bool) and loc and loc[-1] in ("pmid", "doi", "text", "id"):
        return f"write it in quotes ({loc[-1]}: '{value}'): it is text"
    if code == "invalid-format" and loc and loc[-1] in ("id", "modality", "complication", "source", "procedure"):
        return "ids are kebab-case: lower-case letters, digits and single hyphens"
    return None


def _fields_at(model: type[Record], loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the (sub)model found at ``loc``, for 'did you mean' hints."""
    from pydantic import BaseModel

    current: Any = model
    for step in loc:
        if isinstance(step, int) or step in _UNION_TAGS:
            continue
        info = current.model_fields.get(step) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _strip_union_tags(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """``loc`` without pydantic's union tags ('text', 'cited'), told apart from real fields by the data.

    ``('pearls', 0, 'text')`` names the tag of a plain-text pearl, but ``('aliases', 0, 'text')``
    names a field: a step is a tag exactly when the data there is not a mapping holding that key.
    """
    out: list[str | int] = []
    node = data
    for step in loc:
        if step in _UNION_TAGS and not (isinstance(node, dict) and step in node):
            continue
        out.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def validation_problems(exc: ValidationError, model: type[Record], text: str, display: str, data: Any = None) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems, one per error (``data``: what was validated)."""
    problems = []
    errors = exc.errors(include_url=False)
    for error in errors[:MAX_PROBLEMS_PER_FILE]:
        loc = _strip_union_tags(tuple(error["loc"]), data)
        code = _code_for(error["type"])
        # an empty value has no position of its own (ruamel gives the next line): point at its key
        line, col = locate(text, loc, at_key=code == "unknown-field" or (error.get("input", 0) is None and bool(loc)))
        if code == "unknown-field":
            message = f"unknown field '{loc[-1]}'" + (f" in {dotted(loc[:-1])}" if len(loc) > 1 else "")
        elif code == "missing-field":
            message = f"missing required field '{dotted(loc)}'"
        else:
            message = f"{dotted(loc)}: {error['msg']}"
            value = error.get("input")
            if code in ("invalid-value", "invalid-format", "wrong-type", "out-of-range") and _short(value):
                message += f" (got {value!r})"
        problems.append(Problem(display, line, col, code, message, "error", _hint_for(code, error, model, loc)))
    if len(errors) > MAX_PROBLEMS_PER_FILE:
        rest = len(errors) - MAX_PROBLEMS_PER_FILE
        last = problems[-1]
        problems.append(
            Problem(
                display,
                last.line,
                last.col,
                "too-many-problems",
                f"{rest} more problems in this file are not listed",
                "error",
                "fix the ones above and run again",
            )
        )
    return problems


def _short(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 60
