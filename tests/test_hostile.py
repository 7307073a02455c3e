"""Hostile input never crashes irkb, never runs code, and never costs a curator their work.

Each hostile file is dropped into a copy of the test knowledge base; ``irkb validate`` must exit
1 with a line naming the file (and line:col where there is one), never a trace, in bounded time.
Byte-level cases are generated here; text cases live in the broken-record corpus.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from irkb import atomic
from irkb.ingest.limits import Limits
from irkb.ingest.record import load_file, load_text

from .conftest import MINI_KB, Result, Run

CLEAN = MINI_KB / "procedures" / "ct-lung-biopsy.yaml"
TIME_LIMIT = 5.0  # seconds: generous, only to prove "bounded", not to benchmark


def validate(run: Run, kb_dir: Path, *extra: str) -> Result:
    started = time.monotonic()
    result = run("--data-dir", str(kb_dir), "validate", *extra)
    assert time.monotonic() - started < TIME_LIMIT, "validate must finish in bounded time"
    assert "Traceback" not in result.stderr + result.stdout, result
    return result


def problem_lines(result: Result, name: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if f"/{name}:" in line or f"/{name} " in line or line.startswith(f"{name}:")]


def assert_reported(result: Result, name: str, code: str, where: str | None = None) -> str:
    """``validate`` failed, and a line names the file, the code and (when given) line:col."""
    assert result.exit_code == 1, result
    lines = [line for line in problem_lines(result, name) if f"] {code} " in line]
    assert lines, f"no {code} for {name} in:\n{result.stdout}"
    if where is not None:
        assert any(f"/{name}:{where}:" in line for line in lines), f"{code} at {where} expected, got {lines}"
    return lines[0]


# --------------------------------------------------------------------------- bytes and encodings


def test_invalid_utf8_is_located(run: Run, kb_dir: Path) -> None:
    (kb_dir / "procedures" / "latin1.yaml").write_bytes(b"id: latin1\nname: Caf\xe9 biopsy\n")
    line = assert_reported(validate(run, kb_dir), "latin1.yaml", "invalid-utf8", "2:10")
    assert "0xe9" in line and "UTF-8" in line


def test_utf8_bom_is_accepted(run: Run, kb_dir: Path) -> None:
    target = kb_dir / "procedures" / "ct-lung-biopsy.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + CLEAN.read_bytes())
    result = validate(run, kb_dir)
    assert not problem_lines(result, "ct-lung-biopsy.yaml"), result.stdout
    shown = run("--data-dir", str(kb_dir), "show", "ct-lung-biopsy", "-f", "json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"] == "ct-lung-biopsy"


@pytest.mark.parametrize(
    ("content", "code", "where"),
    [
        (b"", "empty-file", "1:1"),
        (b"\xef\xbb\xbf", "empty-file", "1:1"),
        (b"   \n\n# only a comment\n", "empty-file", "1:1"),
        (b"id: a\x00b\n", "invalid-character", "1:6"),
        (b"\xff\xfe\x00i\x00d\x00", "invalid-utf8", "1:1"),  # UTF-16 is not UTF-8
        (b"- 1\n- 2\n", "not-a-mapping", "1:1"),
        (b"42\n", "not-a-mapping", "1:1"),
        (b"id: x\n\tname: tab\n", "yaml-syntax", "2:1"),
        (b"id: x\nid: y\n", "duplicate-key", "2:1"),
    ],
    ids=["zero-bytes", "bom-only", "blank", "nul", "utf16", "list", "scalar", "tab", "duplicate-key"],
)
def test_malformed_bytes_are_located_problems(run: Run, kb_dir: Path, content: bytes, code: str, where: str) -> None:
    (kb_dir / "procedures" / "hostile.yaml").write_bytes(content)
    assert_reported(validate(run, kb_dir), "hostile.yaml", code, where)


# --------------------------------------------------------------------------- files that are not records


@pytest.mark.parametrize("name", ["ct-lung-biopsy.yml", "notes.json", "readme.txt", "backup.YAML"])
def test_files_that_are_not_yaml_are_reported(run: Run, kb_dir: Path, name: str) -> None:
    (kb_dir / "procedures" / name).write_bytes(CLEAN.read_bytes())
    line = assert_reported(validate(run, kb_dir), name, "wrong-extension")
    assert "hint:" in line


def test_duplicate_ids_across_files(run: Run, kb_dir: Path) -> None:
    original = kb_dir / "procedures" / "ct-lung-biopsy.yaml"
    copy = kb_dir / "procedures" / "lung-biopsy-copy.yaml"
    shutil.copy(original, copy)
    result = validate(run, kb_dir)
    line = assert_reported(result, "lung-biopsy-copy.yaml", "duplicate-id", "1:5")
    assert "ct-lung-biopsy.yaml" in line, "names the file that holds the id"
    assert_reported(result, "lung-biopsy-copy.yaml", "id-mismatch", "1:5")
    assert [x for x in problem_lines(result, "ct-lung-biopsy.yaml") if "duplicate-id" in x], "the duplicate is an error on both files"
    # neither is served, so every machine gives the same answer whatever order it read the files in
    shown = run("--data-dir", str(kb_dir), "show", "ct-lung-biopsy", "-f", "json")
    assert shown.exit_code == 3
    # once the original is gone, the stale duplicate-id problem goes with it
    original.unlink()
    result = validate(run, kb_dir)
    assert not [x for x in problem_lines(result, "lung-biopsy-copy.yaml") if "duplicate-id" in x], result.stdout
    assert_reported(result, "lung-biopsy-copy.yaml", "id-mismatch")


def test_unreadable_file(run: Run, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = kb_dir / "procedures" / "locked.yaml"
    shutil.copy(CLEAN, target)
    if os.geteuid() != 0:
        target.chmod(0)
    else:  # root reads anything: make the read itself fail as it would for anyone else
        real_open = os.open

        def deny(path: Any, *args: Any, **kwargs: Any) -> int:
            if Path(path).name == "locked.yaml":
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)
    try:
        line = assert_reported(validate(run, kb_dir), "locked.yaml", "unreadable-file")
        assert "ermission denied" in line
        assert run("--data-dir", str(kb_dir), "list").exit_code == 0
    finally:
        target.chmod(0o644)


def test_symlink_leaving_the_data_directory(run: Run, kb_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    shutil.copy(CLEAN, outside)
    (kb_dir / "procedures" / "outside.yaml").symlink_to(outside)
    line = assert_reported(validate(run, kb_dir), "outside.yaml", "symlink-outside")
    assert "kb/procedures/outside.yaml" in line, "names the link, not its target"


def test_symlinked_folder_leaving_the_data_directory(run: Run, kb_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(kb_dir / "sources"), elsewhere)
    (kb_dir / "sources").symlink_to(elsewhere, target_is_directory=True)
    assert_reported(validate(run, kb_dir), "test-study.yaml", "symlink-outside")


def test_symlink_to_a_device_and_a_fifo_do_not_hang(run: Run, kb_dir: Path) -> None:
    (kb_dir / "procedures" / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(kb_dir / "procedures" / "pipe.yaml")
    result = validate(run, kb_dir)
    assert_reported(result, "zero.yaml", "symlink-outside")
    assert_reported(result, "pipe.yaml", "not-a-file")


def test_symlink_loop(run: Run, kb_dir: Path) -> None:
    (kb_dir / "procedures" / "loop.yaml").symlink_to("loop.yaml")
    assert_reported(validate(run, kb_dir), "loop.yaml", "unreadable-file")


def test_control_characters_in_names_and_keys_cannot_forge_output_lines(run: Run, kb_dir: Path) -> None:
    (kb_dir / "procedures" / "evil\nforged.yaml: [error] fake-problem x.yaml").write_bytes(b"id: x\n")
    (kb_dir / "procedures" / "bidi\u202eyaml.txt.yaml").write_bytes(b"id: x\n")
    (kb_dir / "procedures" / "keys.yaml").write_text('"a\\nkb/procedures/tips.yaml:1:1: [error] fake-problem": 1\n', encoding="utf-8")
    for fmt in ("text", "github"):
        result = validate(run, kb_dir, "--format", fmt)
        lines = result.stdout.splitlines()
        assert not [line for line in lines if "fake-problem" in line and "\\n" not in line], lines
        if fmt == "github":
            assert all(line.startswith("::") for line in lines), "every line is an annotation"
        else:
            assert all(line.startswith("kb/") for line in lines)
            assert any("bidi\\u202eyaml.txt.yaml" in line for line in lines), "the bidi control is shown, not obeyed"


# --------------------------------------------------------------------------- limits


def test_file_larger_than_the_limit(run: Run, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = kb_dir / "procedures" / "big.yaml"
    big.write_bytes(b"id: big\nsummary: " + b"x" * (1_048_576 + 10) + b"\n")
    line = assert_reported(validate(run, kb_dir), "big.yaml", "file-too-large")
    assert "IRKB_MAX_FILE_BYTES" in line
    # the limit is the user's to set: a small one catches a normal record
    monkeypatch.setenv("IRKB_MAX_FILE_BYTES", "200")
    assert_reported(validate(run, kb_dir), "ct-lung-biopsy.yaml", "file-too-large")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("summary: " + "[" * 5000 + "]" * 5000 + "\n", "1:73"),
        ("summary: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "1:262"),
        ("- " * 5000 + "x\n", "1:129"),
        ("".join("  " * i + f"k{i}:\n" for i in range(200)), "65:129"),
        ("summary: '" + "]" * 3000 + "'\nother: " + "[" * 3000 + "\n", "2:71"),  # brackets in quotes fool no one
    ],
    ids=["flow-sequences", "flow-mappings", "compact-block-sequences", "block-mappings", "quoted-closers"],
)
def test_nesting_deeper_than_the_limit(run: Run, kb_dir: Path, text: str, where: str) -> None:
    (kb_dir / "procedures" / "deep.yaml").write_text(text)
    assert_reported(validate(run, kb_dir), "deep.yaml", "too-deep", where)


def test_depth_limit_is_configurable(run: Run, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRKB_MAX_DEPTH", "2")
    line = assert_reported(validate(run, kb_dir), "ct-lung-biopsy.yaml", "too-deep")
    assert "deeper than 2 levels" in line and "IRKB_MAX_DEPTH" in line


def test_brackets_inside_text_are_not_nesting(kb_dir: Path) -> None:
    text = CLEAN.read_text().replace("Test summary of CT-guided lung biopsy.", "'" + "[" * 500 + "'") + "pitfalls:\n  - |\n" + " " * 400 + "indented text\n"
    loaded = load_text(text, "procedure", "x.yaml", "ct-lung-biopsy", Limits())
    assert loaded.record is not None, [p.format() for p in loaded.problems]


DEEP_SCRIPT = """
import resource, sys, time
from irkb.ingest.limits import Limits
from irkb.ingest.record import load_text
text = sys.stdin.read()
started = time.perf_counter()
result = load_text(text, "procedure", "deep.yaml", "deep", Limits())
elapsed = time.perf_counter() - started
print(result.problems[0].format())
print(elapsed)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        "- " * 100_000 + "x\n",
        "s: |\n  " + "]" * 100_000 + "\nt: " + "[" * 100_000 + "\n",
        '["]", ' * 100_000 + "x" + "]" * 100_000,
    ],
    ids=["unclosed-flow", "closed-flow", "compact-block", "closers-in-block-scalar", "closers-in-quotes"],
)
def test_100k_deep_nesting_is_a_located_problem_in_a_fraction_of_a_second(text: str) -> None:
    # In a child process: were the guard to miss, the C parser would kill the process (SIGSEGV).
    done = subprocess.run([sys.executable, "-c", DEEP_SCRIPT], input=text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"the process died ({done.returncode}): {done.stderr[-2000:]}"
    report, elapsed, peak_mib = done.stdout.splitlines()
    assert report.startswith("deep.yaml:") and "too-deep" in report
    assert float(elapsed) < 1.0, "well under a second"
    assert int(peak_mib) < 256, "and in bounded memory (the whole interpreter included)"


def test_100k_deep_nesting_through_the_command_line(kb_dir: Path) -> None:
    (kb_dir / "procedures" / "deep.yaml").write_text("- " * 100_000 + "x\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "irkb", "--data-dir", str(kb_dir), "validate"], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < TIME_LIMIT * 2
    assert done.returncode == 1, done.stderr
    assert "deep.yaml:1:129: [error] too-deep" in done.stdout
    assert "Traceback" not in done.stderr


def test_billion_laughs_is_refused_quickly(run: Run, kb_dir: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(20)]
    (kb_dir / "procedures" / "laughs.yaml").write_text("\n".join(lines) + "\n")
    assert_reported(validate(run, kb_dir), "laughs.yaml", "yaml-alias", "2:8")


MARKER_CASES = [
    'id: !!python/object/apply:os.system ["touch {marker}"]\n',
    '!!python/object/apply:os.system ["touch {marker}"]\n',
    'id: !!python/object/new:os.system ["touch {marker}"]\n',
    "id: !!python/object/apply:subprocess.check_call [[touch, {marker}]]\n",
    'id: !!python/name:os.system\nrun: !!python/object/apply:os.system ["touch {marker}"]\n',
    '%TAG !x! tag:yaml.org,2002:python/object/apply:\n---\nid: !x!os.system ["touch {marker}"]\n',
    'id: !<tag:yaml.org,2002:python/object/apply:os.system> ["touch {marker}"]\n',
]


@pytest.mark.parametrize("template", MARKER_CASES, ids=range(len(MARKER_CASES)))
def test_yaml_tags_never_run_code(run: Run, kb_dir: Path, tmp_path: Path, template: str) -> None:
    marker = tmp_path / "pwned"
    (kb_dir / "procedures" / "tagged.yaml").write_text(template.format(marker=marker))
    assert_reported(validate(run, kb_dir), "tagged.yaml", "yaml-tag")
    assert run("--data-dir", str(kb_dir), "list").exit_code == 0
    assert not marker.exists(), "a YAML tag ran code"


def test_more_files_than_the_record_limit(run: Run, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    total = len(list(kb_dir.glob("*/*.yaml")))
    monkeypatch.setenv("IRKB_MAX_RECORDS", str(total - 2))
    result = validate(run, kb_dir)
    over = [line for line in result.stdout.splitlines() if "] too-many-records " in line]
    assert len(over) == 2 and all("IRKB_MAX_RECORDS" in line for line in over), result.stdout
    assert [line.split(":")[0].rsplit("/", 1)[1] for line in over] == ["test-guideline.yaml", "test-study.yaml"], "the last files in order are left out"
    listed = run("--data-dir", str(kb_dir), "list", "-f", "json")
    assert listed.exit_code == 0 and "2 file(s) could not be loaded" in listed.stderr
    # raising the limit reads them again, from the same cache
    monkeypatch.setenv("IRKB_MAX_RECORDS", str(total))
    assert "too-many-records" not in validate(run, kb_dir).stdout
    # and lowering it drops them again
    monkeypatch.setenv("IRKB_MAX_RECORDS", str(total - 1))
    assert validate(run, kb_dir).stdout.count("] too-many-records ") == 1


def test_bad_limit_values_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "abc", "-5", "0", "1e6", "١٢"):
        monkeypatch.setenv("IRKB_MAX_DEPTH", value)
        assert Limits.from_env().max_depth == Limits().max_depth
    monkeypatch.setenv("IRKB_MAX_DEPTH", "10000000")
    assert Limits.from_env().max_depth == 1000, "capped: beyond it the C parser would crash"


def test_a_huge_size_limit_still_reads_normal_files(run: Run, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRKB_MAX_FILE_BYTES", str(10**15))
    result = run("--data-dir", str(kb_dir), "show", "ct-lung-biopsy", "-f", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["id"] == "ct-lung-biopsy", result


def test_loading_many_files_keeps_nothing_of_the_ones_before() -> None:
    """Memory stays flat over a 10,000-file cold build: the YAML constructor forgets each node."""
    from irkb.ingest import yaml as loader

    text = CLEAN.read_text()
    for _ in range(3):
        assert load_text(text, "procedure", "x.yaml", "ct-lung-biopsy", Limits()).record is not None
    assert loader._CONSTRUCTOR is not None and not loader._CONSTRUCTOR.constructed_objects


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("replace", "code"),
    [
        ("last_reviewed: 2026-02-30", "invalid-date"),
        ("last_reviewed: 0000-01-01", "invalid-date"),
        ("last_reviewed: yesterday", "wrong-type"),
        ("pearls: [" + "9" * 5000 + "]", "out-of-range"),
        ("pearls: [.inf]", "out-of-range"),
        ("pearls: [" + "1" * 25 + "]", "out-of-range"),
    ],
    ids=["impossible-day", "year-zero", "not-a-date", "5000-digits", "infinity", "beyond-64-bits"],
)
def test_impossible_values_are_located(replace: str, code: str) -> None:
    field = replace.split(":")[0]
    text = "".join(replace + "\n" if line.startswith(field + ":") else line for line in CLEAN.read_text().splitlines(keepends=True))
    assert replace in text
    loaded = load_text(text, "procedure", "x.yaml", "ct-lung-biopsy", Limits())
    assert [p.code for p in loaded.problems] == [code], [p.format() for p in loaded.problems]
    problem = loaded.problems[0]
    assert (problem.line, problem.col) > (1, 1)


def test_huge_counts_do_not_crash_the_rate_check(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    folder.mkdir()
    text = CLEAN.read_text().replace("rate: {percent: 1}", 'rate: {percent: 50, numerator: "' + "1" * 400 + '", denominator: "' + "2" * 400 + '"}')
    (folder / "ct-lung-biopsy.yaml").write_text(text)
    loaded = load_file("procedure", folder / "ct-lung-biopsy.yaml", tmp_path, Limits())
    assert loaded.record is None and loaded.problems


# --------------------------------------------------------------------------- degrade, don't die


BROKEN_SET = ["yaml-syntax.yaml", "unknown-field.yaml", "billion-laughs.yaml", "deep-flow.yaml", "python-tag.yaml", "top-level-list.yaml"]


@pytest.fixture
def damaged_kb(kb_dir: Path) -> Path:
    """The test knowledge base with several broken records among the good ones."""
    from .conftest import BROKEN

    for name in BROKEN_SET:
        shutil.copy(BROKEN / "procedures" / name, kb_dir / "procedures" / name)
    (kb_dir / "procedures" / "binary.yaml").write_bytes(bytes(range(256)))
    return kb_dir


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (("list", "-f", "json"), "ct-lung-biopsy"),
        (("list", "--modality", "ct", "--no-live"), "ct-lung-biopsy"),
        (("show", "ct-lung-biopsy"), "CT-guided lung biopsy"),
        (("search", "lung biopsy"), "ct-lung-biopsy"),
        (("stats", "-f", "json"), '"procedure"'),
    ],
    ids=lambda a: "-".join(a) if isinstance(a, tuple) else None,
)
def test_read_commands_answer_from_the_valid_records(run: Run, damaged_kb: Path, args: tuple[str, ...], expect: str) -> None:
    result = run("--data-dir", str(damaged_kb), *args)
    assert result.exit_code == 0, result
    assert expect in result.stdout
    assert "7 file(s) could not be loaded" in result.stderr and "irkb validate" in result.stderr
    assert "Traceback" not in result.stderr


def test_read_commands_degrade_through_the_installed_entry_point(damaged_kb: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "irkb", "--data-dir", str(damaged_kb), "list", "-f", "json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ct-lung-biopsy" in [r["id"] for r in json.loads(done.stdout)]
    assert "could not be loaded" in done.stderr


def test_validate_still_reports_everything(run: Run, damaged_kb: Path) -> None:
    result = validate(run, damaged_kb, "-f", "json")
    assert result.exit_code == 1
    envelope = json.loads(result.stdout)
    files = {Path(p["path"]).name for p in envelope["problems"] if p["level"] == "error"}
    assert {*BROKEN_SET, "binary.yaml"} <= files
    assert envelope["summary"]["records"] > 20


# --------------------------------------------------------------------------- no traceback reaches a user


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("simulated bug")


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("irkb.query.filters.select_procedures", ("list",)),
        ("irkb.query.fulltext.search", ("search", "biopsy")),
        ("irkb.query.comparison.compare", ("compare", "vertebroplasty", "kyphoplasty")),
        ("irkb.kb.load_for_checking", ("validate",)),
    ],
    ids=["list", "search", "compare", "validate"],
)
def test_an_internal_error_is_one_line_and_exit_70(run: Run, monkeypatch: pytest.MonkeyPatch, target: str, args: tuple[str, ...]) -> None:
    monkeypatch.setattr(target, _boom)
    result = run("--data-dir", str(MINI_KB), *args)
    assert result.exit_code == 70, result
    assert result.stderr.strip().count("\n") == 0, "one line"
    assert result.stderr.startswith("irkb: internal error: RuntimeError: simulated bug") and "--debug" in result.stderr
    assert "Traceback" not in result.stderr
    debug = run("--data-dir", str(MINI_KB), "--debug", *args)
    assert debug.exit_code == 70
    assert "Traceback" in debug.stderr and "simulated bug" in debug.stderr


def test_an_internal_error_on_the_fast_path(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from irkb.cli import fast as fastpath

    monkeypatch.setattr("irkb.query.filters.select_procedures", _boom)
    assert fastpath.run(["--data-dir", str(MINI_KB), "list", "-f", "json"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("irkb: internal error: RuntimeError") and "Traceback" not in err
    assert fastpath.run(["--data-dir", str(MINI_KB), "--debug", "list"]) == 70
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("recorded", [False, True])
@pytest.mark.parametrize("args", [("--data-dir", str(MINI_KB), "list", "-f", "json"), ("show", "--help")])
def test_a_full_disk_behind_stdout_is_one_line_not_a_bug_report(args: tuple[str, ...], recorded: bool) -> None:
    command = [sys.executable, "-m", "irkb", *args]
    if recorded:  # a help page served from the cache, a query from a warm catalog
        subprocess.run(command, capture_output=True, timeout=60, check=True)
    with open("/dev/full", "w") as full:
        result = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 70
    assert result.stderr == "irkb: system error: No space left on device\n"


# --------------------------------------------------------------------------- writers lose nothing


ORIGINAL = "id: keep-me\nname: The curator's careful work\n"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "record.yaml")


class FullDisk:
    """A file handle whose writes fail as on a full disk."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def test_full_disk_during_an_atomic_write_keeps_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "record.yaml"
    target.write_text(ORIGINAL)
    with pytest.raises(OSError) as caught, atomic.replacing(target) as tmp, FullDisk(open(tmp, "w")) as handle:
        handle.write("id: keep-me\nname: half a new vers")
    assert caught.value.errno == errno.ENOSPC
    assert target.read_text() == ORIGINAL
    assert _leftovers(tmp_path) == [], "no temporary file left behind"


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failing_flush_or_rename_keeps_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    target = tmp_path / "record.yaml"
    target.write_text(ORIGINAL)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, failing, fail)
    with pytest.raises(OSError):
        atomic.write_bytes(target, b"id: replaced\n")
    monkeypatch.undo()
    assert target.read_text() == ORIGINAL
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [ValueError("a bug in the formatter"), KeyboardInterrupt()])
def test_an_exception_inside_an_atomic_write_keeps_the_original(tmp_path: Path, error: BaseException) -> None:
    target = tmp_path / "record.yaml"
    target.write_text(ORIGINAL)
    with pytest.raises(type(error)), atomic.replacing(target) as tmp:
        tmp.write_text("id: half")
        raise error
    assert target.read_text() == ORIGINAL
    assert _leftovers(tmp_path) == []


def test_an_atomic_write_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "record.yaml"
    target.write_text(ORIGINAL)
    target.chmod(0o640)
    atomic.write_text(target, "id: new\n")
    assert target.read_text() == "id: new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- the cache


def _cache_files() -> list[Path]:
    return sorted(Path(os.environ["IRKB_CACHE_DIR"]).glob("*.sqlite"))


def _answer(run: Run, kb_dir: Path) -> tuple[str, str]:
    listed = run("--data-dir", str(kb_dir), "list", "-f", "json")
    found = run("--data-dir", str(kb_dir), "complications", "--sort", "rate", "-f", "json")
    assert listed.exit_code == 0 and found.exit_code == 0, (listed, found)
    return listed.stdout, found.stdout


@pytest.mark.parametrize("damage", ["whole", "after-header", "truncated", "one-table"])
def test_a_corrupt_cache_is_rebuilt(run: Run, kb_dir: Path, damage: str) -> None:
    expected = _answer(run, kb_dir)
    (cache,) = _cache_files()
    with sqlite3.connect(cache) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        # the table the filters read: damage there is found only by a later query, not on opening
        facts_page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'procedures'").fetchone()[0]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in cache.parent.glob(cache.name + "-*"):
        extra.unlink()  # as after a crash: the main file alone, damaged
    data = cache.read_bytes()
    noise = random.Random(damage).randbytes(len(data))
    if damage == "whole":
        cache.write_bytes(noise)
    elif damage == "after-header":
        cache.write_bytes(data[:100] + noise[100:])
    elif damage == "truncated":
        cache.write_bytes(data[: len(data) // 3])
    else:
        start = (facts_page - 1) * page_size
        cache.write_bytes(data[:start] + noise[start : start + page_size] + data[start + page_size :])
    assert _answer(run, kb_dir) == expected
    assert validate(run, kb_dir).exit_code == validate(run, MINI_KB).exit_code


def test_a_cache_from_another_version_is_rebuilt(run: Run, kb_dir: Path) -> None:
    expected = _answer(run, kb_dir)
    (cache,) = _cache_files()
    with sqlite3.connect(cache) as db:
        current = db.execute("SELECT value FROM meta WHERE key = 'code'").fetchone()[0]
        db.execute("UPDATE meta SET value = 'irkb-0.0.0-other' WHERE key = 'code'")
        db.execute("UPDATE procedures SET name = 'stale name from an old version'")
    assert _answer(run, kb_dir) == expected
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'code'").fetchone()[0] == current
        assert db.execute("SELECT count(*) FROM procedures WHERE name LIKE 'stale%'").fetchone()[0] == 0


def test_two_processes_refreshing_at_once_agree(kb_dir: Path) -> None:
    command = [sys.executable, "-m", "irkb", "--data-dir", str(kb_dir), "list", "-f", "json"]
    expected = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    target = kb_dir / "procedures" / "tips.yaml"
    original = target.read_text()
    for round_ in range(1, 4):
        # every file touched, and one edited, so both processes find work to do
        stamp = time.time() + round_
        for path in kb_dir.glob("*/*.yaml"):
            os.utime(path, (stamp, stamp))
        target.write_text(original.replace("name: ", "name: " + "x" * round_, 1))
        first, second = (subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2))
        out1, err1 = first.communicate(timeout=60)
        out2, err2 = second.communicate(timeout=60)
        assert (first.returncode, second.returncode) == (0, 0), (err1, err2)
        assert out1 == out2, "both processes give the same answer"
        assert "x" * round_ + "Transjugular" in out1, "and it is the new one"
        assert "Traceback" not in err1 + err2
    target.write_text(original)
    assert subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout == expected


# --------------------------------------------------------------------------- documented


def test_readme_states_every_limit_and_what_a_breach_gives() -> None:
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Limits on input") :]
    section = section[: section.index("\n## ", 5)]
    defaults = Limits()
    for variable, shown in (
        ("IRKB_MAX_FILE_BYTES", f"{defaults.max_file_bytes:,}"),
        ("IRKB_MAX_DEPTH", f"{defaults.max_depth} levels"),
        ("IRKB_MAX_RECORDS", f"{defaults.max_records:,}"),
    ):
        assert f"`{variable}`" in section and shown in section, variable
    for code in (
        "file-too-large",
        "too-deep",
        "too-many-records",
        "yaml-alias",
        "yaml-tag",
        "duplicate-key",
        "invalid-utf8",
        "symlink-outside",
        "wrong-extension",
    ):
        assert f"`{code}`" in section, code
