"""Shared fixtures: a small self-contained knowledge base, and a CLI runner."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"
MINI_KB = FIXTURES / "kb"
BROKEN = FIXTURES / "broken"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A writable copy of the test knowledge base."""
    target = tmp_path / "kb"
    shutil.copytree(MINI_KB, target)
    return target


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "IRKB_DATA_DIR",
        "NO_COLOR",
        "IRKB_MAX_FILE_BYTES",
        "IRKB_MAX_DEPTH",
        "IRKB_MAX_RECORDS",
        "IRKB_DEBUG",
        "IRKB_NO_FAST_PATH",
        "PAGER",
        "IRKB_PAGER",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def shared_cache(_clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """One cache directory for the whole session, for tests that read the shipped data without
    changing it: the shipped catalog is compiled once, not once per test."""
    monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "shared-cache"))


class Result:
    """What a CLI run gave."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.exit_code = code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Result(exit={self.exit_code}, stdout={self.stdout[:2000]!r}, stderr={self.stderr[:2000]!r})"


Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    """Run ``irkb ARGS`` in-process through the real entry point: the fast route for everyday reads,
    else Typer (error mapping included).

    stdout and stderr are captured separately and are not terminals, as in a pipe.
    """
    from irkb.entry import main

    def invoke(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        code: int = 0
        with runner.isolation(input=input) as (out, err, _):
            argv = sys.argv
            sys.argv = ["irkb", *args]
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            finally:
                sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
            stdout = out.getvalue().decode("utf-8", "replace")
            stderr = err.getvalue().decode("utf-8", "replace")
        return Result(code, stdout, stderr)

    return invoke
