"""The record kinds of irkb, declared once: every module that needs a kind's folder, plural,
envelope key, table or heading reads it here.

Kept free of heavy imports (no pydantic, no Typer): the command line's fast route, the catalog
and the exports all start from this table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

SCHEMA_VERSION = "1.0"
"""Version of the record format: the JSON Schemas' ``x-irkb-schema-version``, the exports' and
``validate -f json``'s ``schema_version`` (read here, without importing the models)."""


class Kind(NamedTuple):
    """One record kind and every name it goes by."""

    name: str  # the kind itself: 'access-route' (also record_type in mixed output)
    folder: str  # data/<folder>/ and the plural on the command line: 'access-routes'
    key: str  # key of its array in the JSON envelope, and its SQLite table: 'access_routes'
    heading: str  # title in Markdown: 'Access routes'
    model: str  # name of its pydantic model in irkb.model: 'AccessRoute'


KINDS: tuple[Kind, ...] = (
    Kind("procedure", "procedures", "procedures", "Procedures", "Procedure"),
    Kind("modality", "modalities", "modalities", "Modalities", "Modality"),
    Kind("access-route", "access-routes", "access_routes", "Access routes", "AccessRoute"),
    Kind("complication", "complications", "complications", "Complications", "Complication"),
    Kind("source", "sources", "sources", "Sources", "Source"),
)
"""Every kind, in the order kinds are scanned, listed and exported."""

NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
BY_FOLDER: dict[str, Kind] = {k.folder: k for k in KINDS}
BY_KEY: dict[str, Kind] = {k.key: k for k in KINDS}

ALIASES: dict[str, str] = {**{k.name: k.name for k in KINDS}, **{k.folder: k.name for k in KINDS}, "routes": "access-route"}
"""What a person may type for a kind (singular, plural, 'routes') -> the kind's name."""

# The command line's closed choices, made from the table (Typer needs enum classes).
KindName = StrEnum("KindName", {k.name.upper().replace("-", "_"): k.name for k in KINDS})  # type: ignore[misc]
KindName.__doc__ = "A record kind."
KindFolder = StrEnum("KindFolder", {k.folder.upper().replace("-", "_"): k.folder for k in KINDS})  # type: ignore[misc]
KindFolder.__doc__ = "A record kind, in the plural (what `irkb list` lists)."


def folder(kind: str) -> str:
    """``access-route`` -> ``access-routes``."""
    return BY_NAME[kind].folder


def key(kind: str) -> str:
    """``access-route`` -> ``access_routes``."""
    return BY_NAME[kind].key
