"""The one progress bar: on stderr, only when stderr is a terminal, only for long work."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Update = Callable[[int, int], None]


class _Bar:
    """A rich bar started on the first update that reaches ``minimum``."""

    def __init__(self, label: str, minimum: int) -> None:
        self.label, self.minimum = label, minimum
        self.bar: Any = None
        self.task: Any = None

    def update(self, done: int, total: int) -> None:
        if total < self.minimum:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task(self.label, total=total)
            self.bar.start()
        self.bar.update(self.task, completed=done)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def progress(label: str, *, minimum: int = 200) -> Iterator[Update | None]:
    """``update(done, total)`` for a rich bar on stderr (None when stderr is not a terminal).

    The bar appears once ``total`` reaches ``minimum`` and is removed when the block ends.
    """
    if sys.stderr is None or not sys.stderr.isatty():
        yield None
        return
    bar = _Bar(label, minimum)
    try:
        yield bar.update
    finally:
        bar.stop()
