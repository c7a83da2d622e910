"""How a long job (an import, the monthly dispatch) tells whoever watches how far it is, without printing anything
itself: the command line passes a terminal progress bar (cli/progress.py), everything else passes SILENT."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def step(self, description: str, total: int | None) -> None:
        """A new step: `total` in the unit `show` counts (bytes of a file, bills), None while it cannot be told."""

    def show(self, completed: int) -> None: ...

    def advance(self, steps: int) -> None: ...


class _Silent:
    def step(self, description: str, total: int | None) -> None:
        pass

    def show(self, completed: int) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass


SILENT: Progress = _Silent()
