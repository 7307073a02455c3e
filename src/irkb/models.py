"""Pydantic models of every irkb record kind, and the closed vocabularies they use.

The models are the single source of truth: the JSON Schemas in ``schemas/`` are generated from
them, and ``Field(description=...)`` becomes the schema's documentation. Semantic checks that
concern one record only (rate arithmetic, severity grade against its scale) live here as
validators raising ``PydanticCustomError`` whose ``type`` is the stable problem code.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Strict, StringConstraints, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .vocab import (  # noqa: F401  (re-exported for the API)
    SEVERITY_GRADES,
    AliasKind,
    Anaesthesia,
    BodySystem,
    Category,
    ComplicationGroup,
    Interval,
    Per,
    Phase,
    Purpose,
    RateKind,
    Role,
    RouteKind,
    Setting,
    SeverityScale,
    SourceKind,
    Speed,
    Technique,
    Unit,
    normalise,
)

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

    @property
    def upper(self) -> float:
        """The figure used to compare rates: the point value, else the upper bound, else the lower one."""
        from .serialise import rate_upper

        return rate_upper(self.model_dump())

    def display(self) -> str:
        """The rate as a person reads it, e.g. '0.6% (2/318)', '≤4%', '1-3%'."""
        from .serialise import rate_display

        return rate_display(self.model_dump())


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

    def display(self) -> str:
        """The quantity as a person reads it, e.g. '6-7 Fr (typical)'."""
        from .output import measure_display

        return measure_display(self.model_dump())


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


class Record(_Model):
    """Fields every record kind has."""

    record_type: ClassVar[str] = "record"
    directory: ClassVar[str] = ""
    recommended: ClassVar[tuple[str, ...]] = ()

    id: RecordId = Field(description="Unique kebab-case id; equals the file name without .yaml.")
    aliases: list[Alias] = Field(default_factory=list, description="Other names and abbreviations, resolved by every lookup.")
    last_reviewed: Date = Field(description="Date the record was last checked against its sources (YYYY-MM-DD).")


class Modality(Record):
    """A guidance modality: what it sees, how fast, at what cost."""

    record_type: ClassVar[str] = "modality"
    directory: ClassVar[str] = "modalities"
    recommended: ClassVar[tuple[str, ...]] = ("summary", "sees_best", "blind_spots", "classic_uses", "sources")

    name: Text = Field(description="Display name.")

    summary: Text | None = Field(None, description="What the modality is, in our own words.")
    speed: Speed = Field(description="live, near-live, step-by-step or slow. 'Live' guidance means speed == live.")
    ionising_radiation: Flag = Field(description="Whether it exposes patient and operator to ionising radiation.")
    sees_best: list[Text] = Field(default_factory=list, description="What it shows well.")
    blind_spots: list[Text] = Field(default_factory=list, description="What it cannot see (ultrasound: bone, gas).")
    bedside: Flag = Field(False, description="Portable: can be taken to the bedside.")
    special_kit: list[Text] = Field(default_factory=list, description="Special equipment needed (MRI: MR-conditional devices).")
    classic_uses: list[Text] = Field(default_factory=list, description="Typical procedures it guides.")
    advantages: list[Text] = Field(default_factory=list, description="Strengths.")
    drawbacks: list[Text] = Field(default_factory=list, description="Weaknesses.")
    key_figures: list[Measure] = Field(default_factory=list, description="Other cited figures (times, sizes, doses, survey results).")
    pearls: list[Note] = Field(default_factory=list, description="Tips worth remembering.")
    pitfalls: list[Note] = Field(default_factory=list, description="Traps to avoid.")
    codes: Codes = Field(default_factory=Codes, description="Terminology codes.")
    sources: list[RecordId] = Field(default_factory=list, description="Ids of the sources the record draws on.")


class AccessRoute(Record):
    """A way into the body: an artery, a vein, or a non-vascular path."""

    record_type: ClassVar[str] = "access-route"
    directory: ClassVar[str] = "access-routes"
    recommended: ClassVar[tuple[str, ...]] = ("summary", "advantages", "drawbacks", "sources")

    name: Text = Field(description="Display name.")

    kind: RouteKind = Field(description="arterial, venous or non-vascular.")
    summary: Text | None = Field(None, description="Where the route enters and what it is used for, in our own words.")
    sheath_size: list[Measure] = Field(default_factory=list, description="Sheath or device size limits, cited.")
    haemostasis: list[Text] = Field(default_factory=list, description="How bleeding is controlled at the end (compression, closure device, band).")
    time_to_ambulation: list[Measure] = Field(default_factory=list, description="How soon the patient can walk, cited.")
    advantages: list[Note] = Field(default_factory=list, description="Strengths of the route.")
    drawbacks: list[Note] = Field(default_factory=list, description="Weaknesses of the route.")
    complications: list[ComplicationFigure] = Field(default_factory=list, description="Access-site complication figures, cited.")
    key_figures: list[Measure] = Field(default_factory=list, description="Other cited figures (times, sizes, doses, survey results).")
    pearls: list[Note] = Field(default_factory=list, description="Tips worth remembering.")
    pitfalls: list[Note] = Field(default_factory=list, description="Traps to avoid.")
    codes: Codes = Field(default_factory=Codes, description="Terminology codes.")
    sources: list[RecordId] = Field(default_factory=list, description="Ids of the sources the record draws on.")


class Complication(Record):
    """A complication type of the controlled vocabulary, so queries across procedures use one name."""

    record_type: ClassVar[str] = "complication"
    directory: ClassVar[str] = "complications"
    recommended: ClassVar[tuple[str, ...]] = ("definition",)

    name: Text = Field(description="Display name.")

    group: ComplicationGroup = Field(ComplicationGroup.OTHER, description="Broad family of the complication.")
    definition: Text | None = Field(None, description="What counts as this complication, in our own words.")
    key_figures: list[Measure] = Field(default_factory=list, description="Cited figures about this complication type across procedures.")
    codes: Codes = Field(default_factory=Codes, description="Terminology codes.")
    sources: list[RecordId] = Field(default_factory=list, description="Ids of the sources for the definition.")


class Source(Record):
    """A cited source: guideline, study, review, textbook or web page."""

    record_type: ClassVar[str] = "source"
    directory: ClassVar[str] = "sources"
    recommended: ClassVar[tuple[str, ...]] = ("year",)

    title: Text = Field(description="Full title.")
    authors: list[Text] = Field(default_factory=list, description="Authors, 'Surname Initials'.")
    organisation: Text | None = Field(None, description="Issuing society or organisation (SIR, CIRSE, RCR, ...).")
    journal: Text | None = Field(None, description="Journal or publisher.")
    year: Count | None = Field(None, ge=1900, le=2100, description="Year of publication.")
    citation: Text | None = Field(None, description="Full citation (volume, issue, pages).")
    doi: Annotated[str, StringConstraints(pattern=r"^10\.\d{4,9}/\S+$")] | None = Field(None, description="DOI, without https://doi.org/.")
    pmid: Annotated[str, StringConstraints(pattern=r"^\d{1,9}$")] | None = Field(None, description="PubMed id.")
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = Field(None, description="Web address.")
    kind: SourceKind = Field(description="What sort of source it is, so readers can weigh its figures.")
    accessed: Date | None = Field(None, description="For web pages: the date the page was read.")
    note: Text | None = Field(None, description="What the source is used for, caveats.")


class Procedure(Record):
    """An image-guided procedure."""

    record_type: ClassVar[str] = "procedure"
    directory: ClassVar[str] = "procedures"
    recommended: ClassVar[tuple[str, ...]] = (
        "summary",
        "guidance",
        "indications",
        "contraindications",
        "complications",
        "pearls",
        "sources",
    )

    name: Text = Field(description="Display name.")
    category: Category = Field(description="What kind of procedure it is.")
    system: BodySystem = Field(description="The body system it works on.")
    purpose: list[Purpose] = Field(min_length=1, description="diagnostic, therapeutic and/or palliative.")
    family: RecordId | None = Field(None, description="Id of the family record this procedure is a member of (e.g. thermal-ablation).")
    summary: Text | None = Field(None, description="What is done and why, in our own words.")
    guidance: list[GuidanceEntry] = Field(default_factory=list, description="Modalities used, with role and IGT phases.")
    access_routes: list[RecordId] = Field(default_factory=list, description="Ids of access-route records.")
    technique: list[Technique] = Field(default_factory=list, description="How the device reaches the target.")
    confirmation: Text | None = Field(None, description="How the operator confirms position before committing.")
    anaesthesia: list[Anaesthesia] = Field(default_factory=list, description="Anaesthesia or sedation.")
    setting: list[Setting] = Field(default_factory=list, description="outpatient, day-case, inpatient, bedside, emergency.")
    indications: list[Text] = Field(default_factory=list, description="When it is done.")
    contraindications: list[Text] = Field(default_factory=list, description="When it should not be done.")
    alternatives: list[Alternative] = Field(default_factory=list, description="Other procedures or surgery, with the comparison.")
    related: list[RecordId] = Field(default_factory=list, description="Ids of related procedures.")
    outcomes: list[Outcome] = Field(default_factory=list, description="Success and other outcome figures, cited.")
    complications: list[ComplicationFigure] = Field(default_factory=list, description="Complication figures, cited.")
    follow_up: list[Text] = Field(default_factory=list, description="Aftercare and follow-up imaging.")
    key_figures: list[Measure] = Field(default_factory=list, description="Other cited figures (times, sizes, doses, survey results).")
    pearls: list[Note] = Field(default_factory=list, description="Tips worth remembering.")
    pitfalls: list[Note] = Field(default_factory=list, description="Traps to avoid.")
    codes: Codes = Field(default_factory=Codes, description="Terminology codes.")
    sources: list[RecordId] = Field(default_factory=list, description="Ids of the sources the record draws on.")

    def standard_guidance(self) -> list[GuidanceEntry]:
        """Guidance entries with role primary or adjunct: the usual way the procedure is done."""
        return [g for g in self.guidance if g.role in (Role.PRIMARY, Role.ADJUNCT)]


RECORD_TYPES: dict[str, type[Record]] = {
    "procedure": Procedure,
    "modality": Modality,
    "access-route": AccessRoute,
    "complication": Complication,
    "source": Source,
}
"""Record kind -> model, in the order kinds are listed and exported."""

KIND_BY_DIRECTORY: dict[str, str] = {m.directory: k for k, m in RECORD_TYPES.items()}


KIND_ALIASES: dict[str, str] = {
    **{k: k for k in RECORD_TYPES},
    "procedures": "procedure",
    "modalities": "modality",
    "access-routes": "access-route",
    "routes": "access-route",
    "complications": "complication",
    "sources": "source",
}
