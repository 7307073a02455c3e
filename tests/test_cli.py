"""The command line, through the real entry point: formats, exit codes, help, piping."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import BROKEN, MINI_KB, ROOT, Run

ANSI = re.compile(r"\x1b\[")
KB = ("--data-dir", str(MINI_KB))


def test_headline_query_json(run: Run) -> None:
    result = run(*KB, "list", "--modality", "CT", "--no-live", "--format", "json")
    assert result.exit_code == 0, result
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == ["ct-lung-biopsy"]
    # a record carries every field of its model, empty ones as null or []
    assert records[0]["family"] is None and records[0]["technique"] == [] and "last_reviewed" in records[0]


def test_list_piped_table_is_plain_tab_separated(run: Run) -> None:
    result = run(*KB, "list", "--modality", "ct")
    assert result.exit_code == 0, result
    assert not ANSI.search(result.stdout)
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["ct-lung-biopsy", "liver-rfa", "us-drain", "vertebroplasty"]
    assert not any(ch in result.stdout for ch in "│┃━─╭")


def test_color_always_forces_rich_and_never_and_no_color_do_not_colour(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ANSI.search(run(*KB, "--color", "always", "list").stdout)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(run(*KB, "list").stdout)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "yaml", "markdown", "table"])
@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("list", "modalities"),
        ("list", "access-routes"),
        ("list", "complications"),
        ("list", "sources"),
        ("show", "TIPS"),
        ("show", "CFA"),
        ("compare", "vertebroplasty", "kyphoplasty"),
        ("search", "biopsy"),
        ("complications", "--sort", "rate"),
        ("stats",),
    ],
    ids=lambda a: "-".join(a),
)
def test_every_read_command_in_every_format(run: Run, args: tuple[str, ...], fmt: str) -> None:
    result = run(*KB, *args, "--format", fmt)
    assert result.exit_code == 0, result
    out = result.stdout
    assert out.strip(), result
    assert not ANSI.search(out)
    if fmt == "json":
        json.loads(out)
    elif fmt == "jsonl":
        for line in out.splitlines():
            json.loads(line)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert len({len(r) for r in rows}) == 1, "every CSV row has the same number of cells"
    elif fmt == "yaml":
        YAML(typ="safe").load(out)
    elif fmt == "markdown" and args[0] != "show":
        assert out.startswith("|") or out.startswith("#") or "|" in out


def test_json_shapes(run: Run) -> None:
    show = json.loads(run(*KB, "show", "tips", "-f", "json").stdout)
    assert show["id"] == "tips" and isinstance(show["guidance"], list)
    comp = json.loads(run(*KB, "compare", "vertebroplasty", "kyphoplasty", "-f", "json").stdout)
    assert list(comp) == ["kind", "records", "differing_fields", "complications", "outcomes"]
    assert [r["id"] for r in comp["records"]] == ["vertebroplasty", "kyphoplasty"]
    hits = json.loads(run(*KB, "search", "femoral", "-f", "json").stdout)
    assert hits[0]["record_type"] == "access-route" and "score" in hits[0]
    rows = json.loads(run(*KB, "complications", "--procedure", "vertebroplasty", "-f", "json").stdout)
    assert {r["procedure"] for r in rows} == {"vertebroplasty"}
    assert {r["rate_kind"] for r in rows} == {"observed", "threshold"}
    stats = json.loads(run(*KB, "stats", "-f", "json").stdout)
    assert stats["counts"]["modality"] == 6


def test_complications_min_rate_and_kind(run: Run) -> None:
    rows = json.loads(run(*KB, "complications", "--min-rate", "20", "--rate-kind", "observed", "-f", "json").stdout)
    assert {(r["procedure"], r["complication"]) for r in rows} == {("ct-lung-biopsy", "pneumothorax"), ("vertebroplasty", "cement-leakage")}


def test_complications_table_labels_each_kind(run: Run) -> None:
    out = run(*KB, "--color", "always", "complications").stdout
    for kind in ("observed", "THRESHOLD", "upper bound"):  # a threshold stands apart, in capitals
        assert kind in out


def test_exit_3_not_found_with_suggestions(run: Run) -> None:
    result = run(*KB, "show", "vertebroplsty")
    assert result.exit_code == 3
    assert "vertebroplasty" in result.stderr and result.stdout == ""
    payload = json.loads(run(*KB, "show", "vertebroplsty", "-f", "json").stdout)
    assert payload["error"] == "not-found" and payload["query"] == "vertebroplsty" and "vertebroplasty" in payload["candidates"]


def test_exit_3_unknown_filter_value(run: Run) -> None:
    result = run(*KB, "list", "--modality", "ctt")
    assert result.exit_code == 3 and "ct" in result.stderr


def test_exit_4_ambiguous_lists_candidates(run: Run) -> None:
    result = run(*KB, "show", "rfa")
    assert result.exit_code == 4
    assert "liver-rfa" in result.stderr and "venous-rfa" in result.stderr
    payload = json.loads(run(*KB, "show", "rfa", "-f", "json").stdout)
    assert payload == {
        "error": "ambiguous",
        "query": "rfa",
        "candidates": ["liver-rfa", "venous-rfa"],
        "names": {"liver-rfa": "Radiofrequency ablation of the liver", "venous-rfa": "Endovenous radiofrequency ablation"},
    }
    assert "liver-rfa (Radiofrequency ablation of the liver)" in result.stderr, "candidates are listed with their names"


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--category", "surgery"),
        ("list", "--format", "xml"),
        ("show",),
        ("compare", "tips"),
        ("list", "modalities", "--modality", "ct"),
        ("nosuchcommand",),
    ],
    ids=lambda a: "-".join(a),
)
def test_exit_2_usage_errors(run: Run, args: tuple[str, ...]) -> None:
    result = run(*KB, *args)
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr + result.stdout


def test_exit_2_bad_data_dir(run: Run, tmp_path: Path) -> None:
    assert run("--data-dir", str(tmp_path / "missing"), "list").exit_code == 2
    result = run("--data-dir", str(tmp_path), "list")
    assert result.exit_code == 2 and "holds no irkb knowledge base" in result.stderr


def test_exit_70_internal_error_is_one_line(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import irkb.query.filters

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(irkb.query.filters, "select_procedures", boom)
    result = run(*KB, "list")
    assert result.exit_code == 70
    assert "Traceback" not in result.stderr
    assert "simulated bug" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    debug = run(*KB, "--debug", "list")
    assert debug.exit_code == 70 and "Traceback" in debug.stderr


def test_validate_clean_and_json_envelope(run: Run) -> None:
    result = run(*KB, "validate", "--format", "json")
    assert result.exit_code == 0
    envelope = json.loads(result.stdout)
    assert list(envelope) == ["schema_version", "ok", "summary", "problems"]
    assert envelope["ok"] is True and envelope["summary"]["errors"] == 0
    assert run(*KB, "validate", "--strict").exit_code == 1  # the test KB has warnings


def test_validate_reports_unknown_field_as_file_line(run: Run, kb_dir: Path) -> None:
    target = kb_dir / "procedures" / "tips.yaml"
    target.write_text(target.read_text() + "colour: red\n")
    result = run("--data-dir", str(kb_dir), "validate")
    assert result.exit_code == 1
    lines = target.read_text().count("\n")
    assert re.search(rf"procedures/tips\.yaml:{lines}:1: \[error\] unknown-field unknown field 'colour'", result.stdout), result
    assert "Traceback" not in result.stderr


def test_validate_names_the_dangling_modality(run: Run, kb_dir: Path) -> None:
    target = kb_dir / "procedures" / "kyphoplasty.yaml"
    target.write_text(target.read_text().replace("modality: fluoroscopy", "modality: fluoroscopyy"))
    result = run("--data-dir", str(kb_dir), "validate", "-f", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    dangling = [p for p in problems if p["code"] == "unknown-reference"]
    assert dangling and "fluoroscopyy" in dangling[0]["message"] and dangling[0]["line"] > 0
    assert set(dangling[0]) == {"path", "line", "col", "level", "code", "message", "hint"}


def test_validate_github_and_select_ignore(run: Run, kb_dir: Path) -> None:
    shutil.copy(BROKEN / "procedures" / "unknown-field.yaml", kb_dir / "procedures")
    gh = run("--data-dir", str(kb_dir), "validate", "--format", "github").stdout
    assert re.search(r"^::error file=.*unknown-field\.yaml,line=14,col=1,title=unknown-field::", gh, re.MULTILINE)
    only = run("--data-dir", str(kb_dir), "validate", "--select", "unknown-field")
    assert only.exit_code == 1 and all("unknown-field" in line for line in only.stdout.splitlines())
    ignored = run("--data-dir", str(kb_dir), "validate", "--ignore", "unknown-field", "--ignore", "missing-recommended")
    assert ignored.exit_code == 0


def test_read_commands_degrade_on_broken_records(run: Run, kb_dir: Path) -> None:
    shutil.copy(BROKEN / "procedures" / "rate-out-of-range.yaml", kb_dir / "procedures")
    result = run("--data-dir", str(kb_dir), "list", "-f", "json")
    assert result.exit_code == 0
    assert "ct-lung-biopsy" in [r["id"] for r in json.loads(result.stdout)]
    assert "warning" in result.stderr and "irkb validate" in result.stderr


def test_schema_check_detects_drift(run: Run, tmp_path: Path) -> None:
    assert run("schema", "--dir", str(tmp_path)).exit_code == 0
    assert run("schema", "--check", "--dir", str(tmp_path)).exit_code == 0
    (tmp_path / "procedure.schema.json").write_text("{}\n")
    result = run("schema", "--check", "--dir", str(tmp_path))
    assert result.exit_code == 1 and "procedure.schema.json" in result.stderr


def test_committed_schemas_match_the_models() -> None:
    from irkb.model.schema import drift

    assert drift(ROOT / "schemas") == []


def _commands() -> list[str]:
    from irkb.cli import commands  # noqa: F401
    from irkb.cli.app import app

    return sorted(c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands)


def test_every_command_help_ends_with_an_example_and_is_in_the_readme(run: Run) -> None:
    readme = (ROOT / "README.md").read_text()
    names = _commands()
    assert {"list", "show", "compare", "search", "complications", "stats", "validate", "schema"} <= set(names)
    for name in names:
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert re.search(r"Example: irkb " + name, result.stdout), f"{name} --help has no example"
        assert f"`irkb {name}" in readme, f"README does not list {name}"


def test_top_level_help_documents_exit_codes(run: Run) -> None:
    out = " ".join(run("--help").stdout.split())
    assert "Exit codes" in out and "not clinical decision support" in out


def test_python_m_irkb_subprocess(run: Run) -> None:
    result = subprocess.run([sys.executable, "-m", "irkb", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("irkb ")
    assert result.stdout == run("--version").stdout, "the entry point prints what the Typer option prints"


def test_installed_entry_point_subprocess() -> None:
    exe = Path(sys.executable).parent / "irkb"
    if not exe.exists():
        pytest.skip("irkb console script not installed in this environment")
    result = subprocess.run([str(exe), "--data-dir", str(MINI_KB), "show", "nephrostmy", "-f", "json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert json.loads(result.stdout)["error"] == "not-found"
