"""The one progress bar of the command line: drawn while a terminal watches, nothing when the output goes to a file,
a pipe or a test. Services report to it through services.progress.Progress."""

from __future__ import annotations

import logging
import sys
from typing import Any


class TerminalProgress:
    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None
        self._handlers: list[logging.StreamHandler] = []
        if sys.stdout.isatty():
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn('{task.description}'),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                transient=True,
            )

    def __enter__(self) -> TerminalProgress:
        if self._bar:
            self._bar.start()
            # log lines go through rich's stand-in for stderr, above the bar, instead of tearing it
            self._handlers = [
                handler
                for handler in logging.getLogger().handlers
                if type(handler) is logging.StreamHandler and handler.stream is sys.__stderr__
            ]
            for handler in self._handlers:
                handler.setStream(sys.stderr)
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar:
            for handler in self._handlers:
                handler.setStream(sys.__stderr__)
            self._bar.stop()

    def step(self, description: str, total: int | None) -> None:
        if self._bar:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(description, total=total)

    def show(self, completed: int) -> None:
        if self._bar:
            self._bar.update(self._task, completed=completed)

    def advance(self, steps: int) -> None:
        if self._bar:
            self._bar.advance(self._task, steps)
