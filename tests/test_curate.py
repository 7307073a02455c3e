"""Curator tooling: fmt (canonical layout, no value ever changed, comments kept), new (templates), diff, pre-commit hooks."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from .conftest import MINI_KB, ROOT, Run

KB = ("--data-dir", str(MINI_KB))


def _typed(value: Any) -> Any:
    """A value with every leaf's type spelled out, so 1 and 1.0 or '1' and 1 compare unequal."""
    if isinstance(value, dict):
        return {"dict": {str(k): _typed(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"list": [_typed(v) for v in value]}
    return {type(value).__name__: repr(value)}


SAFE = YAML(typ="safe")


def _values(text: str) -> Any:
    return _typed(SAFE.load(text))


def _comments(text: str) -> Counter[str]:
    """Full-line and end-of-line comments (the data and the fixtures here have no '#' inside values)."""
    found: Counter[str] = Counter()
    for line in text.splitlines():
        match = re.search(r"(?:^|\s)(#.*)$", line)
        if match:
            found[match.group(1).strip()] += 1
    return found


def _field_order(kind: str) -> list[str]:
    from irkb.model import field_order

    return field_order(kind)


# --------------------------------------------------------------------------- fmt on the shipped data


def test_fmt_on_a_copy_of_the_shipped_data_changes_no_value_and_keeps_comments(run: Run, tmp_path: Path) -> None:
    from irkb.kinds import BY_FOLDER

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns(".*"))
    every = sorted(data.rglob("*.yaml"))
    # a fixed sample of every fifth file (every kind, every layout) keeps the test quick; CI runs
    # 'irkb fmt --check' on all of them
    for i, path in enumerate(every):
        if i % 5:
            path.unlink()
    before = {p: p.read_text(encoding="utf-8") for p in sorted(data.rglob("*.yaml"))}
    assert len(before) > 100

    result = run("--data-dir", str(data), "fmt")
    assert result.exit_code == 0, result
    for path, text in before.items():
        after = path.read_text(encoding="utf-8")
        loaded = SAFE.load(after)
        assert _typed(loaded) == _values(text), f"{path}: a value changed"
        assert _comments(after) == _comments(text), f"{path}: a comment was lost or added"
        assert after.splitlines()[0] == text.splitlines()[0], f"{path}: the first line (the $schema line) moved"
        assert not re.search(r"^- ", after, flags=re.MULTILINE), f"{path}: sequences are indented under their key"
        assert not re.search(r"[ \t]$", after, flags=re.MULTILINE), f"{path}: trailing whitespace"
        keys = list(loaded)
        order = _field_order(BY_FOLDER[path.parent.name].name)
        assert keys == sorted(keys, key=order.index), f"{path}: top-level keys in canonical order"
    # idempotent: formatted files are canonical
    check = run("--data-dir", str(data), "fmt", "--check")
    assert check.exit_code == 0, check
    assert check.stdout == ""


# --------------------------------------------------------------------------- fmt on crafted files

MESSY = """\
# yaml-language-server: $schema=../../schemas/procedure.schema.json
# Curator's note: keep this header.
last_reviewed: 2026-01-01  # checked against the guideline
id: messy
# the display name
name: 'Messy procedure'
aliases: [{text: MP, kind: abbreviation}]
pearls:
- first pearl  # end-of-line note
# between the pearls
- second pearl
summary: >-
  A folded summary that
  spans two lines.
category: biopsy
system: thoracic
purpose: [diagnostic]
sources: [test-study]
# the end
"""


def test_fmt_check_lists_without_writing_then_fmt_reorders_and_keeps_everything(run: Run, kb_dir: Path) -> None:
    target = kb_dir / "procedures" / "messy.yaml"
    target.write_text(MESSY)
    check = run("--data-dir", str(kb_dir), "fmt", "--check")
    assert check.exit_code == 1
    assert "procedures/messy.yaml" in check.stdout and "would be reformatted" in check.stderr
    assert target.read_text() == MESSY, "--check writes nothing"

    result = run("--data-dir", str(kb_dir), "fmt")
    assert result.exit_code == 0, result
    after = target.read_text()
    assert _values(after) == _values(MESSY)
    assert _comments(after) == _comments(MESSY)
    lines = after.splitlines()
    assert lines[:2] == MESSY.splitlines()[:2], "header comments stay first"
    keys = [line.split(":")[0] for line in lines if re.match(r"^[a-z_]+:", line)]
    assert keys == ["id", "name", "aliases", "category", "system", "purpose", "summary", "pearls", "sources", "last_reviewed"]
    assert "# the display name\nname: 'Messy procedure'" in after, "a comment travels with the key below it; quotes kept"
    assert "last_reviewed: 2026-01-01  # checked against the guideline" in after
    assert "aliases: [{text: MP, kind: abbreviation}]" in after and "purpose: [diagnostic]" in after, "flow lists kept"
    assert "pearls:\n  - first pearl" in after, "block sequences indented under their key"
    assert "summary: >-\n  A folded summary that\n  spans two lines." in after, "block scalars kept"
    assert lines[-1] == "# the end"
    assert run("--data-dir", str(kb_dir), "fmt", "--check").exit_code == 0


def test_fmt_leaves_a_file_that_does_not_parse_and_reports_where(run: Run, kb_dir: Path) -> None:
    broken = kb_dir / "procedures" / "broken.yaml"
    broken.write_text("id: broken\nname: [unclosed\nsystem: spine\n")
    messy = kb_dir / "procedures" / "messy.yaml"
    messy.write_text(MESSY)
    result = run("--data-dir", str(kb_dir), "fmt")
    assert result.exit_code == 1
    assert re.search(r"procedures/broken\.yaml:\d+:\d+: \[error\] yaml-syntax ", result.stderr), result
    assert broken.read_text() == "id: broken\nname: [unclosed\nsystem: spine\n"
    assert messy.read_text() != MESSY, "the other files are still formatted"


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("duplicate.yaml", "id: a\nid: b\n", "yaml-syntax"),
        ("alias.yaml", "id: a\nname: &n x\naliases: [*n]\n", "yaml-alias"),
        ("tagged.yaml", "id: !!python/object/apply:os.system [ls]\n", "yaml-tag"),  # the code validate gives
        ("merged.yaml", "id: a\nname: {<<: {x: 1}}\n", "yaml-merge"),
    ],
)
def test_fmt_refuses_what_the_loader_refuses(run: Run, kb_dir: Path, name: str, text: str, code: str) -> None:
    path = kb_dir / "procedures" / name
    path.write_text(text)
    result = run("fmt", str(path))
    assert result.exit_code == 1 and f"[error] {code}" in result.stderr, result
    assert path.read_text() == text


def test_fmt_paths_files_and_directories(run: Run, kb_dir: Path) -> None:
    messy = kb_dir / "procedures" / "messy.yaml"
    messy.write_text(MESSY)
    assert run("fmt", "--check", str(messy)).exit_code == 1
    assert run("fmt", "--check", str(kb_dir / "sources")).exit_code == 0
    assert run("fmt", str(kb_dir / "procedures")).exit_code == 0
    assert run("fmt", "--check", str(messy)).exit_code == 0
    missing = run("fmt", str(kb_dir / "nope.yaml"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_format_text_is_idempotent_and_never_wraps() -> None:
    from irkb.curate.fmt import format_text

    long_line = "note: " + "word " * 60 + "end\n"
    text = "id: x\n" + long_line + "list:\n- a\n- b\n"
    once = format_text(text, None)
    assert format_text(once, None) == once
    assert long_line in once
    assert format_text("", "procedure") == "" and format_text("# only a comment\n", "procedure") == "# only a comment\n"
    assert format_text("{name: n, id: x}  # flow\n", "procedure") == "{id: x, name: n}  # flow\n"


def _read_only(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    import irkb.datadir
    from irkb.datadir import DataDir

    monkeypatch.setattr(irkb.datadir, "resolve_data_dir", lambda explicit=None: DataDir(path, "package", read_only=True))


def test_fmt_and_new_refuse_the_read_only_packaged_data(run: Run, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (kb_dir / "procedures" / "messy.yaml").write_text(MESSY)
    _read_only(monkeypatch, kb_dir)
    result = run("fmt")
    assert result.exit_code == 2 and "--data-dir" in result.stderr and "read-only" in result.stderr
    assert (kb_dir / "procedures" / "messy.yaml").read_text() == MESSY
    assert run("fmt", str(kb_dir / "procedures" / "messy.yaml")).exit_code == 2
    assert run("fmt", "--check").exit_code == 1, "--check writes nothing, so it may look at the packaged copy"
    created = run("new", "procedure", "brand-new")
    assert created.exit_code == 2 and "--data-dir" in created.stderr
    assert not (kb_dir / "procedures" / "brand-new.yaml").exists()


# --------------------------------------------------------------------------- new

FILL = {
    "procedure": {"name": "'A new procedure'", "category": "biopsy", "system": "thoracic", "purpose": "[diagnostic]"},
    "modality": {"name": "'A new modality'", "speed": "live", "ionising_radiation": "false"},
    "access-route": {"name": "'A new route'", "kind": "venous"},
    "complication": {"name": "'A new complication'"},
    "source": {"title": "'A new source'", "kind": "textbook"},
}


@pytest.mark.parametrize("kind", list(FILL))
def test_new_writes_a_template_that_parses_but_validates_only_once_filled(run: Run, kb_dir: Path, kind: str) -> None:
    from irkb.kinds import folder

    result = run("--data-dir", str(kb_dir), "new", kind, f"brand-new-{kind}")
    assert result.exit_code == 0, result
    path = kb_dir / folder(kind) / f"brand-new-{kind}.yaml"
    assert result.stdout.strip() == str(path)
    text = path.read_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json"
    data = YAML(typ="safe").load(text)
    assert list(data) == _field_order(kind), "every field of the model, in canonical order"
    assert data["id"] == f"brand-new-{kind}" and data["last_reviewed"] == dt.date.today()
    for name in _field_order(kind):
        assert re.search(rf"^# .*\n{name}:", text, flags=re.MULTILINE), f"{name} has a comment"
    assert run("--data-dir", str(kb_dir), "fmt", "--check", str(path)).exit_code == 0, "the template is already canonical"

    stem = f"brand-new-{kind}.yaml"
    unfilled = json.loads(run("--data-dir", str(kb_dir), "validate", "-f", "json").stdout)["problems"]
    assert any(p["path"].endswith(stem) and p["level"] == "error" for p in unfilled), "placeholders do not validate"

    for name, value in FILL[kind].items():
        text, count = re.subn(rf"^{name}:.*$", f"{name}: {value}", text, count=1, flags=re.MULTILINE)
        assert count == 1
    path.write_text(text)
    filled = json.loads(run("--data-dir", str(kb_dir), "validate", "-f", "json").stdout)["problems"]
    errors = [p for p in filled if p["path"].endswith(stem) and p["level"] == "error"]
    assert errors == [], errors


def test_new_refuses_an_existing_file_a_bad_id_and_an_unknown_kind(run: Run, kb_dir: Path) -> None:
    tips = kb_dir / "procedures" / "tips.yaml"
    original = tips.read_text()
    exists = run("--data-dir", str(kb_dir), "new", "procedure", "tips")
    assert exists.exit_code == 2 and "already exists" in exists.stderr
    assert tips.read_text() == original
    for bad in ("Not_Kebab", "double--hyphen", "trailing-", "UPPER"):
        result = run("--data-dir", str(kb_dir), "new", "procedure", bad)
        assert result.exit_code == 2 and "kebab-case" in result.stderr, bad
    unknown = run("--data-dir", str(kb_dir), "new", "gadget", "x")
    assert unknown.exit_code == 2 and "procedure" in unknown.stderr
    plural = run("--data-dir", str(kb_dir), "new", "access-routes", "new-route")
    assert plural.exit_code == 0 and (kb_dir / "access-routes" / "new-route.yaml").is_file()
    assert sorted(p.name for p in (kb_dir / "procedures").iterdir() if p.name.startswith(".")) == [], "no temporary file left"


# --------------------------------------------------------------------------- diff


def _changed_kb(kb_dir: Path) -> Path:
    biopsy = kb_dir / "procedures" / "ct-lung-biopsy.yaml"
    biopsy.write_text(biopsy.read_text().replace("percent: 20.5", "percent: 25").replace("pearls: [test pearl]", "pearls: [test pearl, new pearl]"))
    (kb_dir / "complications" / "cement-leakage.yaml").unlink()
    sepsis = (kb_dir / "complications" / "sepsis.yaml").read_text()
    (kb_dir / "complications" / "bacteraemia.yaml").write_text(sepsis.replace("id: sepsis", "id: bacteraemia").replace("name: Sepsis", "name: Bacteraemia"))
    return kb_dir


EXPECTED = {
    "added": [{"kind": "complication", "id": "bacteraemia"}],
    "removed": [{"kind": "complication", "id": "cement-leakage"}],
    "changed": [
        {
            "kind": "procedure",
            "id": "ct-lung-biopsy",
            "fields": [
                {"path": "complications[pneumothorax · test-study].rate.percent", "old": 20.5, "new": 25.0},
                {"path": "pearls", "old": ["test pearl"], "new": ["test pearl", "new pearl"]},
            ],
        }
    ],
    "invalid": [],
}


def test_diff_reports_a_record_broken_by_an_edit_as_invalid_not_removed(run: Run, kb_dir: Path) -> None:
    kypho = kb_dir / "procedures" / "kyphoplasty.yaml"
    kypho.write_text(kypho.read_text().replace("category:", "categroy:"))
    data = json.loads(run("diff", str(MINI_KB), str(kb_dir), "-f", "json").stdout)
    assert data["removed"] == []
    assert [(i["kind"], i["id"], i["side"]) for i in data["invalid"]] == [("procedure", "kyphoplasty", "new")]
    assert any("unknown-field" in p for p in data["invalid"][0]["problems"])
    text = run("diff", str(MINI_KB), str(kb_dir))
    assert "invalid  procedure kyphoplasty" in text.stdout and "1 invalid" in text.stderr


def test_diff_two_directories_json(run: Run, kb_dir: Path) -> None:
    result = run("diff", str(MINI_KB), str(_changed_kb(kb_dir)), "--format", "json")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == EXPECTED
    same = run("diff", str(MINI_KB), str(MINI_KB), "-f", "json")
    assert same.exit_code == 0 and json.loads(same.stdout) == {"added": [], "removed": [], "changed": [], "invalid": []}


def test_diff_export_files_against_a_directory_text(run: Run, kb_dir: Path, tmp_path: Path) -> None:
    export = tmp_path / "old.json"
    assert run(*KB, "export", "-f", "json", "-o", str(export)).exit_code == 0
    jsonl = tmp_path / "old.jsonl"
    assert run(*KB, "export", "-f", "jsonl", "-o", str(jsonl)).exit_code == 0
    changed = _changed_kb(kb_dir)
    for old in (export, jsonl):
        assert json.loads(run("diff", str(old), str(changed), "-f", "json").stdout) == EXPECTED
    text = run("diff", str(export), str(changed))
    assert text.exit_code == 0
    assert text.stdout.splitlines() == [
        "added    complication bacteraemia",
        "removed  complication cement-leakage",
        "changed  procedure ct-lung-biopsy",
        "  complications[pneumothorax · test-study].rate.percent: 20.5 -> 25.0",
        '  pearls: ["test pearl"] -> ["test pearl", "new pearl"]',
    ]
    assert "1 added, 1 removed, 1 changed" in text.stderr


def test_diff_a_narrowed_export_compares_only_its_kind(run: Run, kb_dir: Path, tmp_path: Path) -> None:
    export = tmp_path / "procedures.json"
    assert run(*KB, "export", "-f", "json", "--kind", "procedure", "-o", str(export)).exit_code == 0
    result = run("diff", str(export), str(_changed_kb(kb_dir)), "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"added": [], "removed": [], "changed": EXPECTED["changed"], "invalid": []}
    assert "not compared" in result.stderr


def test_diff_unreadable_input_exits_2(run: Run, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json at all {")
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    for bad in (tmp_path / "missing.json", garbage, other, empty_dir):
        result = run("diff", str(bad), str(MINI_KB))
        assert result.exit_code == 2, (bad, result)
        assert "Traceback" not in result.stderr


def test_field_changes_paths() -> None:
    from irkb.curate.diff import field_changes

    old = {"complications": [{"complication": "x", "source": "s", "rate": {"percent": 2}}], "c": ["x"], "d": {"e": None}}
    new = {"complications": [{"complication": "x", "source": "s", "rate": {"percent": 3}}], "c": ["x", "y"], "d": {"e": "set"}}
    changes = [(c.path, c.old, c.new) for c in field_changes(old, new)]
    assert changes == [("complications[x · s].rate.percent", 2, 3), ("c", ["x"], ["x", "y"]), ("d.e", None, "set")]
    assert field_changes({"c": ["x", "y"]}, {"c": ["y", "x"]}) == [], "a reorder is no change"


def test_diff_one_inserted_figure_is_one_change() -> None:
    from irkb.curate.diff import field_changes

    figures = [{"complication": f"c{i}", "source": "s", "rate": {"percent": i}} for i in range(40)]
    inserted = [{"complication": "new", "source": "s", "rate": {"percent": 1}}, *figures]
    changes = field_changes({"complications": figures}, {"complications": inserted})
    assert [(c.path, c.old) for c in changes] == [("complications[new · s]", field_changes.__globals__["MISSING"])]
    moved = field_changes({"complications": figures}, {"complications": list(reversed(figures))})
    assert moved == [], "a reordered list of figures is no change"


# --------------------------------------------------------------------------- pre-commit


def test_pre_commit_hooks() -> None:
    hooks = {h["id"]: h for h in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"irkb-validate", "irkb-fmt"}
    assert all(h["language"] == "python" for h in hooks.values())
    assert hooks["irkb-validate"]["entry"].startswith("irkb ") and hooks["irkb-validate"]["entry"].endswith(" validate")
    assert hooks["irkb-validate"]["pass_filenames"] is False
    assert hooks["irkb-fmt"]["entry"].endswith(" fmt --check") and hooks["irkb-fmt"].get("pass_filenames", True) is True
    for hook in hooks.values():
        assert re.search(hook["files"], "data/procedures/tips.yaml")
        assert not re.search(hook["files"], "src/irkb/models.py")
