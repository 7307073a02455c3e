"""Help pages kept once rendered, so ``irkb --help`` answers without importing Typer.

Typer builds a click object for every command and lays the page out on each ``--help``, which
is most of the time ``irkb --help`` takes. A help page is a pure function of the code (irkb's and
the CLI libraries'), the arguments, the environment and the terminal. The first run renders it
with Typer as usual and records it under a key made of all of these; later runs print the
recorded page after checking the full key, and import nothing else. Anything unusual (another
exit code, output on stderr, a stdout that is not UTF-8, caching turned off) goes to Typer as
before and is not recorded.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: a recorded page is printed without importing typing or pathlib
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import TextIO

HELP_FLAGS = ("--help", "-h")
# Variables that change from one shell prompt to the next and cannot change a help page.
VOLATILE = frozenset({"PWD", "OLDPWD", "SHLVL", "_"})
LIBRARIES = ("typer", "click", "rich", "shellingham")
KEEP = 200  # recorded pages; the oldest go first
_SEP = "\0"


def cache_root() -> str | None:
    """Where irkb keeps its caches, or None when caching is off (``IRKB_NO_CACHE``)."""
    if os.environ.get("IRKB_NO_CACHE"):
        return None
    override = os.environ.get("IRKB_CACHE_DIR")
    if override:
        return override
    from platformdirs import user_cache_dir

    return str(user_cache_dir("irkb", appauthor=False))


def cache_dir() -> Path | None:
    """``cache_root`` as a path."""
    from pathlib import Path

    root = cache_root()
    return Path(root) if root is not None else None


def is_help_request(argv: Sequence[str]) -> bool:
    """``irkb --help`` or ``irkb COMMAND --help`` (``-h`` too), with nothing else on the line."""
    return 1 <= len(argv) <= 2 and argv[-1] in HELP_FLAGS and all(a.isidentifier() for a in argv[:-1])


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:-"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _terminal(fd: int) -> str:
    try:
        return f"{fd}:tty:{os.get_terminal_size(fd).columns}"  # the lines never change a page
    except OSError:
        return f"{fd}:{os.isatty(fd)}"


def key(argv: Sequence[str]) -> str | None:
    """Everything the page depends on, as one string; None when the page should not be cached."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if encoding != "utf8":
        return None
    from importlib.machinery import PathFinder

    here = os.path.dirname(os.path.realpath(__file__))
    parts: list[str] = [sys.version, sys.executable, repr(list(argv))]
    for folder in (here, os.path.join(here, "cli")):
        with os.scandir(folder) as entries:
            parts += sorted(_stamp(e.path) for e in entries if e.name.endswith(".py"))
    for name in LIBRARIES:
        spec = PathFinder.find_spec(name)
        parts.append(_stamp(spec.origin) if spec is not None and spec.origin else f"{name}:-")
    parts += [_terminal(fd) for fd in (0, 1, 2)]
    parts += [f"{k}={v}" for k, v in sorted(os.environ.items()) if k not in VOLATILE]
    return repr(parts)


def _page_path(directory: str, page_key: str) -> str:
    import zlib

    return os.path.join(directory, "help", f"{zlib.crc32(page_key.encode('utf-8', 'surrogateescape')):08x}.txt")


def serve(argv: Sequence[str]) -> bool:
    """Print the recorded page for ``argv`` if there is one for exactly this key."""
    directory = cache_root()
    page_key = key(argv) if directory is not None else None
    if directory is None or page_key is None:
        return False
    try:
        with open(_page_path(directory, page_key), encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except (OSError, UnicodeError):
        return False
    stored_key, sep, page = text.partition(_SEP)
    if not sep or stored_key != page_key or not page:
        return False
    _emit(sys.stdout, page)
    return True


def _emit(stream: TextIO, page: str) -> None:
    """Write a page to stdout as the CLI would: quiet when the reader left, one line on a failure."""
    try:
        stream.write(page)
        stream.flush()
    except BrokenPipeError:
        from .runtime import quiet_broken_pipe

        quiet_broken_pipe()
    except OSError as exc:
        from .runtime import report_internal_error

        sys.exit(report_internal_error(exc))


class _Capture:
    """Stands in for stdout while Typer renders: keeps the text, answers like the real stream."""

    def __init__(self, real: TextIO) -> None:
        self._real = real
        self.parts: list[str] = []
        self.encoding = "utf-8"
        self.errors = getattr(real, "errors", "strict")

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # as a text stream does (click probes with b"")
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.parts.append(text)
        return len(text)

    def writelines(self, lines: Sequence[str]) -> None:
        self.parts.extend(lines)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return self._real.isatty()

    def fileno(self) -> int:
        return self._real.fileno()

    def writable(self) -> bool:
        return True


def render(argv: Sequence[str], run: Callable[[], None]) -> None:
    """Run Typer's help through ``run`` and record the page (always ends with SystemExit)."""
    directory = cache_root()
    page_key = key(argv) if directory is not None else None
    if directory is None or page_key is None:
        run()
        return
    real_out, real_err = sys.stdout, sys.stderr
    capture, watch = _Capture(real_out), _Watch(real_err)
    code: object = 0
    sys.stdout, sys.stderr = capture, watch
    try:
        run()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    page = "".join(capture.parts)
    _emit(real_out, page)
    if code in (0, None) and page and not watch.written:
        _store(directory, page_key, page)
    raise SystemExit(code)


class _Watch:
    """Passes everything through to stderr, noting whether anything was written."""

    def __init__(self, real: TextIO) -> None:
        self._real = real
        self.written = False

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        return self._real.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


def _store(directory: str, page_key: str, page: str) -> None:
    """Record a page atomically; a cache that cannot be written is only a slower next run."""
    from pathlib import Path

    from .atomic import write_bytes

    path = Path(_page_path(directory, page_key))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, (page_key + _SEP + page).encode("utf-8", "surrogateescape"))
        pages = sorted(path.parent.glob("*.txt"), key=lambda p: p.stat().st_mtime_ns)
        for old in pages[: max(0, len(pages) - KEEP)]:
            old.unlink()
    except OSError:
        pass
