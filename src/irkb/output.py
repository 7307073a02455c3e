"""Machine and plain-text output: one ``Format`` enum and a registry of emitters.

Rich rendering (tables, panels) lives in ``render`` and is imported only for ``table`` output on a
terminal, so JSON to a pipe never pays for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .serialise import flat_value, to_json

if TYPE_CHECKING:
    from .kb import KnowledgeBase
    from .models import Record


class Format(StrEnum):
    """Output formats of the read commands."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    YAML = "yaml"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class Column:
    """A summary column: header and how to get the cell from a row object."""

    header: str
    get: Callable[[Any], Any]


def _guidance(kb: KnowledgeBase | None) -> Callable[[Any], str]:
    def cell(p: Any) -> str:
        parts = []
        for g in p.guidance:
            parts.append(g.modality if g.role == "primary" else f"{g.modality} ({'alt' if g.role == 'alternative' else g.role})")
        return ", ".join(parts)

    return cell


def summary_columns(kind: str, kb: KnowledgeBase | None = None) -> list[Column]:
    """The columns a person wants in a list of records of ``kind``."""
    if kind == "procedure":
        return [
            Column("id", lambda r: r.id),
            Column("name", lambda r: r.name),
            Column("category", lambda r: r.category),
            Column("system", lambda r: r.system),
            Column("guidance", _guidance(kb)),
        ]
    if kind == "modality":
        return [
            Column("id", lambda r: r.id),
            Column("name", lambda r: r.name),
            Column("speed", lambda r: r.speed),
            Column("radiation", lambda r: "yes" if r.ionising_radiation else "no"),
            Column("bedside", lambda r: "yes" if r.bedside else "no"),
            Column("abbreviations", lambda r: ", ".join(a.text for a in r.aliases if a.kind == "abbreviation")),
        ]
    if kind == "access-route":
        return [Column("id", lambda r: r.id), Column("name", lambda r: r.name), Column("kind", lambda r: r.kind)]
    if kind == "complication":
        return [Column("id", lambda r: r.id), Column("name", lambda r: r.name), Column("group", lambda r: r.group)]
    return [
        Column("id", lambda r: r.id),
        Column("kind", lambda r: r.kind),
        Column("year", lambda r: r.year or ""),
        Column("title", lambda r: r.title),
    ]


def rows_text(rows: Sequence[Any], columns: Sequence[Column]) -> list[list[str]]:
    """Cells of each row as text."""
    return [[flat_value(c.get(r)) for c in columns] for r in rows]


def tsv(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    """Plain output for a pipe: one row per line, tab-separated, no header, no decoration."""
    lines = ["\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row) for row in rows_text(rows, columns)]
    return "\n".join(lines) + ("\n" if lines else "")


def markdown_table(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    """A GitHub-flavoured Markdown table."""

    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    out = ["| " + " | ".join(c.header for c in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(esc(cell) for cell in row) + " |" for row in rows_text(rows, columns)]
    return "\n".join(out) + "\n"


def csv_text(dicts: Sequence[dict[str, Any]], header: Sequence[str] | None = None) -> str:
    """RFC 4180 CSV of flat rows; every cell written as text."""
    buffer = io.StringIO()
    fields = list(header or (dicts[0].keys() if dicts else []))
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in dicts:
        writer.writerow({k: flat_value(row.get(k)) for k in fields})
    return buffer.getvalue()


def yaml_text(value: Any) -> str:
    """Block-style YAML, keys in the given order."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.allow_unicode = True
    yaml.width = 100
    buffer = io.StringIO()
    yaml.dump(value, buffer)
    return buffer.getvalue()


def records_text(records: Sequence[Record], fmt: Format, *, mixed: bool = False, kb: KnowledgeBase | None = None, kind: str = "procedure") -> str:
    """Records in a machine format (json, jsonl, csv, yaml) or markdown / plain table text."""
    from .serialise import flat_record, record_dict

    if fmt == Format.JSON:
        return to_json([record_dict(r, record_type=mixed) for r in records]) + "\n"
    if fmt == Format.JSONL:
        return "".join(to_json(record_dict(r, record_type=mixed), indent=None) + "\n" for r in records)
    if fmt == Format.YAML:
        return yaml_text([record_dict(r, record_type=mixed) for r in records]) if records else "[]\n"
    if fmt == Format.CSV:
        if mixed:
            return csv_text([{"record_type": r.record_type, "id": r.id} for r in records], ["record_type", "id"])
        from .models import RECORD_TYPES
        from .serialise import field_order

        return csv_text([flat_record(r) for r in records], field_order(RECORD_TYPES[kind]))
    columns = summary_columns(kind, kb)
    if fmt == Format.MARKDOWN:
        return markdown_table(records, columns)
    return tsv(records, columns)


def cell_text(record: Record, name: str) -> str:
    """A short text of one field for side-by-side comparison."""
    value = getattr(record, name, None)
    if name == "guidance":
        return "\n".join(f"{g.modality} ({g.role})" for g in value or [])
    if name in ("complications", "outcomes"):
        lines = []
        for f in value or []:
            label = f.complication if hasattr(f, "complication") else f.measure
            lines.append(f"{label}: {f.rate.display()} [{f.rate_kind}; {f.source}]")
        return "\n".join(lines)
    if name in ("sheath_size", "time_to_ambulation", "key_figures"):
        return "\n".join(f"{m.label + ': ' if m.label else ''}{m.display()} [{m.source}]" for m in value or [])
    if name == "aliases":
        return ", ".join(a.text for a in value or [])
    if name == "alternatives":
        return "\n".join(str(a.procedure or a.name) for a in value or [])
    if isinstance(value, list):
        return "\n".join(v if isinstance(v, str) else getattr(v, "text", None) or flat_value(v) for v in value)
    if name == "codes" and value is not None and not (value.mesh or value.radlex):
        return ""
    if value is not None and hasattr(value, "model_dump"):
        return flat_value(value.model_dump(mode="json"))
    return flat_value(value)


def plain_record(record: Record) -> str:
    """A record as plain text for a pipe: one 'field: value' line per filled field, lists indented."""
    from .serialise import field_order

    lines = []
    for name in field_order(type(record)):
        text = cell_text(record, name)
        if not text:
            continue
        if "\n" in text or isinstance(getattr(record, name), list):
            lines.append(f"{name}:")
            lines += [f"  - {line}" for line in text.split("\n")]
        else:
            lines.append(f"{name}: {text}")
    return "\n".join(lines) + "\n"
