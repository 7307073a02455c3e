"""Machine and plain-text output: one ``Format`` enum and a registry of emitters.

Rich rendering (tables, panels) lives in ``render`` and is imported only for ``table`` output on a
terminal, so JSON to a pipe never pays for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .serialise import flat_value, to_json
from .vocab import Format


@dataclass(frozen=True)
class Column:
    """A summary column: header and how to get the cell from a row object."""

    header: str
    get: Callable[[Any], Any]


def guidance_cell(doc: dict[str, Any]) -> str:
    """Guidance in one cell: primary modalities plain, others with their role."""
    parts = []
    for g in doc.get("guidance") or []:
        role = g["role"]
        parts.append(g["modality"] if role == "primary" else f"{g['modality']} ({'alt' if role == 'alternative' else role})")
    return ", ".join(parts)


def summary_columns(kind: str) -> list[Column]:
    """The columns a person wants in a list of records (documents) of ``kind``."""
    if kind == "procedure":
        return [
            Column("id", lambda r: r["id"]),
            Column("name", lambda r: r["name"]),
            Column("category", lambda r: r["category"]),
            Column("system", lambda r: r["system"]),
            Column("guidance", guidance_cell),
        ]
    if kind == "modality":
        return [
            Column("id", lambda r: r["id"]),
            Column("name", lambda r: r["name"]),
            Column("speed", lambda r: r["speed"]),
            Column("radiation", lambda r: "yes" if r["ionising_radiation"] else "no"),
            Column("bedside", lambda r: "yes" if r["bedside"] else "no"),
            Column("abbreviations", lambda r: ", ".join(a["text"] for a in r["aliases"] if a["kind"] == "abbreviation")),
        ]
    if kind == "access-route":
        return [Column("id", lambda r: r["id"]), Column("name", lambda r: r["name"]), Column("kind", lambda r: r["kind"])]
    if kind == "complication":
        return [Column("id", lambda r: r["id"]), Column("name", lambda r: r["name"]), Column("group", lambda r: r["group"])]
    return [
        Column("id", lambda r: r["id"]),
        Column("kind", lambda r: r["kind"]),
        Column("year", lambda r: r["year"] or ""),
        Column("title", lambda r: r["title"]),
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


def docs_json(texts: Sequence[str]) -> str:
    """A JSON array from records already serialised with indent 2 (as the catalog stores them).

    Equal to ``json.dumps(list_of_records, indent=2)``, without parsing the records again.
    """
    if not texts:
        return "[]\n"
    return "[\n  " + ",\n  ".join(t.replace("\n", "\n  ") for t in texts) + "\n]\n"


def records_text(docs: Sequence[dict[str, Any]], fmt: Format, *, kind: str = "procedure", mixed: bool = False) -> str:
    """Records (documents) in a machine format (json, jsonl, csv, yaml) or markdown / plain table text."""

    def tagged(doc: dict[str, Any]) -> dict[str, Any]:
        return {"record_type": kind, **doc} if mixed else doc

    if fmt == Format.JSON:
        return to_json([tagged(d) for d in docs]) + "\n"
    if fmt == Format.JSONL:
        return "".join(to_json(tagged(d), indent=None) + "\n" for d in docs)
    if fmt == Format.YAML:
        return yaml_text([tagged(d) for d in docs]) if docs else "[]\n"
    if fmt == Format.CSV:
        header = list(docs[0]) if docs else _field_names(kind)
        return csv_text([flat_doc(d) for d in docs], header)
    columns = summary_columns(kind)
    if fmt == Format.MARKDOWN:
        return markdown_table(docs, columns)
    return tsv(docs, columns)


def _field_names(kind: str) -> list[str]:
    from .models import RECORD_TYPES
    from .serialise import field_order

    return field_order(RECORD_TYPES[kind])


def flat_doc(doc: dict[str, Any]) -> dict[str, str]:
    """One CSV row: aliases as their texts joined by '; ', lists of text joined by '; ', objects as compact JSON."""
    out = {}
    for key, value in doc.items():
        if key == "aliases":
            out[key] = "; ".join(a["text"] for a in value)
        else:
            out[key] = flat_value(value)
    return out


def cell_text(doc: dict[str, Any], name: str) -> str:
    """A short text of one field of a record document, for side-by-side and plain views."""
    from .serialise import rate_display

    value = doc.get(name)
    if name == "guidance":
        return "\n".join(f"{g['modality']} ({g['role']}{': ' + ', '.join(g['phases']) if g['phases'] else ''})" for g in value or [])
    if name in ("complications", "outcomes"):
        lines = []
        for f in value or []:
            label = f.get("complication") or f.get("measure")
            lines.append(f"{label}: {rate_display(f['rate'])} [{f['rate_kind']}; {f.get('source')}]")
        return "\n".join(lines)
    if name in ("sheath_size", "time_to_ambulation", "key_figures"):
        return "\n".join(f"{m['label'] + ': ' if m.get('label') else ''}{measure_display(m)} [{m.get('source')}]" for m in value or [])
    if name == "aliases":
        return ", ".join(a["text"] for a in value or [])
    if name == "alternatives":
        return "\n".join(str(a.get("procedure") or a.get("name")) + (f": {a['comparison']}" if a.get("comparison") else "") for a in value or [])
    if name == "codes":
        return "" if not value or not (value.get("mesh") or value.get("radlex")) else flat_value(value)
    if isinstance(value, list):
        return "\n".join(v if isinstance(v, str) else str(v["text"]) if isinstance(v, dict) and "text" in v else flat_value(v) for v in value)
    return flat_value(value)


def measure_display(m: dict[str, Any]) -> str:
    """A cited quantity as a person reads it, e.g. '6-7 Fr (typical)'."""

    def num(v: float) -> str:
        return f"{v:g}"

    if m.get("value") is not None:
        text = num(m["value"])
    elif m.get("low") is not None and m.get("high") is not None:
        text = f"{num(m['low'])}-{num(m['high'])}"
    elif m.get("high") is not None:
        text = f"≤{num(m['high'])}"
    else:
        text = f"≥{num(m.get('low') or 0)}"
    return f"{text} {m['unit']}" + (f" ({m['qualifier']})" if m.get("qualifier") else "")


def plain_record(doc: dict[str, Any]) -> str:
    """A record as plain text for a pipe: one 'field: value' line per filled field, lists indented."""
    lines = []
    for name, value in doc.items():
        text = cell_text(doc, name)
        if not text:
            continue
        if "\n" in text or isinstance(value, list):
            lines.append(f"{name}:")
            lines += [f"  - {line}" for line in text.split("\n")]
        else:
            lines.append(f"{name}: {text}")
    return "\n".join(lines) + "\n"
