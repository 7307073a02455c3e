"""The building blocks of every record: typed values, rates, figures, notes (pydantic models).

Checks that judge several fields of one object together (rate arithmetic, a grade against its
scale) are plain functions in ``irkb.shape``, named by a model's ``rule``; they raise
``PydanticCustomError`` whose ``type`` is the stable problem code. Nothing here formats a value
for a person: that is ``irkb.view``'s job.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Strict, StringConstraints, Tag, model_validator

from ..kinds import SCHEMA_VERSION as SCHEMA_VERSION  # declared there: read without importing the models
from ..shape import RULES, date_input, grade_as_text
from ..vocab import AliasKind, Interval, Per, Phase, RateKind, Role, SeverityScale, Unit

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
# YAML gives a date object and the catalog's JSON its ISO text; a number is never a date.
Date = Annotated[dt.date, BeforeValidator(date_input)]
RadlexId = Annotated[str, StringConstraints(pattern=r"^RID\d{1,7}$")]


class _Model(BaseModel):
    """Base of every model: unknown fields are errors, values are validated on assignment.

    Validators are built on first use (``defer_build``): a run that checks one edited procedure
    builds the procedure validator only, not those of every kind. A model whose fields must agree
    with each other names its rule (a function of ``irkb.shape.RULES``) in ``rule``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=True, validate_default=True, defer_build=True)
    rule: ClassVar[str | None] = None

    @model_validator(mode="after")
    def _apply_rule(self) -> Any:
        if self.rule is not None:
            RULES[self.rule](self.__dict__)
        return self


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


class Rate(_Model):
    """A structured rate in percent: a point value, a bound, or both, with counts where known."""

    rule: ClassVar[str | None] = "rate"

    percent: Number | None = Field(None, ge=0, le=100, description="Point value in percent (0-100).")
    low: Number | None = Field(None, ge=0, le=100, description="Lower bound in percent.")
    high: Number | None = Field(None, ge=0, le=100, description="Upper bound in percent; alone it means 'up to' / 'less than'.")
    numerator: Count | None = Field(None, ge=0, le=10**9, description="Number of events, where the source gives it.")
    denominator: Count | None = Field(None, gt=0, le=10**9, description="Number of procedures or patients, where the source gives it.")
    interval: Interval | None = Field(None, description="What low..high mean: a range across studies, a 95% confidence interval, or an interquartile range.")


class Measure(_Model):
    """A cited quantity that is not a complication or outcome rate (a sheath size, a time, a dose)."""

    rule: ClassVar[str | None] = "measure"

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

    rule: ClassVar[str | None] = "graded"

    complication: RecordId = Field(description="Id of a complication record (the controlled vocabulary).")
    severity: Annotated[str | None, BeforeValidator(grade_as_text)] = Field(
        None,
        description="Grade in the named scale: sir-2017 mild|moderate|severe|life-threatening|death; sir-legacy minor|major|A-F; "
        "cirse-2017 1-6; unspecified any|minor|major|severe|fatal.",
    )
    severity_scale: SeverityScale = Field(SeverityScale.UNSPECIFIED, description="The classification the grade belongs to.")


class Outcome(FigureBase):
    """An outcome measure (technical success, clinical success, readmission, ...) with a cited rate."""

    measure: RecordId = Field(
        description="Kebab-case name of the measure: technical-success, clinical-success, diagnostic-yield, "
        "readmission-30d, mortality-30d, primary-patency-12m, ... A pooled complication rate is not an outcome: record it "
        "under complications as any-adverse-event."
    )


class Alternative(_Model):
    """Another way to reach the same goal, and how it compares."""

    rule: ClassVar[str | None] = "alternative"

    procedure: RecordId | None = Field(None, description="Id of the alternative procedure when it is in irkb.")
    name: Text | None = Field(None, description="Name of the alternative when it is not in irkb (e.g. surgery).")
    comparison: Text | None = Field(None, description="How it compares, in our own words.")
    source: RecordId | None = Field(None, description="Id of the source for the comparison.")


# --------------------------------------------------------------------------- records
