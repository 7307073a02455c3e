"""irkb export: every format round-trips, output is reproducible, files are written atomically; JSON Schemas hold for shipped data."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from .conftest import MINI_KB, ROOT, Run

KB = ("--data-dir", str(MINI_KB))
KINDS = ("procedure", "modality", "access-route", "complication", "source")
ARRAYS = {"procedure": "procedures", "modality": "modalities", "access-route": "access_routes", "complication": "complications", "source": "sources"}
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _json(run: Run, *kb: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    result = run(*kb, "export", "--format", "json", *extra)
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def _field_order(kind: str) -> list[str]:
    from irkb.model import RECORD_TYPES, field_order

    return field_order(RECORD_TYPES[kind])


# --------------------------------------------------------------------------- json


def test_json_envelope_shape_order_and_records(run: Run) -> None:
    data = _json(run, *KB)
    assert list(data) == ["schema_version", "data_version", "generated_at", "count", "counts", *ARRAYS.values()]
    assert data["generated_at"] == "2023-11-14T22:13:20Z"
    assert data["counts"] == {"procedure": 9, "modality": 6, "access-route": 3, "complication": 4, "source": 2}
    assert data["count"] == 24
    assert isinstance(data["data_version"], str) and len(data["data_version"]) == 64
    for kind, key in ARRAYS.items():
        records = data[key]
        assert isinstance(records, list)
        ids = [r["id"] for r in records]
        assert ids == sorted(ids), f"{key} sorted by id"
        for record in records:
            assert list(record) == _field_order(kind), "every field, in canonical order"
    # the same records, field for field, as the read commands give
    listed = json.loads(run(*KB, "list", "procedures", "-f", "json").stdout)
    assert sorted(listed, key=lambda r: r["id"]) == data["procedures"]


def test_json_kind_narrows_to_one_kind(run: Run) -> None:
    data = _json(run, *KB, extra=("--kind", "modality"))
    full = _json(run, *KB)
    assert "modalities" in data and "procedures" not in data and "sources" not in data
    assert data["counts"] == {"modality": 6} and data["count"] == 6
    assert data["modalities"] == full["modalities"]
    assert data["data_version"] == full["data_version"], "the data version is the whole knowledge base's"


def test_exports_are_byte_identical_and_data_version_ignores_mtimes_and_location(run: Run, kb_dir: Path, tmp_path: Path) -> None:
    first = run("--data-dir", str(kb_dir), "export", "-f", "json").stdout
    assert run("--data-dir", str(kb_dir), "export", "-f", "json").stdout == first
    for path in kb_dir.rglob("*.yaml"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert run("--data-dir", str(kb_dir), "export", "-f", "json").stdout == first, "mtimes do not matter"
    elsewhere = tmp_path / "elsewhere" / "kb"
    shutil.copytree(kb_dir, elsewhere)
    assert run("--data-dir", str(elsewhere), "export", "-f", "json").stdout == first, "nor does where the data lives"
    for fmt in ("jsonl", "csv", "yaml", "markdown"):
        a = run("--data-dir", str(kb_dir), "export", "-f", fmt).stdout
        assert a and a == run("--data-dir", str(elsewhere), "export", "-f", fmt).stdout, fmt


def test_data_version_changes_with_a_value_not_with_layout(run: Run, kb_dir: Path) -> None:
    before = _json(run, "--data-dir", str(kb_dir))["data_version"]
    tips = kb_dir / "procedures" / "tips.yaml"
    tips.write_text("# a comment changes no value\n" + tips.read_text().replace("purpose: [therapeutic]", "purpose:\n  - therapeutic"))
    assert _json(run, "--data-dir", str(kb_dir))["data_version"] == before
    tips.write_text(tips.read_text().replace("test pearl", "another pearl"))
    assert _json(run, "--data-dir", str(kb_dir))["data_version"] != before


def test_generated_at_is_now_without_source_date_epoch(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    stamp = _json(run, *KB)["generated_at"]
    assert isinstance(stamp, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert stamp != "2023-11-14T22:13:20Z"


def test_bad_source_date_epoch_is_a_usage_error(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = run(*KB, "export", "-f", "json")
    assert result.exit_code == 2 and "SOURCE_DATE_EPOCH" in result.stderr and result.stdout == ""


# --------------------------------------------------------------------------- jsonl, csv, yaml, markdown


def test_jsonl_one_record_per_line_with_record_type_first(run: Run) -> None:
    result = run(*KB, "export", "-f", "jsonl")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 24
    assert all(next(iter(r)) == "record_type" for r in records)
    assert {r["record_type"] for r in records} == set(KINDS)
    envelope = _json(run, *KB)
    for kind, key in ARRAYS.items():
        assert [{k: v for k, v in r.items() if k != "record_type"} for r in records if r["record_type"] == kind] == envelope[key]
    only = run(*KB, "export", "-f", "jsonl", "--kind", "source").stdout.splitlines()
    assert [json.loads(line)["id"] for line in only] == ["test-guideline", "test-study"]


def test_csv_one_kind_flat_rows_rfc4180(run: Run, kb_dir: Path) -> None:
    tips = kb_dir / "procedures" / "tips.yaml"
    tricky = 'He said "stop, now", then\nleft'
    tips.write_text(tips.read_text().replace("summary: Test summary of Transjugular intrahepatic portosystemic shunt.", f"summary: {json.dumps(tricky)}"))
    result = run("--data-dir", str(kb_dir), "export", "-f", "csv")
    assert result.exit_code == 0, result
    assert "\r\n" in result.stdout, "RFC 4180 line ends"
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    header, body = rows[0], rows[1:]
    assert header == _field_order("procedure")
    assert len(body) == 9 and all(len(r) == len(header) for r in body)
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert by_id["tips"]["summary"] == tricky, "quotes, commas and newlines survive"
    assert [a["text"] for a in json.loads(by_id["tips"]["aliases"])] == ["TIPS", "TIPSS"], "lists and objects are JSON"
    assert json.loads(by_id["vertebroplasty"]["purpose"]) == ["therapeutic", "palliative"]
    assert by_id["tips"]["complications"] == "[]", "an empty list is [] in every row and column"
    guidance = json.loads(by_id["vertebroplasty"]["guidance"])
    assert guidance[1]["modality"] == "ct" and guidance[1]["role"] == "adjunct"
    modalities = list(csv.DictReader(io.StringIO(run(*KB, "export", "-f", "csv", "--kind", "modality").stdout)))
    assert [m["id"] for m in modalities] == ["cbct", "ct", "ct-fluoroscopy", "fluoroscopy", "mri", "ultrasound"]
    assert {m["ionising_radiation"] for m in modalities} == {"true", "false"}


def test_yaml_is_the_json_envelope(run: Run) -> None:
    result = run(*KB, "export", "-f", "yaml")
    assert result.exit_code == 0, result
    assert YAML(typ="safe").load(result.stdout) == _json(run, *KB)


def test_markdown_tables_per_kind_with_disclaimer(run: Run) -> None:
    out = run(*KB, "export", "-f", "markdown").stdout
    assert out.startswith("# ")
    assert "not clinical decision support" in out
    for heading in ("## Procedures (9)", "## Modalities (6)", "## Access routes (3)", "## Complications (4)", "## Sources (2)"):
        assert heading in out
    assert "| id | name | category | system | guidance |" in out
    assert "| tips | Transjugular intrahepatic portosystemic shunt | shunt | hepatobiliary | fluoroscopy, ultrasound (adjunct) |" in out


def test_output_file_and_dash_for_stdout(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "kb.json"
    result = run(*KB, "export", "-f", "json", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert "24 records" in result.stderr
    assert target.read_text() == run(*KB, "export", "-f", "json", "-o", "-").stdout
    _no_leftovers(tmp_path, {"kb.json"})


@pytest.mark.parametrize("args", [("-f", "xml"), (), ("-f", "json", "-o", "/nonexistent-dir/x.json")], ids=["bad-format", "no-format", "missing-dir"])
def test_export_usage_errors(run: Run, args: tuple[str, ...]) -> None:
    result = run(*KB, "export", *args)
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- sqlite


def _sqlite(run: Run, tmp_path: Path, *kb: str) -> Path:
    target = tmp_path / "irkb.db"
    result = run(*(kb or KB), "export", "--format", "sqlite", "-o", str(target))
    assert result.exit_code == 0, result
    return target


def test_sqlite_needs_a_file(run: Run) -> None:
    for args in ((), ("-o", "-")):
        result = run(*KB, "export", "-f", "sqlite", *args)
        assert result.exit_code == 2 and "-o" in result.stderr and result.stdout == ""
    assert run(*KB, "export", "-f", "sqlite", "--kind", "procedure", "-o", "x.db").exit_code == 2


def test_sqlite_normalised_tables_round_trip(run: Run, tmp_path: Path) -> None:
    db = sqlite3.connect(_sqlite(run, tmp_path))
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    expected = {
        "procedures",
        "modalities",
        "access_routes",
        "complications",
        "sources",
        "procedure_modalities",
        "procedure_access_routes",
        "complication_figures",
        "outcome_figures",
        "aliases",
        "record_sources",
        "metadata",
    }
    assert expected <= tables
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    envelope = _json(run, *KB)
    for kind, table in ARRAYS.items():
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == envelope["counts"][kind]
    # scalar columns as values, nested ones as JSON text equal to the export's
    db.row_factory = sqlite3.Row
    tips = db.execute("SELECT * FROM procedures WHERE id = 'tips'").fetchone()
    doc = next(p for p in envelope["procedures"] if p["id"] == "tips")
    assert tips["name"] == doc["name"] and tips["category"] == "shunt" and tips["last_reviewed"] == "2026-01-01"
    assert json.loads(tips["guidance"]) == doc["guidance"] and json.loads(tips["aliases"]) == doc["aliases"]
    ct = db.execute("SELECT * FROM modalities WHERE id = 'ct'").fetchone()
    assert ct["ionising_radiation"] == 1 and ct["speed"] == "step-by-step"
    # link tables
    guidance = {tuple(r) for r in db.execute("SELECT procedure_id, modality_id, role, phases FROM procedure_modalities WHERE procedure_id = 'vertebroplasty'")}
    assert guidance == {("vertebroplasty", "fluoroscopy", "primary", '["targeting","monitoring"]'), ("vertebroplasty", "ct", "adjunct", '["planning"]')}
    figure = db.execute(
        "SELECT severity, severity_scale, percent, low, high, interval, rate_kind, population, source_id, locator "
        "FROM complication_figures WHERE procedure_id = 'ct-lung-biopsy' AND complication_id = 'pneumothorax'"
    ).fetchone()
    assert tuple(figure) == ("minor", "sir-legacy", 20.5, 18.0, 23.0, "ci95", "observed", "test", "test-study", "Table 2")
    assert db.execute("SELECT rate_kind, high FROM complication_figures WHERE procedure_id = 'vertebroplasty' AND complication_id = 'haemorrhage'").fetchone()[
        :
    ] == ("threshold", 4.0)
    assert db.execute("SELECT record_type, record_id, kind, ambiguous FROM aliases WHERE text = 'TIPSS'").fetchone()[:] == (
        "procedure",
        "tips",
        "abbreviation",
        0,
    )
    assert ("procedure", "tips", "test-guideline") in {tuple(r) for r in db.execute("SELECT record_type, record_id, source_id FROM record_sources")}
    assert ("tips", "common-femoral-artery") in {tuple(r) for r in db.execute("SELECT procedure_id, access_route_id FROM procedure_access_routes")}
    meta = db.execute("SELECT schema_version, data_version, generated_at FROM metadata").fetchall()
    assert [tuple(m) for m in meta] == [(envelope["schema_version"], envelope["data_version"], envelope["generated_at"])]


def test_sqlite_foreign_keys_hold_and_full_text_search_works(run: Run, tmp_path: Path) -> None:
    db = sqlite3.connect(_sqlite(run, tmp_path))
    links = {(r[2], r[3]) for r in db.execute("SELECT * FROM pragma_foreign_key_list('complication_figures')")}
    assert {("procedures", "procedure_id"), ("complications", "complication_id"), ("sources", "source_id")} <= links
    assert {r[2] for r in db.execute("SELECT * FROM pragma_foreign_key_list('procedure_modalities')")} == {"procedures", "modalities"}
    db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []

    def search(table: str, query: str) -> list[str]:
        sql = f"SELECT t.id FROM {table}_fts JOIN {table} t ON t.rowid = {table}_fts.rowid WHERE {table}_fts MATCH ? ORDER BY t.id"
        return [r[0] for r in db.execute(sql, (query,))]

    assert search("procedures", "TIPSS") == ["tips"], "aliases are searchable"
    assert search("procedures", "biopsy") == ["cbct-lung-biopsy", "ct-lung-biopsy", "mri-prostate-biopsy"], "names"
    assert search("procedures", "TIPS") == ["tips"], "an abbreviation is found as written (no stemming to 'tip')"
    assert search("procedures", "portosystemic") == ["tips"]
    assert search("complications", "septic") == ["sepsis"]
    assert search("sources", "cohort") == ["test-study"]


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="sqlite3 shell not installed")
def test_sqlite_opens_in_the_sqlite3_shell(run: Run, tmp_path: Path) -> None:
    target = _sqlite(run, tmp_path)
    query = "SELECT p.id FROM procedures_fts f JOIN procedures p ON p.rowid = f.rowid WHERE procedures_fts MATCH 'TIPSS'; SELECT count(*) FROM sqlite_master;"
    shell = subprocess.run(["sqlite3", str(target), query], capture_output=True, text=True, timeout=60)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines()[0] == "tips"


def test_sqlite_replaces_an_existing_file(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "irkb.db"
    target.write_text("not a database")
    assert run(*KB, "export", "-f", "sqlite", "-o", str(target)).exit_code == 0
    assert sqlite3.connect(target).execute("SELECT count(*) FROM procedures").fetchone()[0] == 9


# --------------------------------------------------------------------------- atomic writes


def _no_leftovers(directory: Path, keep: set[str]) -> None:
    assert {p.name for p in directory.iterdir() if p.name != "cache"} == keep, "no temporary or partial file left behind"


def test_failed_sqlite_export_leaves_the_old_file_untouched(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import irkb.export.sqlite

    target = tmp_path / "irkb.db"
    assert run(*KB, "export", "-f", "sqlite", "-o", str(target)).exit_code == 0
    before = target.read_bytes()

    def boom(path: object) -> None:
        raise RuntimeError("simulated failure halfway through")

    monkeypatch.setattr(irkb.export.sqlite, "_full_text", boom)
    result = run(*KB, "export", "-f", "sqlite", "-o", str(target))
    assert result.exit_code == 70 and "simulated failure" in result.stderr
    assert target.read_bytes() == before
    _no_leftovers(tmp_path, {"irkb.db", "irkb.metadata.json"})
    fresh = tmp_path / "fresh.db"
    assert run(*KB, "export", "-f", "sqlite", "-o", str(fresh)).exit_code == 70
    _no_leftovers(tmp_path, {"irkb.db", "irkb.metadata.json"})


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_failed_text_export_leaves_the_old_file_untouched(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    import irkb.atomic

    target = tmp_path / f"irkb.{fmt}"
    target.write_text("previous export\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(irkb.atomic.os, "fsync", disk_full)
    result = run(*KB, "export", "-f", fmt, "-o", str(target))
    assert result.exit_code == 70 and "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text() == "previous export\n"
    _no_leftovers(tmp_path, {target.name})


def test_progress_callback_counts_every_record(tmp_path: Path) -> None:
    from irkb.export import ExportFormat, export, snapshot
    from irkb.index.tables import PUBLIC_TABLES
    from irkb.kb import load

    catalog = load(MINI_KB).catalog
    snap = snapshot(catalog)
    from irkb.kinds import KINDS

    for fmt in ExportFormat:
        seen: list[tuple[int, int]] = []
        export(catalog, snap, fmt, tmp_path / f"out.{fmt.value}", progress=lambda done, total, seen=seen: seen.append((done, total)))  # type: ignore[misc]
        # csv holds one kind; sqlite is copied table by table; a data package is written kind by kind;
        # an Anki deck counts its notes and a bibliography its sources
        known = {ExportFormat.CSV: 9, ExportFormat.SQLITE: len(PUBLIC_TABLES), ExportFormat.DATAPACKAGE: len(KINDS), ExportFormat.JSON: 24}
        total = known.get(fmt, seen[-1][1] if seen else 0)
        assert total > 0 and seen == [(done, total) for done in range(1, total + 1)], fmt


def test_no_progress_when_stderr_is_not_a_terminal(run: Run) -> None:
    result = run(*KB, "export", "-f", "jsonl")
    assert result.exit_code == 0 and result.stderr == ""


# --------------------------------------------------------------------------- JSON Schema


def test_every_shipped_record_validates_against_its_json_schema() -> None:
    """Other tools validate irkb data with the published schemas: every shipped record must pass them."""
    import jsonschema

    from irkb.kb import load
    from irkb.model.schema import SCHEMA_BASE, file_name

    kb = load(ROOT / "data")
    checked = 0
    for kind in KINDS:
        schema = json.loads((ROOT / "schemas" / file_name(kind)).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"] == SCHEMA_BASE + file_name(kind) and "/schemas/1." in schema["$id"]
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        docs = kb.catalog.docs(kind)
        assert docs, f"no shipped {kind} records"
        for doc in docs:
            errors = sorted(validator.iter_errors(json.loads(json.dumps(doc))), key=lambda e: list(e.absolute_path))
            assert not errors, f"{kind} {doc['id']}: " + "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
            checked += 1
    assert checked == kb.count()


def test_exported_records_validate_against_the_schemas(run: Run) -> None:
    import jsonschema

    from irkb.model.schema import schema_for

    envelope = _json(run, *KB)
    for kind, key in ARRAYS.items():
        validator = jsonschema.Draft202012Validator(schema_for(kind))
        for record in envelope[key]:
            assert not list(validator.iter_errors(record)), (kind, record["id"])


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq not installed")
def test_json_export_round_trips_through_jq(tmp_path: Path) -> None:
    """A script's view: the export and `list -f json` are read by jq as they are."""
    import subprocess
    import sys

    out = tmp_path / "kb.json"
    irkb = [sys.executable, "-m", "irkb", "--data-dir", str(MINI_KB)]
    subprocess.run([*irkb, "export", "--format", "json", "-o", str(out)], check=True, capture_output=True)
    count = subprocess.run(["jq", ".procedures | length", str(out)], check=True, capture_output=True, text=True).stdout.strip()
    assert int(count) == len(list((MINI_KB / "procedures").glob("*.yaml")))
    listed = subprocess.run([*irkb, "list", "--modality", "ct", "--no-live", "-f", "json"], check=True, capture_output=True, text=True).stdout
    ids = subprocess.run(["jq", "-r", ".[].id"], input=listed, check=True, capture_output=True, text=True).stdout.split()
    assert ids == ["ct-lung-biopsy"]


def test_streamed_exports_equal_the_records_rendered_whole(tmp_path: Path) -> None:
    """JSON, JSONL, CSV, YAML and Markdown are written a record at a time from the stored texts;
    they are exactly what rendering the parsed records in one go gives."""
    from irkb.export import snapshot
    from irkb.export.snapshot import DISCLAIMER, envelope
    from irkb.export.text import render_text
    from irkb.kb import load
    from irkb.kinds import BY_NAME
    from irkb.model import field_order
    from irkb.view.text import csv_text, markdown_table, summary_columns, to_json, yaml_text
    from irkb.vocab import ExportFormat

    from .conftest import ROOT

    no_complications = tmp_path / "kb"
    shutil.copytree(MINI_KB, no_complications)
    for path in (no_complications / "complications").glob("*.yaml"):
        path.unlink()  # an empty kind: an empty array, a header-only CSV
    for data in (MINI_KB, ROOT / "data", no_complications):
        catalog = load(data).catalog
        for kinds in (None, ["modality"], ["procedure"], ["complication"]):
            snap = snapshot(catalog, kinds, environ={"SOURCE_DATE_EPOCH": "0"})
            assert render_text(snap, ExportFormat.JSON) == to_json(envelope(snap)) + "\n"
            lines = [to_json({"record_type": kind, **doc}, indent=None) + "\n" for kind, docs in snap.docs.items() for doc in docs]
            assert render_text(snap, ExportFormat.JSONL) == "".join(lines)
            if data != ROOT / "data":  # ruamel's pure-Python emitter: seconds per run on the shipped data
                assert render_text(snap, ExportFormat.YAML) == yaml_text(envelope(snap))
            tables = [(f"## {BY_NAME[k].heading} ({len(d)})\n", markdown_table(d, summary_columns(k)) if d else "_None._\n") for k, d in snap.docs.items()]
            title = f"{snap.count} records · schema version {snap.schema_version} · data version `{snap.data_version}` · generated {snap.generated_at}\n"
            parts = ["# irkb knowledge base\n", f"> {DISCLAIMER}\n", title, *(part for table in tables for part in table)]
            assert render_text(snap, ExportFormat.MARKDOWN) == "\n".join(parts)
            kind = (kinds or ["procedure"])[0]
            names = list(snap.docs[kind][0]) if snap.docs[kind] else field_order(kind)
            assert render_text(snap, ExportFormat.CSV, csv_kind=kind) == csv_text(snap.docs[kind], names), kind


def test_an_export_reads_one_state_while_another_process_refreshes(kb_dir: Path) -> None:
    """The data version and the records come from the same state of the catalog, though the
    records are read a page at a time and another irkb commits an edit in between."""
    import subprocess
    import sys

    from irkb.export import snapshot
    from irkb.export.text import render_text
    from irkb.kb import load
    from irkb.vocab import ExportFormat

    catalog = load(kb_dir).catalog
    tips = kb_dir / "procedures" / "tips.yaml"
    with catalog.db.reading():
        snap = snapshot(catalog)
        tips.write_text(tips.read_text().replace("name: Transjugular", "name: Edited transjugular"))
        refreshed = subprocess.run(
            [sys.executable, "-m", "irkb", "--data-dir", str(kb_dir), "show", "tips", "-f", "json"], capture_output=True, text=True, timeout=60
        )
        assert json.loads(refreshed.stdout)["name"].startswith("Edited"), refreshed.stderr  # committed meanwhile
        exported = json.loads(render_text(snap, ExportFormat.JSON))
    assert [p["name"] for p in exported["procedures"] if p["id"] == "tips"] == ["Transjugular intrahepatic portosystemic shunt"]


def test_listed_records_stream_as_the_whole_rendering_would() -> None:
    """``list`` writes its records a page at a time; every format is what rendering all the records
    at once gives, none and one record included."""
    from irkb.kb import load
    from irkb.model import field_order
    from irkb.view.text import csv_text, docs_json, docs_json_chunks, markdown_table, records_text, summary_columns, to_json, tsv, yaml_text
    from irkb.vocab import Format

    catalog = load(MINI_KB).catalog
    for kind in ("procedure", "source"):
        every = catalog.docs(kind)
        for docs in (every, every[:1], []):
            assert records_text(docs, Format.JSON, kind=kind) == to_json(docs) + "\n"
            assert records_text(docs, Format.YAML, kind=kind) == (yaml_text(docs) if docs else "[]\n")
            assert records_text(docs, Format.CSV, kind=kind) == csv_text(docs, field_order(kind))
            assert records_text(docs, Format.MARKDOWN, kind=kind) == markdown_table(docs, summary_columns(kind))
            assert records_text(docs, Format.TABLE, kind=kind) == tsv(docs, summary_columns(kind))  # plain lines, for a pipe
            assert records_text(docs, Format.JSONL, kind=kind) == "".join(to_json(d, indent=None) + "\n" for d in docs)
            texts = catalog.doc_texts(kind, [d["id"] for d in docs])
            assert "".join(docs_json_chunks([texts[:1], [], texts[1:]])) == docs_json(texts) == to_json(docs) + "\n"
