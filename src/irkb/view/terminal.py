"""Everything a person's terminal receives passes through here: text from the data made safe
(``irkb.text``), the rich console (which never reads markup, emoji codes or highlighting from the
text), and the pager."""

from __future__ import annotations

import os
import re
import shutil
import sys
from typing import TYPE_CHECKING, Any

from ..text import UNSAFE, one_line, safe

__all__ = ["console", "emit", "has_unsafe", "one_line", "render", "safe", "terminal_width", "use_rich"]

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


def has_unsafe(text: str) -> re.Match[str] | None:
    """The first character ``safe`` would escape, if any."""
    return UNSAFE.search(text)


def console(color: bool, *, stderr: bool = False, width: int | None = None, record: bool = False) -> Console:
    """A rich console that never reads markup, emoji codes or highlights from the text it prints."""
    from rich.console import Console

    return Console(
        force_terminal=color or None,
        no_color=not color,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
        stderr=stderr,
        width=width,
        record=record,
    )


def pager_command() -> list[str] | None:
    """The pager to use: ``IRKB_PAGER``, else ``PAGER``, else ``less`` when installed; None for none."""
    import shlex

    for name in ("IRKB_PAGER", "PAGER"):
        value = os.environ.get(name)
        if value is not None:
            value = value.strip()
            return shlex.split(value) if value and value != "cat" else None
    less = shutil.which("less")
    return [less] if less else None


def emit(text: str, *, page: bool = False) -> None:
    """Write ``text`` to stdout — through the pager when ``page`` is set, stdout is a terminal and the
    text is taller than the window (as git does; ``--no-pager`` or ``IRKB_PAGER=cat`` turn it off)."""
    out = sys.stdout
    if page and out is not None and out.isatty() and text.count("\n") >= shutil.get_terminal_size().lines - 1:
        command = pager_command()
        if command is not None and _run_pager(command, text):
            return
    out.write(text)
    out.flush()


def _run_pager(command: list[str], text: str) -> bool:
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # quit if one screen, keep colours, leave the text on screen
    env.setdefault("LV", "-c")
    try:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "backslashreplace"))
        proc.stdin.close()
    except BrokenPipeError:
        pass  # the reader quit the pager early
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.wait()
    return True


def render(renderable: RenderableType, color: bool, *, page: bool = False, width: int | None = None) -> None:
    """Print a rich renderable on stdout (paged like ``emit``)."""
    out = console(color, width=width)
    with out.capture() as captured:
        out.print(renderable)
    emit(captured.get(), page=page)


def terminal_width(default: int = 80) -> int:
    """Columns of the terminal behind stdout (``COLUMNS`` wins), else ``default``."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return columns
    except ValueError:
        pass
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return default


def use_rich(stream: Any, color_always: bool) -> bool:
    """Rich rendering: a terminal behind ``stream``, or ``--color always``."""
    return color_always or bool(stream is not None and stream.isatty())
