"""Machine formats and plain tables: JSON, JSONL, CSV, YAML, tab-separated lines and Markdown tables.

- JSON and YAML carry values exactly (never styled, never escaped beyond their own syntax).
- CSV is lossless: a list or object cell is compact JSON (``[]`` when empty) in every row and
  column; a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or
  ``'`` gets one leading ``'`` so a spreadsheet never runs it as a formula (a reader strips one
  leading ``'`` to get the value back).
- Plain lines and Markdown are for people: control characters escaped, one value never splits a
  line, HTML and Markdown syntax in the data escaped.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from .. import jsonio
from ..text import md, one_line
from ..vocab import Format

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def to_json(value: Any, indent: int | None = 2) -> str:
    """Deterministic JSON text (UTF-8 kept as is)."""
    return jsonio.dumps(value, indent=indent is not None)


def csv_cell(value: Any) -> str:
    """One CSV cell: text as is (formula-safe), numbers and booleans as JSON, lists and objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return jsonio.dumps(value, indent=False)
    return jsonio.dumps(value, indent=False, text_fallback=True)


def csv_lines(rows: Iterable[dict[str, Any]], header: Sequence[str]) -> Iterator[str]:
    """RFC 4180 CSV of rows (dicts), cells made by ``csv_cell``: the header line, then a line per row."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def taken() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield taken()
    for row in rows:
        writer.writerow([csv_cell(row.get(k)) for k in header])
        yield taken()


def csv_text(rows: Sequence[dict[str, Any]], header: Sequence[str]) -> str:
    """``csv_lines`` as one text."""
    return "".join(csv_lines(rows, header))


def read_csv_cell(text: str, json_cell: bool) -> Any:
    """The value of a cell ``csv_cell`` wrote (``json_cell``: the column holds lists, objects or numbers)."""
    if text == "":
        return None
    if json_cell:
        return jsonio.loads(text)
    return text[1:] if text.startswith("'") else text


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.allow_unicode = True
    yaml.width = 100
    return yaml


def yaml_text(value: Any) -> str:
    """Block-style YAML, keys in the given order."""
    buffer = io.StringIO()
    _yaml().dump(value, buffer)
    return buffer.getvalue()


def yaml_items(items: Iterable[Any]) -> Iterator[str]:
    """Each item as an entry of a block sequence (``- ...``), as ``yaml_text`` writes a list's
    entries: the items of a list given one at a time, so the list need never be held whole."""
    yaml = _yaml()
    for item in items:
        buffer = io.StringIO()
        yaml.dump([item], buffer)
        yield buffer.getvalue()


def docs_json(texts: Sequence[str]) -> str:
    """A JSON array from records already serialised with indent 2 (as the catalog stores them).

    Equal to ``jsonio.dumps(list_of_records)``, without parsing the records again.
    """
    return "".join(docs_json_chunks([texts]))


def docs_json_chunks(pages: Iterable[Sequence[str]]) -> Iterator[str]:
    """``docs_json`` of the texts of every page, a page at a time."""
    yield from json_array_chunks(pages)
    yield "\n"


def json_array_chunks(pages: Iterable[Sequence[str]], depth: int = 0) -> Iterator[str]:
    """A JSON array, as ``to_json`` indents it ``depth`` levels deep, of texts ``to_json`` wrote at
    the top level, a page at a time: each line of an item gains the indent of its new level."""
    outer = "\n" + "  " * depth
    inner = outer + "  "
    first = True
    for texts in pages:
        if texts:
            yield ("[" if first else ",") + inner + ("," + inner).join(t.replace("\n", inner) for t in texts)
            first = False
    yield "[]" if first else outer + "]"


class Column(NamedTuple):
    """A summary column: header, how to get the cell text from a row, whether it is long text."""

    header: str
    get: Callable[[Any], str]
    wrap: bool = False


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
            Column("name", lambda r: r["name"], True),
            Column("category", lambda r: r["category"]),
            Column("system", lambda r: r["system"]),
            Column("guidance", guidance_cell, True),
        ]
    if kind == "modality":
        return [
            Column("id", lambda r: r["id"]),
            Column("name", lambda r: r["name"], True),
            Column("speed", lambda r: r["speed"]),
            Column("radiation", lambda r: "yes" if r["ionising_radiation"] else "no"),
            Column("bedside", lambda r: "yes" if r["bedside"] else "no"),
            Column("abbreviations", lambda r: ", ".join(a["text"] for a in r["aliases"] if a["kind"] == "abbreviation"), True),
        ]
    if kind == "access-route":
        return [Column("id", lambda r: r["id"]), Column("name", lambda r: r["name"], True), Column("kind", lambda r: r["kind"])]
    if kind == "complication":
        return [Column("id", lambda r: r["id"]), Column("name", lambda r: r["name"], True), Column("group", lambda r: r["group"])]
    return [
        Column("id", lambda r: r["id"]),
        Column("kind", lambda r: r["kind"]),
        Column("year", lambda r: str(r["year"] or "")),
        Column("title", lambda r: r["title"], True),
    ]


def tsv(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    """Plain output for a pipe: one row per line, tab-separated, no header, no decoration."""
    return "".join(tsv_lines(rows, columns))


def tsv_lines(rows: Iterable[Any], columns: Sequence[Column]) -> Iterator[str]:
    """``tsv``, a line (ending in a newline) at a time."""
    for r in rows:
        yield "\t".join(one_line(c.get(r)) for c in columns) + "\n"


def markdown_lines(rows: Iterable[Any], columns: Sequence[Column]) -> Iterator[str]:
    """The lines (each ending in a newline) of a GitHub-flavoured Markdown table, data escaped: no
    HTML, no Markdown syntax from a value. Rows are read one at a time."""
    yield "| " + " | ".join(c.header for c in columns) + " |\n"
    yield "|" + "|".join("---" for _ in columns) + "|\n"
    for r in rows:
        yield "| " + " | ".join(md(c.get(r)) for c in columns) + " |\n"


def markdown_table(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    """``markdown_lines`` as one text."""
    return "".join(markdown_lines(rows, columns))


def records_text(docs: Sequence[dict[str, Any]], fmt: Format, *, kind: str = "procedure", mixed: bool = False) -> str:
    """Records (documents) in a machine format (json, jsonl, csv, yaml) or as Markdown or plain summary lines."""
    return "".join(records_chunks(docs, fmt, kind=kind, mixed=mixed))


def records_chunks(docs: Iterable[dict[str, Any]], fmt: Format, *, kind: str = "procedure", mixed: bool = False) -> Iterator[str]:
    """``records_text``, a record at a time: the records are read as they are written."""

    def field_names() -> list[str]:
        from ..model import field_order

        return field_order(kind)

    if fmt == Format.MARKDOWN:
        yield from markdown_lines(docs, summary_columns(kind))
    elif fmt in DATA_FORMATS:
        yield from data_chunks(({"record_type": kind, **d} for d in docs) if mixed else docs, fmt, field_names)
    else:
        yield from tsv_lines(docs, summary_columns(kind))


DATA_FORMATS = (Format.JSON, Format.JSONL, Format.YAML, Format.CSV)
"""The formats scripts read, which ``data_chunks`` writes."""


def data_chunks(rows: Iterable[dict[str, Any]], fmt: Format, csv_header: Callable[[], Sequence[str]]) -> Iterator[str]:
    """A list of rows (dicts) as JSON, JSONL, YAML or CSV, a row at a time, exactly as the whole
    list would be written (``[]`` for none). ``csv_header`` gives the CSV columns."""
    if fmt == Format.JSON:
        yield from docs_json_chunks([to_json(r)] for r in rows)
    elif fmt == Format.JSONL:
        yield from (to_json(r, indent=None) + "\n" for r in rows)
    elif fmt == Format.YAML:
        empty = True
        for item in yaml_items(rows):
            empty = False
            yield item
        if empty:
            yield "[]\n"
    elif fmt == Format.CSV:
        yield from csv_lines(rows, csv_header())
    else:
        raise ValueError(f"{fmt} is not a data format")
