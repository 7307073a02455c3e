"""Pydantic models of every record kind (the shape of the data) and the JSON Schemas made from them.

Importing this package imports pydantic: the fast read path never does.
"""

from .fields import (
    KEBAB,
    SCHEMA_VERSION,
    Alias,
    Alternative,
    CitedText,
    Codes,
    Comparator,
    ComplicationFigure,
    FigureBase,
    GuidanceEntry,
    Measure,
    Outcome,
    Rate,
)
from .order import field_order
from .records import RECORD_TYPES, AccessRoute, Complication, Modality, Procedure, Record, Source

__all__ = [
    "KEBAB",
    "RECORD_TYPES",
    "SCHEMA_VERSION",
    "AccessRoute",
    "Alias",
    "Alternative",
    "CitedText",
    "Codes",
    "Comparator",
    "Complication",
    "ComplicationFigure",
    "FigureBase",
    "GuidanceEntry",
    "Measure",
    "Modality",
    "Outcome",
    "Procedure",
    "Rate",
    "Record",
    "Source",
    "field_order",
]
