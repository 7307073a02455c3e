"""The fast path answers exactly as the Typer CLI does, and hands everything else to Typer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from irkb import fastpath

from .conftest import MINI_KB, Result

KB = ("--data-dir", str(MINI_KB))


def _fast(*args: str) -> Result | None:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = fastpath.run(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return None if code is None else Result(code, stdout, stderr)


CASES = [
    ("list",),
    ("list", "--modality", "ct", "--no-live", "-f", "json"),
    ("list", "--modality=CT", "--live", "--format=jsonl"),
    ("list", "-m", "fluoroscopy", "-m", "ct", "-f", "csv"),
    ("list", "--radiation", "--category", "biopsy", "-f", "yaml"),
    ("list", "--no-radiation", "--purpose", "diagnostic", "-f", "markdown"),
    ("list", "--access", "CFA", "--complication", "bleeding"),
    ("list", "--modality", "ct", "--role", "adjunct"),
    ("list", "--family", "vertebroplasty", "-f", "json"),
    ("list", "modalities", "-f", "json"),
    ("list", "sources"),
    ("list", "--modality", "ctt"),
    ("list", "--modality", "ctt", "-f", "json"),
    ("list", "--system", "thoracic", "--modality", "mri"),
    ("show", "tips", "-f", "json"),
    ("show", "TIPSS"),
    ("show", "CFA", "--kind", "access-route", "-f", "yaml"),
    ("show", "rfa", "-f", "json"),
    ("show", "rfa"),
    ("show", "vertebroplsty"),
    ("show", "vertebroplsty", "-f", "json"),
    ("compare", "vertebroplasty", "kyphoplasty", "-f", "json"),
    ("compare", "vertebroplasty", "kyphoplasty"),
    ("compare", "vertebroplasty", "ultrasound"),
    ("search", "lung biopsy", "-f", "json"),
    ("search", "femoral", "--limit", "2"),
    ("search", "femoral", "-k", "access-route", "-f", "csv"),
    ("complications", "--sort", "rate", "-f", "json"),
    ("complications", "--min-rate", "10", "--rate-kind", "observed"),
    ("complications", "-p", "vertebroplasty", "-c", "haemorrhage", "-f", "csv"),
    ("stats", "-f", "json"),
    ("stats",),
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a))
def test_fast_path_matches_the_typer_cli(args: tuple[str, ...], run: Callable[..., Result]) -> None:
    fast = _fast(*KB, *args)
    assert fast is not None, "the fast path should handle this"
    slow = run(*KB, *args)
    assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--help"),
        ("--help",),
        ("--version",),
        ("list", "--category", "surgery"),
        ("list", "--format", "xml"),
        ("list", "--unknown"),
        ("list", "mods"),
        ("show",),
        ("show", "a", "b"),
        ("compare", "tips"),
        ("search", "x", "--limit", "-1"),
        ("complications", "--min-rate", "120"),
        ("validate",),
        ("schema", "--check"),
        ("--color", "purple", "list"),
        ("list", "--live=yes"),
        ("-x", "list"),
    ],
    ids=lambda a: " ".join(a),
)
def test_fast_path_hands_everything_else_to_typer(args: tuple[str, ...]) -> None:
    assert fastpath.parse([*KB, *args]) is None


def test_fast_path_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRKB_NO_FAST_PATH", "1")
    assert fastpath.run([*KB, "list"]) is None


def test_fast_path_options_mirror_the_typer_commands() -> None:
    """Every option a handled Typer command declares is known to the fast path, and no more."""
    import typer.main

    from irkb.cli import (
        app,
        commands,  # noqa: F401
    )

    specs = fastpath._specs()
    group = typer.main.get_command(app)
    for name, (options, _, _) in specs.items():
        command = group.commands[name]  # type: ignore[attr-defined]
        typer_names = set()
        for param in command.params:
            if param.param_type_name == "option":
                typer_names.update(param.opts)
                typer_names.update(param.secondary_opts)
        fast_names = {n for o in options for n in o.names}
        assert fast_names == typer_names - {"--help", "-h"}, name
    root_options = {o for p in group.params if p.param_type_name == "option" for o in p.opts}
    assert set(fastpath.GLOBAL_OPTIONS) | set(fastpath.GLOBAL_FLAGS) <= root_options


LEAN_PROBE = """
import os
import subprocess
import sys
from irkb.entry import main
sys.argv = ["irkb", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"ruamel", "pydantic", "pydantic_core", "rich", "typer", "click", "yaml", "rapidfuzz"})
print(" ".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("list", "--modality", "ct", "--no-live", "--format", "json"), set()),
        (("list",), set()),  # a table on a pipe is plain text: no rich
        (("show", "tips", "-f", "json"), set()),
        (("search", "nephrostmy", "-f", "json"), {"rapidfuzz"}),
        (("--help",), set()),  # recorded by the warm-up run
        (("--version",), set()),
    ],
)
def test_a_warm_run_imports_only_what_it_needs(args: tuple[str, ...], allowed: set[str]) -> None:
    command = [sys.executable, "-c", LEAN_PROBE, *args]
    env = {**os.environ, "IRKB_DATA_DIR": str(MINI_KB)}
    subprocess.run(command, capture_output=True, timeout=60, env=env, check=True)  # warm the cache
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=True)
    imported = set(result.stderr.strip().splitlines()[-1].split()) if result.stderr.strip() else set()
    assert imported <= allowed, f"{' '.join(args)} imported {sorted(imported - allowed)}"
