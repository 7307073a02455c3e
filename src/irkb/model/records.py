"""The record kinds as pydantic models: the single source of truth for the shape of the data.

The JSON Schemas in ``schemas/`` are generated from these models, and ``Field(description=...)``
becomes the schema's documentation (and the comments of ``irkb new``'s template).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from ..kinds import KINDS
from ..shape import DOI_PATTERN, PMID_PATTERN
from ..vocab import Anaesthesia, BodySystem, Category, ComplicationGroup, Purpose, Role, RouteKind, Setting, SourceKind, Speed, Technique
from .fields import (
    Alias,
    Alternative,
    Codes,
    ComplicationFigure,
    Count,
    Date,
    Flag,
    GuidanceEntry,
    Measure,
    Note,
    Outcome,
    RecordId,
    Text,
    _Model,
)


class Record(_Model):
    """Fields every record kind has."""

    record_type: ClassVar[str] = "record"

    id: RecordId = Field(description="Unique kebab-case id; equals the file name without .yaml.")
    aliases: list[Alias] = Field(default_factory=list, description="Other names and abbreviations, resolved by every lookup.")
    last_reviewed: Date = Field(description="Date the record was last checked against its sources (YYYY-MM-DD).")


class Modality(Record):
    """A guidance modality: what it sees, how fast, at what cost."""

    record_type: ClassVar[str] = "modality"

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

    name: Text = Field(description="Display name.")

    group: ComplicationGroup = Field(ComplicationGroup.OTHER, description="Broad family of the complication.")
    definition: Text | None = Field(None, description="What counts as this complication, in our own words.")
    key_figures: list[Measure] = Field(default_factory=list, description="Cited figures about this complication type across procedures.")
    codes: Codes = Field(default_factory=Codes, description="Terminology codes.")
    sources: list[RecordId] = Field(default_factory=list, description="Ids of the sources for the definition.")


class Source(Record):
    """A cited source: guideline, study, review, textbook or web page."""

    record_type: ClassVar[str] = "source"

    title: Text = Field(description="Full title.")
    authors: list[Text] = Field(default_factory=list, description="Authors, 'Surname Initials'.")
    organisation: Text | None = Field(None, description="Issuing society or organisation (SIR, CIRSE, RCR, ...).")
    journal: Text | None = Field(None, description="Journal or publisher.")
    year: Count | None = Field(None, ge=1900, le=2100, description="Year of publication.")
    citation: Text | None = Field(None, description="Full citation (volume, issue, pages).")
    # A malformed DOI or PMID is a warning (malformed-identifier), not an error: the source still
    # stands and the records citing it are not cascaded into errors. The schema carries the pattern.
    doi: Text | None = Field(None, description="DOI, without https://doi.org/ (10.NNNN/...).", json_schema_extra={"pattern": DOI_PATTERN})
    pmid: Text | None = Field(None, description="PubMed id (digits only; quote it).", json_schema_extra={"pattern": PMID_PATTERN})
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = Field(None, description="Web address.")
    kind: SourceKind = Field(description="What sort of source it is, so readers can weigh its figures.")
    accessed: Date | None = Field(None, description="For web pages: the date the page was read.")
    note: Text | None = Field(None, description="What the source is used for, caveats.")


class Procedure(Record):
    """An image-guided procedure."""

    record_type: ClassVar[str] = "procedure"

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


RECORD_TYPES: dict[str, type[Record]] = {k.name: globals()[k.model] for k in KINDS}
"""Record kind -> model, in the order of the kinds table."""
