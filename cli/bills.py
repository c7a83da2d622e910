"""`python main.py send-bills YYYY-MM [--dry-run]` and `bills-status YYYY-MM`: the month's e-bills queued and
delivered, and where a period stands, printed in the operator's language."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from cli import database
from cli.progress import TerminalProgress
from services.texts import format_date, format_money, period_in_sentence, t, tn

if TYPE_CHECKING:
    from services.billing.dispatch import DispatchSummary

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    send = sub.add_parser('send-bills', help=t('cli.help.send_bills'))
    send.add_argument('period', help=t('cli.help.period'))
    send.add_argument('--dry-run', action='store_true', help=t('cli.help.dry_run'))
    send.set_defaults(func=_send_bills)
    status = sub.add_parser('bills-status', help=t('cli.help.bills_status'))
    status.add_argument('period', help=t('cli.help.period'))
    status.set_defaults(func=_bills_status)


def _send_bills(args: argparse.Namespace) -> int:
    return database.run(lambda: send_bills(args.period, dry_run=args.dry_run))


def _bills_status(args: argparse.Namespace) -> int:
    return database.run(lambda: bills_status(args.period))


async def send_bills(period: str, *, dry_run: bool) -> int:
    """`send-bills`: 0 when none of the period's bills failed, 1 when some did, 2 for a period that is no month."""
    # imported when a command runs, so `--help` stays quick
    from services import config
    from services.billing import delivery, dispatch
    from services.messaging import outbox

    try:
        dispatch.check_period(period)
    except ValueError as error:
        print(error)
        return 2
    with TerminalProgress() as progress:
        summary = await dispatch.dispatch(period, dry_run=dry_run, progress=progress)
    if dry_run:
        _print_plan(summary)
        return 0
    print(t('cli.bills.queued', queued=summary.queued, already=summary.already))
    # a line per message drowns what matters in a bulk run; warnings and errors still show
    logging.getLogger(outbox.__name__).setLevel(logging.WARNING)
    # PDFs and emails on every core: one process would be CPU-bound
    with outbox.build_in_processes(), TerminalProgress() as progress:
        run = await delivery.deliver(period, connections=config.settings.bill_connections, progress=progress)
    status = run.status
    print(t('cli.bills.summary', period=period_in_sentence(period), sent=status.sent, skipped=summary.skipped,
            failed=status.failed))  # fmt: skip
    print(_skipped(summary))
    print(tn('cli.bills.rate', round(run.per_second), delivered=run.delivered, seconds=f'{run.seconds:.1f}'))
    log.info(
        'send-bills %s: sent %d, skipped %d, failed %d; this run delivered %d in %.1f s',
        period, status.sent, summary.skipped, status.failed, run.delivered, run.seconds,
    )  # fmt: skip
    _print_failures(await delivery.delivery_failures(period))
    return 1 if status.failed else 0


async def bills_status(period: str) -> int:
    """`bills-status`: the period's bill emails by state, what a run would still queue, and the failures."""
    from models.outbox import OutboxState
    from services.billing import delivery, dispatch

    try:
        dispatch.check_period(period)
    except ValueError as error:
        print(error)
        return 2
    status = await delivery.delivery_status(period)
    print(t('cli.bills.status.title', period=period_in_sentence(period), code=period, total=status.total))
    for state, name in [
        (OutboxState.PENDING, t('cli.bills.state.pending')),
        (OutboxState.SENDING, t('cli.bills.state.sending')),
        (OutboxState.SENT, t('cli.bills.state.sent')),
        (OutboxState.FAILED, t('cli.bills.state.failed')),
    ]:
        print(f'  {name:<20}{status.counts.get(state, 0):>8}')
    plan = await dispatch.dispatch(period, dry_run=True)
    if plan.queued:
        print(t('cli.bills.status.unqueued', count=plan.queued, period=period))
    print(_skipped(plan))
    _print_failures(await delivery.delivery_failures(period))
    return 0


def _print_plan(summary: DispatchSummary) -> None:
    from services.identity.contacts import mask_email

    print(t('cli.bills.dry_run.title', period=period_in_sentence(summary.period), count=summary.queued))
    for bill in summary.planned:
        amount, due = format_money(bill.amount_due), format_date(bill.due_date)
        print(f'  {bill.number:<16} {mask_email(bill.email):<32} {amount:>16}  {due}')
    print(t('cli.bills.queued', queued=summary.queued, already=summary.already))
    print(_skipped(summary))
    print(t('cli.bills.dry_run.nothing_written'))


def _skipped(summary: DispatchSummary) -> str:
    return t(
        'cli.bills.skipped',
        no_bill=summary.no_bill, unconfirmed=summary.unconfirmed, disabled=summary.disabled,
    )  # fmt: skip


def _print_failures(failures: list[tuple[str, str, str]]) -> None:
    if failures:
        print(t('cli.bills.status.failures'))
        for number, email, error in failures:
            print(f'  {number} {email}: {error}')
