"""What a record must be beyond its field types, in plain Python: the rules that judge several
fields of one object together (rate arithmetic, a grade against its scale), the two input
conversions, and the canonical order of a record's fields.

Declared once, used twice: the pydantic models (``irkb.model``) run these rules, and so does the
validator compiled from those models' schemas (``irkb.ingest.compiled``), which checks an edited
file without importing pydantic. Each rule takes the validated fields of one object (a mapping)
and returns it unchanged, or raises pydantic-core's ``PydanticCustomError`` whose ``type`` is the problem code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .vocab import SEVERITY_GRADES

M = TypeVar("M", bound=Mapping[str, Any])


def _error(code: str, message: str, context: dict[str, Any] | None = None) -> Exception:
    """The error a rule raises: its ``type`` is the problem code (pydantic-core is imported only
    when a rule fails, so reading this module for the field order stays cheap)."""
    from pydantic_core import PydanticCustomError

    return PydanticCustomError(code, message, context)


RECOMMENDED: dict[str, tuple[str, ...]] = {
    "modality": ("summary", "sees_best", "blind_spots", "classic_uses", "sources"),
    "access-route": ("summary", "advantages", "drawbacks", "sources"),
    "complication": ("definition",),
    "source": ("year",),
    "procedure": ("summary", "guidance", "indications", "contraindications", "complications", "pearls", "sources"),
}
"""Kind -> fields a record should fill (an empty one is a ``missing-recommended`` warning)."""

DOI_PATTERN = r"^10\.\d{4,9}/\S+$"
PMID_PATTERN = r"^\d{1,9}$"
"""A DOI or PMID that does not match is a warning (the JSON Schema carries the patterns)."""

FIRST = ("id", "name", "title", "aliases")
LAST = ("sources", "last_reviewed")


def canonical_order(names: list[str]) -> list[str]:
    """A record's field names (in declaration order) in canonical order: id, name/title, aliases,
    the rest as declared, sources, last_reviewed."""
    head = [n for n in FIRST if n in names]
    tail = [n for n in LAST if n in names]
    return head + [n for n in names if n not in head and n not in tail] + tail


def canonical(fields: dict[str, Any]) -> dict[str, Any]:
    """A record's fields (a model's dump, in declaration order) in canonical order."""
    return {name: fields[name] for name in canonical_order(list(fields))}


# --------------------------------------------------------------------------- input conversions


def date_input(value: Any) -> Any:
    """A number is never a date (pydantic would read 20260101 as seconds since 1970)."""
    if isinstance(value, (int, float)):
        raise _error("wrong-type", "expected a date written YYYY-MM-DD, got a number")
    return value


def grade_as_text(value: Any) -> Any:
    """A CIRSE grade written as a number (``severity: 3``) is the grade '3'."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# --------------------------------------------------------------------------- rules over one object


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "." not in text:
        return 0
    return len(text.split(".")[1].rstrip("0"))


def rate(fields: M) -> M:
    """A rate has a value or a bound, bounds in order, counts in pairs that agree with the percent."""
    percent, low, high = fields["percent"], fields["low"], fields["high"]
    numerator, denominator = fields["numerator"], fields["denominator"]
    if percent is None and low is None and high is None:
        raise _error("rate-empty", "a rate needs a percent or at least one bound (low or high)")
    if low is not None and high is not None and low > high:
        raise _error("rate-bounds-inverted", "low ({low}) is greater than high ({high})", {"low": low, "high": high})
    if (numerator is None) != (denominator is None):
        raise _error("rate-count-incomplete", "numerator and denominator go together: give both or neither")
    if numerator is not None and denominator is not None:
        if numerator > denominator:
            raise _error("rate-count-mismatch", "numerator {n} is greater than denominator {d}", {"n": numerator, "d": denominator})
        if percent is not None:
            actual = 100.0 * numerator / denominator
            # A source rounds its percent: allow half a unit of its last decimal place.
            tolerance = 0.5 * 10 ** (-_decimals(percent)) + 1e-9
            if not math.isclose(actual, percent, abs_tol=tolerance):
                raise _error(
                    "rate-count-mismatch",
                    "{n}/{d} is {actual}%, not {percent}%",
                    {"n": numerator, "d": denominator, "actual": f"{actual:.2f}", "percent": f"{percent:g}"},
                )
    if fields["interval"] is not None and (low is None or high is None):
        raise _error("rate-interval-incomplete", "an interval needs both low and high")
    return fields


def measure(fields: M) -> M:
    """A measure has a value or a bound, and its bounds in order."""
    low, high = fields["low"], fields["high"]
    if fields["value"] is None and low is None and high is None:
        raise _error("measure-empty", "a measure needs a value or at least one bound")
    if low is not None and high is not None and low > high:
        raise _error("rate-bounds-inverted", "low ({low}) is greater than high ({high})", {"low": low, "high": high})
    return fields


def graded(fields: M) -> M:
    """A complication's severity is a grade of the scale it names."""
    severity, scale = fields["severity"], str(fields["severity_scale"])
    if severity is not None:
        grades = SEVERITY_GRADES[scale]
        if severity.strip().lower() not in grades:
            raise _error(
                "severity-not-in-scale",
                "severity '{grade}' is not a grade of the {scale} scale (one of: {grades})",
                {"grade": severity, "scale": scale, "grades": ", ".join(grades)},
            )
    return fields


def alternative(fields: M) -> M:
    """An alternative names a procedure in irkb or something outside it."""
    if fields["procedure"] is None and fields["name"] is None:
        raise _error("alternative-unnamed", "an alternative needs a procedure id or a name")
    return fields


RULES: dict[str, Callable[[Any], Any]] = {
    "date_input": date_input,
    "grade_as_text": grade_as_text,
    "rate": rate,
    "measure": measure,
    "graded": graded,
    "alternative": alternative,
}
"""Every function the models validate with, by the name a compiled validator refers to it by."""
