"""`python main.py demo`: demo billing data, and a few accounts to try printed."""

from __future__ import annotations

import argparse
import sys

from cli import database
from cli.imports import report_lines
from cli.progress import TerminalProgress
from services import config
from services.texts import t


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sub.add_parser('demo', help=t('cli.help.demo')).set_defaults(func=_demo)


def _demo(_: argparse.Namespace) -> int:
    if not config.settings.demo:
        # demo accounts with printed surnames in a real database would be cabinets anyone can enter
        print(t('cli.demo.not_demo_mode'), file=sys.stderr)
        return 2
    return database.run(_load_and_show)


async def _load_and_show() -> int:
    # imported when the command runs: --help does not load the ORM
    from services.billing import demo

    with TerminalProgress() as progress:
        run = await demo.load_demo(progress=progress)
    print(t('cli.demo.files', folder=run.folder))
    for line in report_lines(run.report):
        print(f'  {line}')
    if run.report.exit_code:
        return run.report.exit_code
    table = [
        (
            t('cli.demo.number'),
            t('cli.demo.surname'),
            t('cli.demo.region'),
            t('cli.demo.payment'),
            t('cli.demo.date'),
            t('cli.demo.address'),
        )
    ]
    for account in run.accounts:
        paid = (str(account.payment), account.paid_on.isoformat())
        table.append((account.number, account.surname, account.region, *paid, account.address))
    # the address is long and last: it is not padded
    widths = [max(len(row[column]) for row in table) for column in range(len(table[0]) - 1)] + [0]
    print()
    print(t('cli.demo.try'))
    for row in table:
        print('  '.join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
    link = await _demo_admin()
    print()
    if link:
        print(t('cli.demo.staff_link', login=DEMO_ADMIN))
        print(f'  {link}')  # on a line of its own: nothing gets selected with it
    else:
        print(t('cli.demo.staff_enrolled', login=DEMO_ADMIN))
    return 0


#: the demo's operator console admin
DEMO_ADMIN = 'admin'


async def _demo_admin() -> str | None:
    """The demo admin's enrolment link (added the first time, a new link while not enrolled), None once enrolled."""
    from services.staff import accounts

    member = next((member for member in await accounts.list_staff(by=None) if member.login == DEMO_ADMIN), None)
    if member is None:
        return (await accounts.add_staff(DEMO_ADMIN, 'admin', by=None))[1]
    if member.state in (accounts.StaffState.INVITED, accounts.StaffState.LINK_EXPIRED):
        return await accounts.reissue_link(None, DEMO_ADMIN)
    return None
