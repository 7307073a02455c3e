"""What the exported tables and columns mean, for the tools that read them: Datasette's
``metadata.json`` beside a SQLite export, and a Frictionless ``datapackage.json`` beside CSV files.

Record tables are described from the models (``Field(description=...)``, the same text as the JSON
Schemas and the ``irkb new`` template); link tables from ``LINK_COLUMNS`` below.
"""

from __future__ import annotations

from typing import Any

from ..index.tables import LINK_TABLES, RATE
from ..kinds import KINDS
from .snapshot import DISCLAIMER, Snapshot

TITLE = "irkb: a cited knowledge base of image-guided (interventional radiology) procedures"
LICENSE = "CC-BY-4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "irkb"

_RATE_COLUMNS = {
    "percent": "Point value in percent.",
    "low": "Lower bound in percent.",
    "high": "Upper bound in percent; alone it means 'up to'.",
    "numerator": "Number of events, where the source prints it.",
    "denominator": "What the events are counted over, where the source prints it.",
    "interval": "What low-high mean: range, ci95 or iqr.",
}
_FIGURE_COLUMNS = {
    **_RATE_COLUMNS,
    "rate_kind": "observed, threshold (a society quality threshold) or upper-bound ('as high as').",
    "per": "What the denominator counts: patient, procedure, device, lesion, vessel, limb, study or other.",
    "comparator_label": "The other arm of a comparative study.",
    **{f"comparator_{k}": f"The other arm's figure: {v[0].lower()}{v[1:]}" for k, v in _RATE_COLUMNS.items()},
    "comparator_population": "The other arm's size and setting, when it differs.",
    "comparator_note": "Anything else about the other arm (a p value, a relative risk as printed).",
    "population": "Who or what the figure applies to.",
    "source_id": "Id of the source (sources table).",
    "locator": "Where in the source: table, page or section.",
    "note": "What exactly is counted, when the complication or measure alone does not say.",
    "position": "Order of the figure in its record.",
}
LINK_COLUMNS: dict[str, tuple[str, dict[str, str]]] = {
    "procedure_modalities": (
        "Guidance: one row per modality a procedure uses.",
        {
            "procedure_id": "Procedure.",
            "position": "Order in the record.",
            "modality_id": "Modality.",
            "role": "primary, adjunct or alternative.",
            "phases": "IGT phases served (JSON list).",
            "note": "What the modality is used for here.",
        },
    ),
    "procedure_access_routes": (
        "Access routes a procedure uses.",
        {"procedure_id": "Procedure.", "position": "Order in the record.", "access_route_id": "Access route."},
    ),
    "complication_figures": (
        "Complication figures, one row per figure, of procedures and access routes.",
        {
            "procedure_id": "Procedure (or null).",
            "access_route_id": "Access route (or null).",
            "complication_id": "Complication (the vocabulary).",
            "severity": "Grade in the named scale.",
            "severity_scale": "sir-2017, sir-legacy, cirse-2017 or unspecified.",
            **_FIGURE_COLUMNS,
        },
    ),
    "outcome_figures": (
        "Outcome figures (technical success, patency, diagnostic yield ...), one row per figure.",
        {"procedure_id": "Procedure.", "measure": "Outcome measure (irkb vocab measures), with a time point.", **_FIGURE_COLUMNS},
    ),
    "key_figures": (
        "Other cited quantities (sizes, times, doses, cut-offs and targets).",
        {
            "record_type": "Kind of the record.",
            "record_id": "Record.",
            "field": "key_figures, sheath_size or time_to_ambulation.",
            "position": "Order in the record.",
            "label": "What is measured.",
            "value": "Point value.",
            "low": "Lower bound.",
            "high": "Upper bound.",
            "unit": "Unit.",
            "qualifier": "typical, maximum, minimum, median, mean, threshold or target.",
            "population": "Who or what the figure applies to.",
            "source_id": "Id of the source.",
            "locator": "Where in the source.",
            "note": "Anything else a reader needs.",
        },
    ),
    "aliases": (
        "Other names and abbreviations of every record.",
        {
            "record_type": "Kind of the record.",
            "record_id": "Record.",
            "position": "Order in the record.",
            "text": "The alias.",
            "kind": "abbreviation, synonym, spelling, eponym, former or brand.",
            "ambiguous": "1 when several records share it.",
        },
    ),
    "record_sources": (
        "The sources each record draws on.",
        {"record_type": "Kind of the record.", "record_id": "Record.", "position": "Order in the record.", "source_id": "Source."},
    ),
}
assert set(LINK_COLUMNS) == set(LINK_TABLES), "every link table is described"
assert all(k in _FIGURE_COLUMNS for k in RATE)


def tables() -> dict[str, dict[str, Any]]:
    """Table -> {description, columns: {column: description}} for every public table."""
    from ..model import RECORD_TYPES, field_order

    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        model = RECORD_TYPES[kind.name]
        columns = {name: " ".join((model.model_fields[name].description or "").split()) for name in field_order(kind.name)}
        columns["alias_text"] = "The aliases' texts joined with '; ' (searched by full text)."
        out[kind.key] = {"description": " ".join((model.__doc__ or "").split()), "columns": columns}
    for table, (description, columns) in LINK_COLUMNS.items():
        out[table] = {"description": description, "columns": columns}
    out["metadata"] = {
        "description": "Versions of this export.",
        "columns": {
            "schema_version": "Version of the record shape.",
            "data_version": "SHA-256 of every record's content.",
            "generated_at": "UTC time of the export.",
        },
    }
    return out


def datasette(snap: Snapshot, database: str) -> dict[str, Any]:
    """Datasette's metadata for the SQLite export named ``database`` (its file name without .db)."""
    return {
        "title": TITLE,
        "description": f"{DISCLAIMER} Schema {snap.schema_version}, data version {snap.data_version}, generated {snap.generated_at}.",
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "source": SOURCE,
        "databases": {database: {"tables": tables()}},
    }


def datapackage(snap: Snapshot, resources: list[tuple[str, str, list[str], dict[str, str]]]) -> dict[str, Any]:
    """A Frictionless data package: (name, path, columns, column types) of each CSV resource."""
    described = tables()
    return {
        "profile": "tabular-data-package",
        "name": "irkb",
        "title": TITLE,
        "description": DISCLAIMER,
        "version": snap.data_version[:12],
        "created": snap.generated_at,
        "licenses": [{"name": LICENSE, "path": LICENSE_URL, "title": "Creative Commons Attribution 4.0"}],
        "resources": [
            {
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "encoding": "utf-8",
                "description": described.get(name, {}).get("description", ""),
                "schema": {
                    "fields": [
                        {"name": c, "type": types.get(c, "string"), "description": described.get(name, {}).get("columns", {}).get(c, "")} for c in columns
                    ],
                    "primaryKey": ["id"] if "id" in columns else [],
                },
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
            }
            for name, path, columns, types in resources
        ],
    }


def frictionless_types(kind: str) -> dict[str, str]:
    """Column -> Frictionless field type of a kind's CSV, from its JSON Schema (lists and objects are JSON cells)."""
    from ..model.schema import schema_for

    schema = schema_for(kind)
    defs = schema.get("$defs", {})
    out = {}
    for name, prop in schema["properties"].items():
        options = prop.get("anyOf") or [prop]
        kinds = set()
        for option in options:
            if "$ref" in option:
                option = defs.get(str(option["$ref"]).rsplit("/", 1)[-1], {})
            if option.get("type") == "string" and option.get("format") == "date":
                kinds.add("date")
            elif option.get("type") != "null":
                kinds.add(
                    {"array": "array", "object": "object", "integer": "integer", "number": "number", "boolean": "boolean"}.get(
                        str(option.get("type")), "string"
                    )
                )
        out[name] = kinds.pop() if len(kinds) == 1 else "string"
    out["record_type"] = "string"
    return out
