"""What an import did, as data: per file its kind, status and counts, and the operator's sentences for what went
wrong; `file_summary` words a file's outcome in one line (the `import` command and the console's upload both show
it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from services.texts import t, tn

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


def file_summary(file: FileReport) -> str:
    """One line for a file: its rows and what they did, or why nothing of it was written."""
    if file.status == 'unreadable':
        return file.errors[0]
    if file.status == 'refused':
        return tn('cli.import.refused', len(file.errors), path=file.path)
    rows = tn('cli.import.rows', file.rows)
    if file.kind == 'bills':
        rows = tn('cli.import.bill_rows', file.records, rows=rows)
    if file.kind == 'payments':  # a payment is all key: it is either there or not
        counts = t('cli.import.payment_counts', added=file.added, unchanged=file.unchanged)
    else:
        counts = t('cli.import.counts', added=file.added, changed=file.changed, unchanged=file.unchanged)
    return t('cli.import.summary', path=file.path, rows=rows, counts=counts)
