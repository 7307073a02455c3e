"""One declaration, two routes: the fast route is generated from the Typer app and answers exactly
as Typer does; whatever it is not certain of, it hands to Typer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from irkb.cli import fast
from irkb.cli.spec import SPEC_FILE, render

from .conftest import MINI_KB, Result

KB = ("--data-dir", str(MINI_KB))


def _route(fast_route: bool, argv: list[str]) -> Result:
    """Run argv in-process through one route only (the fast one must accept it)."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code: int | None
        try:
            if fast_route:
                code = fast.run(argv)
                assert code is not None
            else:
                from irkb.cli.app import main

                code = 0
                main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(int(code), out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


def test_the_fast_table_is_generated_from_the_typer_app() -> None:
    """spec.json is what the app declares today (regenerate with 'python -m irkb.cli.spec')."""
    assert SPEC_FILE.read_text(encoding="utf-8") == render()


def test_every_read_command_has_a_fast_route() -> None:
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    assert set(spec["commands"]) == {"list", "show", "compare", "search", "complications", "outcomes", "stats", "vocab", "validate"}


# --------------------------------------------------------------------------- the property


WORDS = ["tips", "TIPSS", "vertebroplasty", "kyphoplasty", "rfa", "ct", "CT", "US", "femoral", "lung biopsy", "zzz", "-", "haemorrhage", "pneumothorax"]
VALUES = ["3", "0", "-1", "=3", "03", "1.5", "120", "nan", "json", "csv", "yaml", "table", "markdown", "jsonl", "xml", "procedure", "access-route", "rate"]
VALUES += [
    "observed",
    "threshold",
    "primary",
    "biopsy",
    "embolization",
    "thoracic",
    "diagnostic",
    "ct",
    "mri",
    "procedures",
    "modalities",
    "",
    "never",
    "always",
]


def _option_tokens(spec: dict[str, Any], command: str) -> st.SearchStrategy[list[str]]:
    """One option of the command (or a global one, or an unknown one), in any spelling click accepts or refuses."""
    params = [p for p in spec["commands"][command]["params"] if p["kind"] == "option"] + [p for p in spec["root"] if not p["eager"]]
    names = [n for p in params for n in [*p["opts"], *p["secondary"]]]
    flags = {n for p in params if p["flag"] for n in [*p["opts"], *p["secondary"]]}

    def spell(name: str, value: str, style: int) -> list[str]:
        if name in flags:
            return [name] if style else [f"{name}={value}"]
        if style == 0:
            return [f"{name}={value}"]
        if style == 1 and not name.startswith("--"):
            return [f"{name}{value}"]
        return [name, value] if style != 3 else [name]

    unknown = st.sampled_from(["--bogus", "-x", "--limit3", "--help", "-h", "--version", "--"])
    known = st.builds(spell, st.sampled_from(names), st.sampled_from(VALUES), st.integers(0, 3))
    return st.one_of(known, unknown.map(lambda t: [t]))


@st.composite
def argvs(draw: Any) -> list[str]:
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    command = draw(st.sampled_from(sorted(spec["commands"])))
    parts: list[list[str]] = [[w] for w in draw(st.lists(st.sampled_from(WORDS), max_size=3))]
    parts += draw(st.lists(_option_tokens(spec, command), max_size=4))
    order = draw(st.permutations(parts))
    args = [token for part in order for token in part]
    if command == "list" and draw(st.booleans()):
        args = [draw(st.sampled_from(["procedures", "modalities", "sources", "mods"])), *args]
    return [*KB, command, *args]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=argvs())
def test_both_routes_give_the_same_answer(argv: list[str]) -> None:
    """For any command line of a read command, the fast route (when it answers) equals Typer's."""
    if fast.resolve(argv, fast._load_spec()) is None:
        return  # Typer's to answer: nothing to compare
    quick, typer_route = _route(True, argv), _route(False, argv)
    assert (quick.exit_code, quick.stdout, quick.stderr) == (typer_route.exit_code, typer_route.stdout, typer_route.stderr), argv


@pytest.mark.parametrize(
    "args",
    [
        ("search", "lung", "-n=3"),  # click reads '=3' as the value: Typer refuses it, so must the fast route
        ("search", "lung", "-n3"),
        ("search", "lung", "--limit=3"),
        ("list", "--modality=CT", "--no-live", "--format=jsonl"),
        ("list", "-m", "ct", "-m", "fluoroscopy", "-f", "csv"),
        ("list", "--live", "--no-live"),
        ("complications", "--min-rate", "10", "--rate-kind", "observed"),
        ("complications", "--min-rate", "120"),
        ("show", "tips", "--color", "never"),  # a global option after the command
        ("show", "uterine", "fibroid", "embolisation"),
        ("list", "--category", "embolization"),
        ("--color", "purple", "list"),
        ("list", "--unknown"),
        ("show",),
        ("validate",),
        ("validate", "-f", "json", "--strict"),
        ("validate", str(MINI_KB / "procedures" / "tips.yaml"), "--errors-only"),
        ("validate", str(MINI_KB / "procedures"), "--select", "missing-recommended", "--select", "id-mismatch"),
        ("validate", "no/such/file.yaml", "--ignore", "missing-recommended", "-f", "github"),
        ("validate", "-f", "xml"),
    ],
    ids=lambda a: " ".join(a),
)
def test_edge_spellings_agree(args: tuple[str, ...]) -> None:
    argv = [*KB, *args]
    typer_route = _route(False, argv)
    if fast.resolve(argv, fast._load_spec()) is not None:
        quick = _route(True, argv)
        assert (quick.exit_code, quick.stdout, quick.stderr) == (typer_route.exit_code, typer_route.stdout, typer_route.stderr)


def test_data_dir_given_as_a_file_is_one_message_on_both_routes(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    for argv in (["--data-dir", str(afile), "list"], ["--data-dir", "", "list"], ["list", "--data-dir", str(afile)]):
        quick, typer_route = _route(True, argv), _route(False, argv)
        assert quick.exit_code == typer_route.exit_code == 2
        assert (quick.stderr == typer_route.stderr and "data directory" in quick.stderr) or "--data-dir is empty" in quick.stderr


@pytest.mark.parametrize("args", [("list", "--help"), ("--help",), ("--version",), ("schema",), ("list", "-h"), ("--install-completion",)])
def test_help_completion_and_other_commands_go_to_typer(args: tuple[str, ...]) -> None:
    assert fast.resolve([*KB, *args], fast._load_spec()) is None


def test_the_fast_route_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRKB_NO_FAST_PATH", "1")
    assert fast.run([*KB, "list"]) is None


# --------------------------------------------------------------------------- what a run imports and writes

LEAN_PROBE = """
import sys
from irkb.entry import main
sys.argv = ["irkb", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"ruamel", "pydantic", "pydantic_core", "rich", "typer", "click", "yaml", "rapidfuzz"})
print("imported:", *heavy, file=sys.stderr)
"""


def _imported(stderr: str) -> set[str]:
    """The heavy libraries ``LEAN_PROBE`` reported (its last line of stderr)."""
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("imported:"), stderr
    return set(line.split()[1:])


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("list", "--modality", "ct", "--no-live", "--format", "json"), set()),
        (("list",), set()),  # a table on a pipe is plain text: no rich
        (("show", "tips", "-f", "json"), set()),
        (("complications", "-c", "haemorrhage", "-f", "json"), set()),
        (("search", "nephrostmy", "-f", "json"), {"rapidfuzz"}),
        (("--version",), set()),
        (("validate",), set()),  # a curator's check after each edit: the stored problems, no models
        (("validate", "-f", "json"), set()),
    ],
)
def test_a_warm_run_imports_only_what_it_needs(args: tuple[str, ...], allowed: set[str]) -> None:
    command = [sys.executable, "-c", LEAN_PROBE, *args]
    env = {**os.environ, "IRKB_DATA_DIR": str(MINI_KB)}
    subprocess.run(command, capture_output=True, timeout=60, env=env, check=True)  # warm the cache
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=True)
    imported = _imported(result.stderr)
    assert imported <= allowed, f"{' '.join(args)} imported {sorted(imported - allowed)}"


def test_a_run_after_editing_a_file_checks_it_without_importing_pydantic(kb_dir: Path) -> None:
    command = [sys.executable, "-c", LEAN_PROBE, "list", "--modality", "ct", "--format", "json"]
    env = {**os.environ, "IRKB_DATA_DIR": str(kb_dir)}
    subprocess.run(command, capture_output=True, timeout=60, env=env, check=True)  # the cold build
    path = kb_dir / "procedures" / "ct-lung-biopsy.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nname: ", "\nname: Edited ", 1), encoding="utf-8")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=True)
    assert {p["id"]: p["name"] for p in json.loads(result.stdout)}["ct-lung-biopsy"].startswith("Edited ")
    assert _imported(result.stderr) <= {"ruamel", "pydantic_core"}, result.stderr  # the YAML parser and the compiled validator

    path.write_text(path.read_text(encoding="utf-8").replace("\nname: Edited ", "\nnot_a_field: 1\nname: ", 1), encoding="utf-8")
    broken = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert "ct-lung-biopsy" not in {p["id"] for p in json.loads(broken.stdout)}  # an invalid record is never served
    assert "pydantic" in _imported(broken.stderr)  # its problems come from the models, word for word


def test_help_writes_nothing_from_the_environment_to_disk(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "IRKB_CACHE_DIR": str(cache), "TOKEN": "secret-value-42", "IRKB_DATA_DIR": str(MINI_KB)}
    for args in (["--help"], ["list", "--help"], ["list"], ["show", "tips"]):
        subprocess.run([sys.executable, "-m", "irkb", *args], capture_output=True, timeout=60, env=env, check=False)
    for path in cache.rglob("*") if cache.exists() else []:
        if path.is_file():
            assert b"secret-value-42" not in path.read_bytes(), path
            assert b"TOKEN" not in path.read_bytes(), path
