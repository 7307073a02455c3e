"""Recorded help pages: served only for exactly the key they were rendered under, byte for byte
what Typer prints, and never for a run that failed."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from irkb import helpcache

IRKB = [sys.executable, "-m", "irkb"]


def _irkb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*IRKB, *args], capture_output=True, timeout=60, env={**os.environ, **(env or {})})


def _pages() -> list[Path]:
    folder = Path(os.environ["IRKB_CACHE_DIR"]) / "help"
    return sorted(folder.glob("*.txt")) if folder.is_dir() else []


@pytest.mark.parametrize("args", [("--help",), ("list", "--help"), ("export", "-h")])
def test_a_recorded_page_is_what_typer_prints(args: tuple[str, ...]) -> None:
    first = _irkb(*args)
    assert first.returncode == 0 and first.stderr == b"", first
    assert len(_pages()) == 1, "the first run records the page"
    second = _irkb(*args)
    fresh = _irkb(*args, env={"IRKB_NO_CACHE": "1"})
    assert first.stdout == second.stdout == fresh.stdout
    assert first.stdout.startswith(b"Usage: ")


def test_a_page_depends_on_the_terminal_width() -> None:
    narrow = _irkb("show", "--help", env={"COLUMNS": "60"})
    wide = _irkb("show", "--help", env={"COLUMNS": "120"})
    assert narrow.stdout != wide.stdout
    assert narrow.stdout.count(b"\n") > wide.stdout.count(b"\n"), "wrapped to fit"
    assert len(_pages()) == 2
    for columns, page in (("60", narrow), ("120", wide)):
        again = _irkb("show", "--help", env={"COLUMNS": columns})
        assert again.stdout == page.stdout == _irkb("show", "--help", env={"COLUMNS": columns, "IRKB_NO_CACHE": "1"}).stdout


def _on_a_terminal(columns: int, *args: str, env: dict[str, str] | None = None) -> bytes:
    """Run irkb with stdout on a pseudo-terminal ``columns`` wide; what it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([*IRKB, *args], stdout=slave, stderr=subprocess.DEVNULL, env={**environ, **(env or {})})
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return out


@pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")), reason="needs a pseudo-terminal")
def test_a_page_on_a_terminal_follows_its_width() -> None:
    pages = []
    for columns in (64, 110):
        recorded = _on_a_terminal(columns, "list", "--help")
        served = _on_a_terminal(columns, "list", "--help")
        fresh = _on_a_terminal(columns, "list", "--help", env={"IRKB_NO_CACHE": "1"})
        assert recorded == served == fresh
        pages.append(recorded)
    assert pages[0] != pages[1], "laid out for each width"
    assert len(_pages()) == 2


def test_a_failed_help_run_is_not_recorded() -> None:
    result = _irkb("nosuch", "--help")
    assert result.returncode == 2 and b"No such command" in result.stderr
    assert _pages() == []


def test_a_damaged_or_foreign_page_is_ignored_and_replaced() -> None:
    good = _irkb("--help").stdout
    (page,) = _pages()
    page.write_bytes(b"something else\0Usage: forged\n")
    assert _irkb("--help").stdout == good
    page.write_bytes(b"\xff\xfe not even text")
    assert _irkb("--help").stdout == good
    assert page.read_bytes().endswith(good)


def test_the_key_covers_code_arguments_environment_and_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    base = helpcache.key(["--help"])
    assert base is not None and base == helpcache.key(["--help"])
    assert helpcache.key(["list", "--help"]) != base
    monkeypatch.setenv("COLUMNS", "71")
    assert helpcache.key(["--help"]) != base
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setenv("PWD", "/somewhere/else")  # changes at every cd, cannot change a page
    assert helpcache.key(["--help"]) == base
    source = Path(helpcache.__file__).parent / "cli" / "read.py"
    st = source.stat()
    try:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert helpcache.key(["--help"]) != base, "an edited command module is a new page"
    finally:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], True),
        (["-h"], True),
        (["list", "--help"], True),
        (["list", "--modality", "ct", "--help"], False),
        (["--data-dir", "--help"], False),
        (["../x", "--help"], False),
        ([], False),
        (["list"], False),
    ],
)
def test_only_plain_help_requests_use_recorded_pages(argv: list[str], expected: bool) -> None:
    assert helpcache.is_help_request(argv) is expected
