"""What an import did, as data: per file its kind, status and counts, and the operator's sentences for what went
wrong (cli/imports.py words the rest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal['imported', 'refused', 'unreadable']


@dataclass
class FileReport:
    """What happened to one file; `errors` are `file:line: reason` lines for the operator."""

    path: str
    kind: str | None = None
    status: Status = 'imported'
    rows: int = 0
    #: regions, tariffs, accounts, meters, readings, payments or bills (a bill is several rows of bills.csv)
    records: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0: all imported; 1: a file was refused for its content; 2: a file could not be read or recognised."""
        statuses = {report.status for report in self.files}
        if 'unreadable' in statuses:
            return 2
        return 1 if 'refused' in statuses else 0
