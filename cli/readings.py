"""`python main.py readings-export YYYY-MM [--out FILE] [--again]` and `readings-status YYYY-MM`: the month's customer
readings as a CSV for billing, and where they stand, printed in the operator's language."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from cli import database
from cli.progress import TerminalProgress
from services.texts import format_datetime, period_in_sentence, t, tn

if TYPE_CHECKING:
    from services.readings.status import ReadingsStatus

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser('readings-export', help=t('cli.help.readings_export'))
    export.add_argument('period', help=t('cli.help.period'))
    export.add_argument('--out', metavar='FILE', help=t('cli.help.readings_out'))
    export.add_argument('--again', action='store_true', help=t('cli.help.readings_again'))
    export.set_defaults(func=_export)
    status = sub.add_parser('readings-status', help=t('cli.help.readings_status'))
    status.add_argument('period', help=t('cli.help.period'))
    status.set_defaults(func=_status)


def _export(args: argparse.Namespace) -> int:
    return database.run(lambda: readings_export(args.period, out=args.out, again=args.again))


def _status(args: argparse.Namespace) -> int:
    return database.run(lambda: readings_status(args.period))


async def readings_export(period: str, *, out: str | None, again: bool) -> int:
    """`readings-export`: 0 when the file is written, 2 for a period that is no month or a file that cannot be."""
    # imported when the command runs, so `--help` stays quick
    from services.readings.export import ExportRefused, export_readings

    try:
        with TerminalProgress() as progress:
            result = await export_readings(period, out=out, again=again, progress=progress)
    except ValueError as error:
        print(error)
        return 2
    except ExportRefused as error:
        print(error.message)
        return 2
    print(tn('cli.readings.exported', result.rows, id=result.export_id, period=period_in_sentence(period),
             path=result.path))  # fmt: skip
    log.info('readings-export %s: export %d, %d rows to %s', period, result.export_id, result.rows, result.path)
    return 0


async def readings_status(period: str) -> int:
    """`readings-status`: the month's customer readings by status, its exports and what still waits."""
    from services.readings.status import readings_status as status_of

    try:
        status = await status_of(period)
    except ValueError as error:
        print(error)
        return 2
    for line in status_lines(status):
        print(line)
    return 0


def status_lines(status: ReadingsStatus) -> list[str]:
    from models.readings import ReadingStatus
    from services import clock

    lines = [t('cli.readings.status.title', period=period_in_sentence(status.period), code=status.period,
               total=status.total)]  # fmt: skip
    for state in ReadingStatus:
        lines.append(f'  {t(f"cli.readings.state.{state.value}"):<28}{status.counts[state]:>8}')
    lines.append(f'  {t("cli.readings.state.superseded"):<28}{status.superseded:>8}')
    if status.exports:
        last = status.exports[0]
        lines.append(tn('cli.readings.status.exports', len(status.exports), id=last.id,
                        finished=format_datetime(clock.local(last.finished_at)), rows=last.rows))  # fmt: skip
    else:
        lines.append(t('cli.readings.status.no_exports'))
    if status.unfinished:
        lines.append(t('cli.readings.status.unfinished', count=status.unfinished))
    if waiting := status.counts[ReadingStatus.SUBMITTED]:
        lines.append(t('cli.readings.status.waiting', count=waiting, period=status.period))
    return lines
