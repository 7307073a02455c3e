"""Hostile contributors, careless curators, broken environments: the second round.

Each category has its own fixture files under tests/fixtures/hostile/ (or makes them here). Nothing
is lost, written through a link, or printed raw to a terminal; no input crashes a command.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import FIXTURES, MINI_KB, Run

HOSTILE = FIXTURES / "hostile"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile_kb(kb_dir: Path) -> Path:
    for path in HOSTILE.glob("*.yaml"):
        shutil.copy(path, kb_dir / "procedures" / path.name)
    return kb_dir


def _clean(text: str) -> bool:
    """No raw control, escape or bidi character (colour codes of irkb's own are checked apart)."""
    return RAW.search(re.sub(r"\x1b\[[0-9;]*m", "", text)) is None


# --------------------------------------------------------------------------- terminal and output injection


def test_validate_reports_control_characters_and_never_prints_them(run: Run, hostile_kb: Path) -> None:
    for fmt in ("text", "github", "json"):
        result = run("--data-dir", str(hostile_kb), "validate", "-f", fmt)
        assert result.exit_code == 1
        assert _clean(result.stdout) and _clean(result.stderr), fmt
    text = run("--data-dir", str(hostile_kb), "validate").stdout
    assert re.search(r"terminal-injection\.yaml:2:7: \[error\] control-character name holds a control or bidi character \(U\+001B\)", text)


def test_a_record_with_control_characters_is_not_served(run: Run, hostile_kb: Path) -> None:
    assert run("--data-dir", str(hostile_kb), "show", "terminal-injection").exit_code == 3


def test_every_human_view_escapes_what_the_data_holds(tmp_path: Path) -> None:
    """Views made from a document that slipped through (an old export, a script): nothing reaches the terminal raw."""
    from rich.console import Console

    from irkb.kb import load
    from irkb.view import plain, rich
    from irkb.view.records import record_view

    kb = load(MINI_KB)
    doc = json.loads(json.dumps(kb.doc("procedure", "vertebroplasty")))
    evil = "x\x1b]52;c;aGk=\x07\x1b[2J\u202etxt\roverwrite\nnext line"
    doc["name"] = doc["summary"] = evil
    doc["aliases"] = [{"text": evil, "kind": "synonym", "ambiguous": False}]
    doc["pearls"] = [evil, {"text": evil, "source": "test-study", "locator": None}]
    doc["complications"][0]["note"] = doc["complications"][0]["population"] = evil
    view = record_view(kb, "procedure", doc)
    for text in (plain.plain_record(view), plain.markdown_record(view)):
        assert _clean(text)
    console = Console(file=io.StringIO(), force_terminal=True, width=80, markup=False)
    console.print(rich.record(view))
    assert _clean(console.file.getvalue())  # type: ignore[attr-defined]
    assert "\\x1b" in plain.plain_record(view), "shown as a visible escape"
    assert all("\t" not in line.split("\t", 1)[0] for line in plain.plain_record(view).splitlines()), "a value never splits a line"


def test_diff_of_a_hostile_export_prints_nothing_raw(run: Run, tmp_path: Path) -> None:
    export = json.loads(run("--data-dir", str(MINI_KB), "export", "-f", "json").stdout)
    export["procedures"][0]["name"] = "\x1b]0;pwned\x07\x1b[2J\u202eevil"
    export["procedures"].append({**export["procedures"][1], "id": "x\x1b[2Jy"})
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(export))
    result = run("diff", str(MINI_KB), str(path))
    assert result.exit_code == 0 and _clean(result.stdout) and _clean(result.stderr)
    assert "\\x1b" in result.stdout


def test_csv_cells_never_start_a_formula_and_round_trip(run: Run, hostile_kb: Path) -> None:
    from irkb.view.text import read_csv_cell

    for args in (("export", "-f", "csv"), ("list", "-f", "csv")):
        out = run("--data-dir", str(hostile_kb), *args).stdout
        rows = list(csv.DictReader(io.StringIO(out)))
        formula = next(r for r in rows if r["id"] == "formula")
        assert formula["summary"].startswith("'="), "a formula is neutralised with a leading quote"
        assert read_csv_cell(formula["summary"], False) == '=HYPERLINK("http://evil.example","click")', "and reads back exactly"
        assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    data = json.loads(run("--data-dir", str(hostile_kb), "show", "formula", "-f", "json").stdout)
    assert data["summary"].startswith("=HYPERLINK"), "JSON keeps the value as it is"


def test_markdown_escapes_html_and_markdown_from_the_data(run: Run, hostile_kb: Path) -> None:
    for args in (("export", "-f", "markdown"), ("show", "html", "-f", "markdown"), ("list", "-f", "markdown")):
        out = run("--data-dir", str(hostile_kb), *args).stdout
        assert "<script>" not in out, args
    shown = run("--data-dir", str(hostile_kb), "show", "html", "-f", "markdown").stdout
    assert "&lt;script&gt;" in shown and "\\*\\*bold\\*\\*" in shown and "\\|" in shown


# --------------------------------------------------------------------------- data loss


def test_fmt_keeps_a_save_that_lands_while_it_works(run: Run, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import irkb.curate.fmt as fmt_module

    target = kb_dir / "procedures" / "tips.yaml"
    target.write_text("name: TIPS reordered\n" + target.read_text().replace("name: Transjugular intrahepatic portosystemic shunt\n", ""))
    real = fmt_module.format_text
    saved = "id: tips\n# the curator's save, made while fmt was working\n"

    def slow_format(text: str, kind: str | None, **kwargs: object) -> str:
        out = real(text, kind, **kwargs)  # type: ignore[arg-type]
        target.write_text(target.read_text() + "# the curator's save, made while fmt was working\n")
        return out

    monkeypatch.setattr(fmt_module, "format_text", slow_format)
    result = run("--data-dir", str(kb_dir), "fmt", str(target))
    assert result.exit_code == 1 and "changed on disk" in result.stderr
    assert target.read_text().endswith(saved.split("\n", 1)[1]), "the user's version is kept"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")], "no temporary file left"


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device"])
def test_export_refuses_a_target_that_is_not_a_regular_file(run: Run, tmp_path: Path, kind: str) -> None:
    if kind == "symlink":
        victim = tmp_path / "victim.txt"
        victim.write_text("precious")
        target = tmp_path / "out.json"
        target.symlink_to(victim)
    elif kind == "fifo":
        target = tmp_path / "out.json"
        os.mkfifo(target)
    else:
        target = Path("/dev/null")
    for fmt in ("json", "sqlite"):
        result = run("--data-dir", str(MINI_KB), "export", "-f", fmt, "-o", str(target))
        assert result.exit_code == 2, result
        assert "not a regular file" in result.stderr or "symbolic link" in result.stderr
    if kind == "symlink":
        assert (tmp_path / "victim.txt").read_text() == "precious" and target.is_symlink()
    if kind == "fifo":
        assert target.is_fifo()


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".") or p.name.endswith(("-journal", "-wal", ".tmp")))


@pytest.mark.parametrize("fmt", ["sqlite", "json"])
def test_sigterm_during_an_export_leaves_nothing_behind(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"out.{fmt}"
    target.write_text("the previous export\n")
    probe = (
        "import sys, time, irkb.export.sqlite as s, irkb.export.text as t\n"
        "target = sys.argv[1]\n"
        "slow = lambda *a, **k: (open(target + '.started', 'w').close(), time.sleep(30))\n"
        "s._full_text = slow\n"
        "t._json = slow\n"
        "from irkb.entry import main\n"
        f"sys.argv = ['irkb', '--data-dir', {str(MINI_KB)!r}, 'export', '-f', {fmt!r}, '-o', target]\n"
        "main()\n"
    )
    marker = tmp_path / f"out.{fmt}.started"
    proc = subprocess.Popen([sys.executable, "-c", probe, str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(600):
        if marker.exists():
            break
        time.sleep(0.05)
    marker.unlink()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert target.read_text() == "the previous export\n"
    assert _leftovers(tmp_path) == [], "no temporary file, no SQLite journal"


def test_closed_stderr_never_puts_diagnostics_in_stdout(hostile_kb: Path) -> None:
    command = f"{sys.executable} -m irkb --data-dir {hostile_kb} list -f json 2>&-"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    json.loads(result.stdout)  # skipped files were reported on stderr, which was closed: not here


def test_an_ascii_only_stdout_gets_escapes_not_a_crash() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LANG": "C", "LC_ALL": "C"}
    for args in (["show", "vertebroplasty"], ["complications", "-f", "markdown"], ["list", "-f", "json"]):
        result = subprocess.run([sys.executable, "-m", "irkb", "--data-dir", str(MINI_KB), *args], capture_output=True, timeout=60, env=env)
        assert result.returncode == 0, result.stderr
        assert b"Traceback" not in result.stderr
        result.stdout.decode("ascii")
    shown = subprocess.run([sys.executable, "-m", "irkb", "--data-dir", str(MINI_KB), "list", "-f", "json"], capture_output=True, timeout=60, env=env)
    json.loads(shown.stdout), "escaped JSON is still JSON"


def test_a_reader_that_leaves_early_is_not_an_error(tmp_path: Path) -> None:
    for args in (
        ["diff", str(MINI_KB), str(tmp_path / "x.json")],
        ["list"],
        ["--help"],
        ["export", "-f", "json"],
        ["export", "-f", "csv"],
        ["complications", "--of", "all", "-f", "json"],
    ):
        if args[0] == "diff":
            (tmp_path / "x.json").write_text(json.dumps({"procedures": [], "sources": []}))
        command = f"{sys.executable} -m irkb --data-dir {MINI_KB} {' '.join(args)} | head -c 1; exit ${{PIPESTATUS[0]}}"
        result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr and "Broken pipe" not in result.stderr


# --------------------------------------------------------------------------- crashes and blow-ups


@pytest.mark.parametrize("what", ["dev-zero", "fifo", "deep-json", "one-record-jsonl"])
def test_diff_inputs_that_are_not_exports(run: Run, tmp_path: Path, what: str) -> None:
    if what == "dev-zero":
        path = Path("/dev/zero")
    elif what == "fifo":
        path = tmp_path / "pipe.json"
        os.mkfifo(path)
    elif what == "deep-json":
        path = tmp_path / "deep.json"
        path.write_text("[" * 100_000 + "]" * 100_000)
    else:
        path = tmp_path / "one.jsonl"
        path.write_text(run("--data-dir", str(MINI_KB), "export", "-f", "jsonl", "--kind", "modality").stdout.splitlines()[0] + "\n")
    result = run("diff", str(path), str(MINI_KB))
    assert "Traceback" not in result.stderr
    if what == "one-record-jsonl":
        assert result.exit_code == 0 and "5 added" in result.stderr, "irkb reads its own one-record export"
    else:
        assert result.exit_code == 2 and result.stderr.startswith("irkb: "), result


def test_one_file_with_a_hundred_thousand_bad_references_lists_a_bounded_number(run: Run, kb_dir: Path) -> None:
    tips = kb_dir / "procedures" / "tips.yaml"
    refs = ", ".join(f"zz{i % 7}" for i in range(100_000))
    tips.write_text(tips.read_text().replace("sources: [", f"related: [{refs}]\nsources: ["))
    result = run("--data-dir", str(kb_dir), "validate", "-f", "json")
    problems = json.loads(result.stdout)["problems"]
    mine = [p for p in problems if p["path"].endswith("tips.yaml")]
    assert len([p for p in mine if p["code"] == "unknown-reference"]) == 100
    assert any(p["code"] == "too-many-problems" and "99900 more" in p["message"] for p in mine)


def test_many_records_sharing_an_alias_name_a_few_others_each(run: Run, kb_dir: Path) -> None:
    base = (kb_dir / "procedures" / "tips.yaml").read_text()
    for i in range(60):
        (kb_dir / "procedures" / f"p{i}.yaml").write_text(base.replace("id: tips", f"id: p{i}"))
    lines = [line for line in run("--data-dir", str(kb_dir), "validate").stdout.splitlines() if "alias-collision" in line]
    assert lines and all(len(line) < 400 for line in lines), "each message names a few records and counts the rest"
    assert "more" in lines[0]


# --------------------------------------------------------------------------- contracts


def test_equivalent_unicode_spellings_of_an_alias_collide(run: Run, hostile_kb: Path) -> None:
    out = run("--data-dir", str(hostile_kb), "validate").stdout
    assert "alias-nfc.yaml:3:18: [error] alias-collision" in out and "alias-nfd.yaml:3:18: [error] alias-collision" in out


@pytest.mark.parametrize("command", [["list"], ["show", "tips"], ["validate"], ["schema", "--check"], ["fmt", "--check"], ["vocab"], ["export", "-f", "json"]])
def test_an_empty_data_dir_is_a_usage_error_everywhere(run: Run, command: list[str]) -> None:
    result = run("--data-dir", "", *command)
    assert result.exit_code == 2 and "--data-dir is empty" in result.stderr, command


def test_fmt_and_validate_agree_on_a_tab_before_a_comment_and_on_merge_keys(run: Run, hostile_kb: Path) -> None:
    tab = hostile_kb / "procedures" / "tab-comment.yaml"
    assert not [line for line in run("--data-dir", str(hostile_kb), "validate").stdout.splitlines() if "tab-comment.yaml" in line and "[error]" in line]
    assert run("--data-dir", str(hostile_kb), "fmt", str(tab)).exit_code == 0
    assert "# a comment after a tab" in tab.read_text()
    merge = hostile_kb / "procedures" / "merge-key.yaml"
    before = merge.read_text()
    result = run("--data-dir", str(hostile_kb), "fmt", str(merge))
    assert result.exit_code == 1 and "yaml-merge" in result.stderr and merge.read_text() == before


def test_fmt_keeps_crlf_files_crlf(run: Run, hostile_kb: Path) -> None:
    path = hostile_kb / "procedures" / "crlf.yaml"
    path.write_bytes(path.read_bytes().replace(b"id: crlf\r\n", b"").replace(b"name:", b"id: crlf\r\nname:", 1)[::1])
    raw = path.read_bytes()
    path.write_bytes(b"category: shunt\r\n" + raw.replace(b"category: shunt\r\n", b""))  # out of order
    assert run("--data-dir", str(hostile_kb), "fmt", str(path)).exit_code == 0
    after = path.read_bytes()
    assert after.count(b"\r\n") == after.count(b"\n") and after.startswith(b"id: crlf\r\n")


def test_fmt_moves_the_comment_above_the_first_key_with_it(run: Run, kb_dir: Path) -> None:
    path = kb_dir / "procedures" / "tips.yaml"
    text = path.read_text().replace("name: Transjugular intrahepatic portosystemic shunt\n", "")
    path.write_text("# the display name\nname: Transjugular intrahepatic portosystemic shunt\n" + text)
    assert run("--data-dir", str(kb_dir), "fmt", str(path)).exit_code == 0
    assert "id: tips\n# the display name\nname: Transjugular" in path.read_text()


def test_fmt_leaves_an_unknown_key_where_it_stands(run: Run, kb_dir: Path) -> None:
    path = kb_dir / "procedures" / "tips.yaml"
    path.write_text(
        path.read_text().replace("category: shunt\n", "category: shunt\nsumary: a typo\n").replace("id: tips\n", "").replace("name:", "id: tips\nname:", 1)
    )
    path.write_text("system: hepatobiliary\n" + path.read_text().replace("system: hepatobiliary\n", ""))
    assert run("--data-dir", str(kb_dir), "fmt", str(path)).exit_code == 0
    assert "category: shunt\nsumary: a typo\nsystem: hepatobiliary" in path.read_text()
