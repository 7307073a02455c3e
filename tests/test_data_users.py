"""Curators and data users: vocabularies to discover, validate limited to a curator's files,
lossless CSV, a bibliography, an Anki deck, Datasette metadata, a data package, project files."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import MINI_KB, ROOT, Run

KB = ("--data-dir", str(MINI_KB))


# --------------------------------------------------------------------------- vocab


def test_vocab_lists_every_vocabulary_with_descriptions(run: Run) -> None:
    rows = json.loads(run(*KB, "vocab", "-f", "json").stdout)
    names = {r["vocabulary"] for r in rows}
    expected = {
        "modalities",
        "access-routes",
        "complications",
        "measures",
        "categories",
        "systems",
        "roles",
        "phases",
        "rate-kinds",
        "severity-scales",
        "severity-grades",
        "per",
    }
    assert expected <= names
    assert all(r["description"] for r in rows)
    measures = json.loads(run(*KB, "vocab", "measures", "-f", "json").stdout)
    assert {"value": "technical-success", "description": measures[0]["description"]} in measures and all(m["description"] for m in measures)
    modalities = [r["value"] for r in json.loads(run(*KB, "vocab", "modalities", "-f", "json").stdout)]
    assert modalities == ["cbct", "ct", "ct-fluoroscopy", "fluoroscopy", "mri", "ultrasound"]
    grades = [r["value"] for r in json.loads(run(*KB, "vocab", "severity-grades", "-f", "json").stdout)]
    assert "sir-2017: life-threatening" in grades and "cirse-2017: 6" in grades
    bad = run(*KB, "vocab", "measure")
    assert bad.exit_code == 2 and "did you mean: measures" in bad.stderr


def test_the_template_points_to_vocab(run: Run, kb_dir: Path) -> None:
    run("--data-dir", str(kb_dir), "new", "procedure", "fresh-one")
    assert "irkb vocab" in (kb_dir / "procedures" / "fresh-one.yaml").read_text()


def test_new_bare_and_fmt_strip_template(run: Run, kb_dir: Path) -> None:
    assert run("--data-dir", str(kb_dir), "new", "procedure", "bare-one", "--bare").exit_code == 0
    bare = (kb_dir / "procedures" / "bare-one.yaml").read_text()
    assert [line for line in bare.splitlines() if line.startswith("#")] == ["# yaml-language-server: $schema=../../schemas/procedure.schema.json"]
    assert run("--data-dir", str(kb_dir), "new", "procedure", "full-one").exit_code == 0
    full = kb_dir / "procedures" / "full-one.yaml"
    full.write_text(full.read_text().replace("name: ''", "name: Full one\n# my own note stays"))
    assert run("--data-dir", str(kb_dir), "fmt", "--strip-template", str(full)).exit_code == 0
    comments = [line for line in full.read_text().splitlines() if line.startswith("#")]
    assert comments == ["# yaml-language-server: $schema=../../schemas/procedure.schema.json", "# my own note stays"]


# --------------------------------------------------------------------------- validate


def test_validate_paths_shows_only_those_files_but_checks_across_records(run: Run, kb_dir: Path) -> None:
    tips = kb_dir / "procedures" / "tips.yaml"
    tips.write_text(tips.read_text().replace("access_routes: [common-femoral-artery]", "access_routes: [no-such-route]"))
    kypho = kb_dir / "procedures" / "kyphoplasty.yaml"
    kypho.write_text(kypho.read_text().replace("category:", "categroy:"))
    result = run("--data-dir", str(kb_dir), "validate", str(tips), "-f", "json")
    problems = json.loads(result.stdout)["problems"]
    assert result.exit_code == 1 and problems and all(p["path"].endswith("tips.yaml") for p in problems)
    assert any(p["code"] == "unknown-reference" for p in problems), "cross-record checks still ran"
    errors_only = json.loads(run("--data-dir", str(kb_dir), "validate", "--errors-only", "-f", "json").stdout)["problems"]
    assert errors_only and {p["level"] for p in errors_only} == {"error"}
    folder = json.loads(run("--data-dir", str(kb_dir), "validate", str(kb_dir / "procedures"), "-f", "json").stdout)["problems"]
    assert {Path(p["path"]).name for p in folder if p["level"] == "error"} == {"tips.yaml", "kyphoplasty.yaml"}


def test_an_unquoted_pmid_does_not_cascade(run: Run, kb_dir: Path) -> None:
    study = kb_dir / "sources" / "test-study.yaml"
    study.write_text(study.read_text().replace("title:", "pmid: 12345\ntitle:", 1))
    problems = json.loads(run("--data-dir", str(kb_dir), "validate", "-f", "json").stdout)["problems"]
    assert [p["code"] for p in problems if p["level"] == "error"] == ["wrong-type"]
    assert "quotes" in problems[[p["code"] for p in problems].index("wrong-type")]["hint"]


def test_schema_and_validate_agree_on_types(tmp_path: Path) -> None:
    """What the schema rejects for its type, validate rejects too (a quoted number, a quoted boolean)."""
    import jsonschema

    from irkb.model.schema import schema_for

    record = {
        "id": "x",
        "name": "X",
        "kind": "arterial",
        "last_reviewed": "2026-01-01",
        "complications": [{"complication": "c", "rate": {"percent": "5"}, "source": "s"}],
    }
    schema_errors = list(jsonschema.Draft202012Validator(schema_for("access-route")).iter_errors(record))
    assert schema_errors
    from pydantic import ValidationError

    from irkb.model import RECORD_TYPES

    with pytest.raises(ValidationError):
        RECORD_TYPES["access-route"].model_validate(record)
    schema = json.dumps(schema_for("procedure"))
    assert "^[a-z0-9]+(-[a-z0-9]+)*$" in schema, "id patterns"
    assert '"maximum": 100' in schema and '"minimum": 0' in schema, "ranges"


def test_the_python_api_refuses_what_the_command_line_refuses() -> None:
    from irkb.errors import UsageError
    from irkb.kb import load
    from irkb.query import filter_procedures

    kb = load(MINI_KB)
    assert [p.id for p in filter_procedures(kb, category="embolization")] == [], "an American spelling is read as the British value"
    with pytest.raises(UsageError, match="did you mean"):
        filter_procedures(kb, category="embolisaton")
    with pytest.raises(UsageError, match="true or false"):
        filter_procedures(kb, live="no")
    with pytest.raises(UsageError, match="unknown filter"):
        filter_procedures(kb, modalty=["ct"])


# --------------------------------------------------------------------------- exports


def test_csv_round_trips(run: Run) -> None:
    from irkb.view.text import read_csv_cell

    for kind in ("procedure", "modality", "access-route", "complication", "source"):
        out = run(*KB, "export", "-f", "csv", "--kind", kind).stdout
        rows = list(csv.DictReader(io.StringIO(out)))
        from irkb.kinds import folder

        docs = {d["id"]: d for d in json.loads(run(*KB, "list", folder(kind), "-f", "json").stdout)}
        for row in rows:
            doc = docs[row["id"]]
            for name, value in doc.items():
                json_cell = not isinstance(value, str) and value is not None
                back = read_csv_cell(row[name], json_cell)
                assert back == value, (kind, row["id"], name)


def test_bibliography_exports(run: Run) -> None:
    bib = run(*KB, "export", "-f", "bibtex").stdout
    assert bib.count("@") == 2 and "@techreport{test-guideline," in bib and "@article{test-study," in bib
    items = json.loads(run(*KB, "export", "-f", "csl-json").stdout)
    assert [i["id"] for i in items] == ["test-guideline", "test-study"] and all(i["title"] for i in items)


def test_anki_deck_imports_and_keeps_note_ids_across_releases(run: Run, tmp_path: Path, kb_dir: Path) -> None:
    first = tmp_path / "one.apkg"
    assert run(*KB, "export", "-f", "anki", "-o", str(first)).exit_code == 0

    def notes(path: Path) -> dict[str, str]:
        with zipfile.ZipFile(path) as package:
            package.extract("collection.anki2", tmp_path / path.stem)
        db = sqlite3.connect(tmp_path / path.stem / "collection.anki2")
        return {guid: flds for guid, flds in db.execute("SELECT guid, flds FROM notes")}

    one = notes(first)
    assert one and all("\x1f" in f for f in one.values())
    assert any("test-study" in f or "test-guideline" in f for f in one.values()), "cards cite their source"
    pearl = kb_dir / "procedures" / "vertebroplasty.yaml"
    pearl.write_text(pearl.read_text().replace("name: Vertebroplasty", "name: Vertebroplasty renamed"))
    second = tmp_path / "two.apkg"
    assert run("--data-dir", str(kb_dir), "export", "-f", "anki", "-o", str(second)).exit_code == 0
    two = notes(second)
    assert set(two) == set(one), "a new release updates the same notes"
    assert any("renamed" in f for f in two.values())
    assert run(*KB, "export", "-f", "anki").exit_code == 2, "a package needs -o"


def test_sqlite_export_writes_datasette_metadata(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "kb.db"
    assert run(*KB, "export", "-f", "sqlite", "-o", str(target)).exit_code == 0
    meta = json.loads((tmp_path / "kb.metadata.json").read_text())
    assert meta["license"] == "CC-BY-4.0" and meta["title"]
    tables = meta["databases"]["kb"]["tables"]
    db = sqlite3.connect(target)
    for table, described in tables.items():
        columns = [r[1] for r in db.execute(f"PRAGMA table_info([{table}])")]
        assert columns and set(columns) == set(described["columns"]), table
        assert all(described["columns"].values()), table


def test_datapackage_describes_the_csv_files(run: Run, tmp_path: Path) -> None:
    directory = tmp_path / "package"
    assert run(*KB, "export", "-f", "datapackage", "-o", str(directory)).exit_code == 0
    descriptor = json.loads((directory / "datapackage.json").read_text())
    assert descriptor["profile"] == "tabular-data-package" and descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    for resource in descriptor["resources"]:
        with (directory / resource["path"]).open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header == [f["name"] for f in resource["schema"]["fields"]]
    procedures = next(r for r in descriptor["resources"] if r["name"] == "procedures")
    types = {f["name"]: f["type"] for f in procedures["schema"]["fields"]}
    assert types["guidance"] == "array" and types["last_reviewed"] == "date" and types["id"] == "string"


# --------------------------------------------------------------------------- project files


def test_a_data_project_has_its_files() -> None:
    license_text = (ROOT / "LICENSE").read_text()
    assert "MIT" in license_text and "CC BY 4.0" in license_text
    citation = YAML(typ="safe").load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] and citation["title"] and citation["license"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    import irkb

    assert f"## {irkb.__version__}" in changelog, "the changelog has the current version"
    assert "rev: v" in (ROOT / "README.md").read_text(), "pre-commit example pins a version tag"
