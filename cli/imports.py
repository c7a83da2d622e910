"""`python main.py import FILE…`: billing CSVs into the database, with a progress bar and a report."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cli import database
from cli.progress import TerminalProgress
from services.billing.imports.report import file_summary
from services.texts import t

if TYPE_CHECKING:
    from services.billing.imports import ImportReport


def add_parsers(sub: argparse._SubParsersAction) -> None:
    command = sub.add_parser('import', help=t('cli.help.import'))
    command.add_argument('files', nargs='+', help=t('cli.help.import_files'))
    command.set_defaults(func=_import)


def _import(args: argparse.Namespace) -> int:
    return database.run(lambda: _import_and_report(args.files))


async def _import_and_report(paths: Sequence[str]) -> int:
    # imported when the command runs: --help does not load the ORM
    from services.billing.imports import import_files

    with TerminalProgress() as progress:
        report = await import_files(paths, progress)
    for line in report_lines(report):
        print(line)
    return report.exit_code


def report_lines(report: ImportReport) -> list[str]:
    """The report an operator reads: a summary per file, every bad row, then which files went in."""
    lines: list[str] = []
    for file in report.files:
        lines.append(file_summary(file))
        if file.status == 'refused':
            lines.extend(f'  {error}' for error in file.errors)
    imported = [file.path for file in report.files if file.status == 'imported']
    failed = [file.path for file in report.files if file.status != 'imported']
    lines.append(t('cli.import.imported', files=', '.join(imported)) if imported else t('cli.import.imported_none'))
    if failed:
        lines.append(t('cli.import.not_imported', files=', '.join(failed)))
    return lines
