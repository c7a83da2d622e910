"""`python main.py cabinet show|unlock LOGIN`: a customer's cabinet and its recent security events; lift a lockout."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from cli import database
from services.texts import t

if TYPE_CHECKING:
    from services.identity.cabinets import CabinetReport

#: the name column of `cabinet show`
NAME_WIDTH = 18


def add_parsers(sub: argparse._SubParsersAction) -> None:
    command = sub.add_parser('cabinet', help=t('cli.help.cabinet'))
    command.add_argument('action', choices=['show', 'unlock'], help=t('cli.help.cabinet_action'))
    command.add_argument('login', help=t('cli.help.login'))
    command.set_defaults(func=_cabinet)


def _cabinet(args: argparse.Namespace) -> int:
    return database.run(lambda: _unlock(args.login) if args.action == 'unlock' else _show(args.login))


async def _unlock(login: str) -> int:
    from services.identity import cabinets

    await cabinets.unlock(login)
    print(t('cli.cabinet.unlocked', login=login))
    return 0


async def _show(login: str) -> int:
    from services.identity import cabinets

    report = await cabinets.cabinet_report(login)
    if report is None:
        print(t('cli.cabinet.not_found', login=login))
        return 1
    for name, value in _rows(report):
        print(f'{name:{NAME_WIDTH}} {value}')
    for event in report.events:
        print(f'  {event.at:%Y-%m-%d %H:%M:%S} {event.event} {event.ip or ""} {event.detail or ""}')
    return 0


def _rows(report: CabinetReport) -> list[tuple[str, str]]:
    state = report.state.value
    if report.pending_until:
        state = t('cli.cabinet.state_pending', state=state, until=_minute(report.pending_until))
    lockout = t('cli.cabinet.not_locked')
    if report.lockout_left:
        lockout = t('cli.cabinet.locked_for', seconds=int(report.lockout_left.total_seconds()))
    return [
        (t('cli.cabinet.login'), report.login),
        (t('cli.cabinet.state'), state),
        (t('cli.cabinet.email'), _contact(report.email, confirmed=report.email_confirmed)),
        (t('cli.cabinet.phone'), _contact(report.phone, confirmed=report.phone_confirmed)),
        (t('cli.cabinet.created'), _minute(report.created_at)),
        (t('cli.cabinet.accounts'), ', '.join(report.accounts) or '—'),
        (t('cli.cabinet.lockout'), lockout),
    ]


def _contact(value: str | None, *, confirmed: bool) -> str:
    return f'{value or "—"}{" ✓" if confirmed else ""}'


def _minute(at: datetime) -> str:
    return f'{at:%Y-%m-%d %H:%M}'
