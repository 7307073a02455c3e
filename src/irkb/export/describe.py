"""What the exported tables and columns mean, for the tools that read them: Datasette's
``metadata.json`` beside a SQLite export, and a Frictionless ``datapackage.json`` beside CSV files.

Record tables are described from the models (``Field(description=...)``, the same text as the JSON
Schemas and the ``irkb new`` template); a link table's columns from the model its rows come from
(``_LINK_TABLES``), so no description is written twice.
"""

from __future__ import annotations

from typing import Any

from ..index.tables import KEY_FIGURE_FIELDS, LINK_TABLES, RATE, link_columns
from ..kinds import KINDS, NAMES
from .snapshot import DISCLAIMER, Snapshot

TITLE = "irkb: a cited knowledge base of image-guided (interventional radiology) procedures"
LICENSE = "CC-BY-4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "irkb"

# Columns that only link rows together; every other column of a link table is a model field.
_LINKAGE = {
    "procedure_id": "Procedure (procedures.id).",
    "access_route_id": "Access route (access_routes.id).",
    "record_id": "Id of the record in its kind's table.",
    "position": "Order in the record.",
    "source_id": "Source (sources.id).",
}
# Link table -> (description, the model its rows come from, column -> that model's field).
_LINK_TABLES: dict[str, tuple[str, str, dict[str, str]]] = {
    "procedure_modalities": ("Guidance: one row per modality a procedure uses.", "GuidanceEntry", {"modality_id": "modality"}),
    "procedure_access_routes": ("Access routes a procedure uses, one row each.", "Procedure", {"access_route_id": "access_routes"}),
    "complication_figures": (
        "Complication figures of procedures and access routes, one row per figure.",
        "ComplicationFigure",
        {"complication_id": "complication"},
    ),
    "outcome_figures": ("Outcome figures (technical success, patency, diagnostic yield ...), one row per figure.", "Outcome", {}),
    "key_figures": ("Other cited quantities (sizes, times, doses, cut-offs and targets).", "Measure", {}),
    "aliases": ("Other names and abbreviations of every record.", "Alias", {}),
    "record_sources": ("The sources each record draws on.", "Procedure", {"source_id": "sources"}),
}
assert set(_LINK_TABLES) == set(LINK_TABLES), "every link table is described"


def _text(model: Any, name: str) -> str:
    return " ".join((model.model_fields[name].description or "").split())


def _link_column(table: str, column: str) -> str:
    """What a link-table column means: the description of the model field it holds."""
    from ..model import fields as f
    from ..model import records as r

    _, model_name, renames = _LINK_TABLES[table]
    if column in renames:
        return _text(getattr(f, model_name, None) or getattr(r, model_name), renames[column])
    if column == "record_type":
        return "Kind of the record: " + ", ".join(NAMES) + "."
    if column == "field":
        return "The record's field the figure is in: " + ", ".join(KEY_FIGURE_FIELDS) + "."
    if column in _LINKAGE:
        either = table == "complication_figures" and column in ("procedure_id", "access_route_id")
        return _LINKAGE[column] + (" Null when the figure belongs to the other kind." if either else "")
    if column.startswith("comparator_"):
        rest = column.removeprefix("comparator_")
        if rest in RATE:
            text = _text(f.Rate, rest)
            return "The other arm's figure: " + text[:1].lower() + text[1:]
        return _text(f.Comparator, rest)
    if column in RATE and model_name != "Measure":
        return _text(f.Rate, column)
    return _text(getattr(f, model_name), column)


def tables() -> dict[str, dict[str, Any]]:
    """Table -> {description, columns: {column: description}} for every public table."""
    from ..model import RECORD_TYPES, field_order

    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        model = RECORD_TYPES[kind.name]
        columns = {name: " ".join((model.model_fields[name].description or "").split()) for name in field_order(kind.name)}
        columns["alias_text"] = "The aliases' texts joined with '; ' (searched by full text)."
        out[kind.key] = {"description": " ".join((model.__doc__ or "").split()), "columns": columns}
    for table, (description, _, _) in _LINK_TABLES.items():
        out[table] = {"description": description, "columns": {c: _link_column(table, c) for c in link_columns(table)}}
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


_FRICTIONLESS = {"array": "array", "object": "object", "integer": "integer", "number": "number", "boolean": "boolean", "date": "date"}


def frictionless_types(kind: str) -> dict[str, str]:
    """Column -> Frictionless field type of a kind's CSV, from its JSON Schema (lists and objects are JSON cells)."""
    from ..model.schema import property_types

    out = {}
    for name, types in property_types(kind).items():
        kinds = {_FRICTIONLESS.get(t, "string") for t in types}
        out[name] = kinds.pop() if len(kinds) == 1 else "string"
    out["record_type"] = "string"
    return out
