"""Where a command's answer goes: stdout (paged on a terminal when long), as rich output or text."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from ..vocab import Format
from .runtime import Color, State


def rich_out(state: State, fmt: Format) -> bool:
    """Rich rendering: table format, and a terminal (or --color always)."""
    from ..view.terminal import use_rich

    return fmt == Format.TABLE and use_rich(sys.stdout, state.color == Color.ALWAYS)


def show_rich(state: State, renderable: Any, *, page: bool = False) -> None:
    """Print a rich renderable on stdout, coloured as --color / NO_COLOR say, paged when long."""
    from ..view.terminal import render

    render(renderable, state.use_color(sys.stdout.isatty()), page=page and state.pager)


def out(state: State, text: str, *, page: bool = False) -> None:
    """Write data to stdout (paged on a terminal when long and ``page``)."""
    from ..view.terminal import emit

    emit(text, page=page and state.pager)


def out_chunks(chunks: Iterable[str]) -> None:
    """Write data to stdout a piece at a time (never paged): output that may be large is never
    held whole."""
    stream = sys.stdout
    for chunk in chunks:
        stream.write(chunk)
    stream.flush()


def width() -> int:
    """The terminal's columns (for choosing a table or a stacked layout)."""
    from ..view.terminal import terminal_width

    return terminal_width()
