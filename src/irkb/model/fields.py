"""The building blocks of every record: typed values, rates, figures, notes (pydantic models).

Semantic checks that concern one value only (rate arithmetic, a grade against its scale) live here
as validators raising ``PydanticCustomError`` whose ``type`` is the stable problem code. Nothing
here formats a value for a person: that is ``irkb.view``'s job.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Strict, StringConstraints, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..vocab import SEVERITY_GRADES, AliasKind, Interval, Per, Phase, RateKind, Role, SeverityScale, Unit

SCHEMA_VERSION = "1.0"

KEBAB = r"^[a-z0-9]+(-[a-z0-9]+)*$"

RecordId = Annotated[
    str,
    StringConstraints(pattern=KEBAB, min_length=1, max_length=120),
    Field(description="Kebab-case identifier (lower-case letters, digits and single hyphens)."),
]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
MeshId = Annotated[str, StringConstraints(pattern=r"^D\d{6}$")]
# Numbers and booleans are strict: a quoted '5' or 'false' is text, as the JSON Schema (and so a
# curator's editor) says, never silently converted.
Number = Annotated[float, Strict()]
Count = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]


def _date_input(value: Any) -> Any:
    # YAML gives a date object and the catalog's JSON its ISO text; a number is never a date
    # (pydantic would read 20260101 as seconds since 1970).
    if isinstance(value, (int, float)):
        raise PydanticCustomError("wrong-type", "expected a date written YYYY-MM-DD, got a number")
    return value


Date = Annotated[dt.date, BeforeValidator(_date_input)]
RadlexId = Annotated[str, StringConstraints(pattern=r"^RID\d{1,7}$")]


class _Model(BaseModel):
    """Base of every model: unknown fields are errors, values are validated on assignment.

    Validators are built on first use (``defer_build``): a run that checks one edited procedure
    builds the procedure validator only, not those of every kind.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=True, validate_default=True, defer_build=True)


# --------------------------------------------------------------------------- building blocks


class Alias(_Model):
    """Another name a record is known by."""

    text: Text = Field(description="The alias as written, e.g. 'PCN' or 'embolization'.")
    kind: AliasKind = Field(AliasKind.SYNONYM, description="abbreviation, synonym, spelling variant, eponym, former name or brand.")
    ambiguous: Flag = Field(
        False,
        description="True when several records share this alias (e.g. PTA, RFA): lookups then list the candidates instead of picking one.",
    )


class Codes(_Model):
    """Open terminology codes. CPT and SNOMED CT are excluded by their licences."""

    mesh: list[MeshId] = Field(default_factory=list, description="MeSH descriptor ids, e.g. D000792.")
    radlex: list[RadlexId] = Field(default_factory=list, description="RadLex ids, e.g. RID10311.")


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "." not in text:
        return 0
    frac = text.split(".")[1].rstrip("0")
    return len(frac)


class Rate(_Model):
    """A structured rate in percent: a point value, a bound, or both, with counts where known."""

    percent: Number | None = Field(None, ge=0, le=100, description="Point value in percent (0-100).")
    low: Number | None = Field(None, ge=0, le=100, description="Lower bound in percent.")
    high: Number | None = Field(None, ge=0, le=100, description="Upper bound in percent; alone it means 'up to' / 'less than'.")
    numerator: Count | None = Field(None, ge=0, le=10**9, description="Number of events, where the source gives it.")
    denominator: Count | None = Field(None, gt=0, le=10**9, description="Number of procedures or patients, where the source gives it.")
    interval: Interval | None = Field(None, description="What low..high mean: a range across studies, a 95% confidence interval, or an interquartile range.")

    @model_validator(mode="after")
    def _check(self) -> Rate:
        if self.percent is None and self.low is None and self.high is None:
            raise PydanticCustomError("rate-empty", "a rate needs a percent or at least one bound (low or high)")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise PydanticCustomError("rate-bounds-inverted", "low ({low}) is greater than high ({high})", {"low": self.low, "high": self.high})
        if (self.numerator is None) != (self.denominator is None):
            raise PydanticCustomError("rate-count-incomplete", "numerator and denominator go together: give both or neither")
        if self.numerator is not None and self.denominator is not None:
            if self.numerator > self.denominator:
                raise PydanticCustomError(
                    "rate-count-mismatch",
                    "numerator {n} is greater than denominator {d}",
                    {"n": self.numerator, "d": self.denominator},
                )
            if self.percent is not None:
                actual = 100.0 * self.numerator / self.denominator
                # A source rounds its percent: allow half a unit of its last decimal place.
                tolerance = 0.5 * 10 ** (-_decimals(self.percent)) + 1e-9
                if not math.isclose(actual, self.percent, abs_tol=tolerance):
                    raise PydanticCustomError(
                        "rate-count-mismatch",
                        "{n}/{d} is {actual}%, not {percent}%",
                        {"n": self.numerator, "d": self.denominator, "actual": f"{actual:.2f}", "percent": _fmt(self.percent)},
                    )
        if self.interval is not None and (self.low is None or self.high is None):
            raise PydanticCustomError("rate-interval-incomplete", "an interval needs both low and high")
        return self


def _fmt(value: float) -> str:
    return f"{value:g}"


class Measure(_Model):
    """A cited quantity that is not a complication or outcome rate (a sheath size, a time, a dose)."""

    label: Text | None = Field(None, description="What is measured, e.g. 'Y-90 physical half-life'.")
    value: Number | None = Field(None, ge=0, description="Point value.")
    low: Number | None = Field(None, ge=0, description="Lower bound.")
    high: Number | None = Field(None, ge=0, description="Upper bound.")
    unit: Unit = Field(description="Unit of value, low and high.")
    qualifier: Literal["typical", "maximum", "minimum", "median", "mean", "threshold", "target"] | None = Field(
        None,
        description="What the figure is: a typical value, a limit, a median or a mean; a threshold (a cut-off that decides, e.g. "
        "treat above it) or a target (a value to reach, e.g. a pressure gradient after a shunt).",
    )
    population: Text | None = Field(None, description="Who or what the figure applies to.")
    note: Text | None = Field(None, description="Anything else a reader needs to weigh the figure.")
    source: RecordId | None = Field(None, description="Id of the source record the figure comes from.")
    locator: Text | None = Field(None, description="Where in the source: table, page or section.")

    @model_validator(mode="after")
    def _check(self) -> Measure:
        if self.value is None and self.low is None and self.high is None:
            raise PydanticCustomError("measure-empty", "a measure needs a value or at least one bound")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise PydanticCustomError("rate-bounds-inverted", "low ({low}) is greater than high ({high})", {"low": self.low, "high": self.high})
        return self


class CitedText(_Model):
    """A sentence with the source it comes from (used where a pearl or comparison states a figure)."""

    text: Text = Field(description="The statement, in our own words.")
    source: RecordId | None = Field(None, description="Id of the source record.")
    locator: Text | None = Field(None, description="Where in the source.")


def _note_tag(value: Any) -> str:
    return "cited" if isinstance(value, (dict, CitedText)) else "text"


Note = Annotated[
    Annotated[Text, Tag("text")] | Annotated[CitedText, Tag("cited")],
    Discriminator(_note_tag),
    Field(description="A statement; write {text, source, locator} when it states a figure."),
]


class GuidanceEntry(_Model):
    """One modality used to guide a procedure, its role and the IGT phases it serves."""

    modality: RecordId = Field(description="Id of a modality record, e.g. ct, ultrasound.")
    role: Role = Field(description="primary (standard), adjunct (standard, supporting) or alternative (another way to do it).")
    phases: list[Phase] = Field(default_factory=list, description="IGT phases served: planning, targeting, monitoring, control.")
    note: Text | None = Field(None, description="What the modality is used for here.")


class Comparator(_Model):
    """The other arm of a comparative study (a trial's control, the other technique), in the same rate shape."""

    label: Text = Field(description="What the other arm had, e.g. 'no filter', 'surgical clipping', 'best medical therapy'.")
    rate: Rate = Field(description="The other arm's figure, in percent.")
    population: Text | None = Field(None, description="The other arm's size and setting, when it differs from the figure's population.")
    note: Text | None = Field(None, description="Anything else a reader needs (a p value, a relative risk as printed).")


class FigureBase(_Model):
    """Fields shared by every cited figure."""

    rate: Rate = Field(description="The figure, in percent.")
    rate_kind: RateKind = Field(RateKind.OBSERVED, description="observed rate, suggested threshold, or upper bound ('as high as').")
    per: Per | None = Field(
        None,
        description="What the denominator counts: patient, procedure, device, lesion, vessel, limb, study (pooled across studies) or other.",
    )
    comparator: Comparator | None = Field(None, description="The other arm of a comparative study, so both rates are read together.")
    population: Text | None = Field(None, description="Who or what the figure applies to (series, registry, definition).")
    source: RecordId | None = Field(None, description="Id of the source record. Required: every figure cites a source.")
    locator: Text | None = Field(None, description="Where in the source: table, page or section.")
    note: Text | None = Field(None, description="Anything else a reader needs to weigh the figure.")


class ComplicationFigure(FigureBase):
    """A complication of a procedure or access route, graded and with a cited rate."""

    complication: RecordId = Field(description="Id of a complication record (the controlled vocabulary).")
    severity: str | None = Field(
        None,
        description="Grade in the named scale: sir-2017 mild|moderate|severe|life-threatening|death; sir-legacy minor|major|A-F; "
        "cirse-2017 1-6; unspecified any|minor|major|severe|fatal.",
    )
    severity_scale: SeverityScale = Field(SeverityScale.UNSPECIFIED, description="The classification the grade belongs to.")

    @field_validator("severity", mode="before")
    @classmethod
    def _grade_to_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @model_validator(mode="after")
    def _check_grade(self) -> ComplicationFigure:
        if self.severity is not None:
            grades = SEVERITY_GRADES[str(self.severity_scale)]
            if self.severity.strip().lower() not in grades:
                raise PydanticCustomError(
                    "severity-not-in-scale",
                    "severity '{grade}' is not a grade of the {scale} scale (one of: {grades})",
                    {"grade": self.severity, "scale": str(self.severity_scale), "grades": ", ".join(grades)},
                )
        return self


class Outcome(FigureBase):
    """An outcome measure (technical success, clinical success, readmission, ...) with a cited rate."""

    measure: RecordId = Field(
        description="Kebab-case name of the measure: technical-success, clinical-success, diagnostic-yield, "
        "readmission-30d, mortality-30d, primary-patency-12m, ... A pooled complication rate is not an outcome: record it "
        "under complications as any-adverse-event."
    )


class Alternative(_Model):
    """Another way to reach the same goal, and how it compares."""

    procedure: RecordId | None = Field(None, description="Id of the alternative procedure when it is in irkb.")
    name: Text | None = Field(None, description="Name of the alternative when it is not in irkb (e.g. surgery).")
    comparison: Text | None = Field(None, description="How it compares, in our own words.")
    source: RecordId | None = Field(None, description="Id of the source for the comparison.")

    @model_validator(mode="after")
    def _check(self) -> Alternative:
        if self.procedure is None and self.name is None:
            raise PydanticCustomError("alternative-unnamed", "an alternative needs a procedure id or a name")
        return self


# --------------------------------------------------------------------------- records
