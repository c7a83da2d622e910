"""`python main.py staff add|list|reissue`: the operator console's staff from the server: add one (prints the one-time
enrolment link to hand over), list them, or a new enrolment link for one (how the last admin gets back in)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from cli import database
from models.staff import StaffRole
from services.errors import PortalError
from services.texts import t

#: the login column of `staff list`
LOGIN_WIDTH = 20


def add_parsers(sub: argparse._SubParsersAction) -> None:
    command = sub.add_parser('staff', help=t('staff.cli.help'))
    actions = command.add_subparsers(
        dest='action', title=t('cli.commands'), metavar='ACTION', required=True, parser_class=type(command)
    )
    add = actions.add_parser('add', help=t('staff.cli.help_add'))
    add.add_argument('login', help=t('staff.cli.help_login'))
    add.add_argument('--role', required=True, choices=[role.value for role in StaffRole], help=t('staff.cli.help_role'))
    add.set_defaults(func=lambda args: _run(lambda: _add(args.login, args.role)))
    actions.add_parser('list', help=t('staff.cli.help_list')).set_defaults(func=lambda _: _run(_list))
    reissue = actions.add_parser('reissue', help=t('staff.cli.help_reissue'))
    reissue.add_argument('login', help=t('staff.cli.help_login'))
    reissue.set_defaults(func=lambda args: _run(lambda: _reissue(args.login)))


def _run(job: Callable[[], Awaitable[int]]) -> int:
    async def refusals_printed() -> int:
        try:
            return await job()
        except PortalError as error:
            print(error.message, file=sys.stderr)
            return 1

    return database.run(refusals_printed)


async def _add(login: str, role: str) -> int:
    from services.staff import accounts

    staff, link = await accounts.add_staff(login, role, by=None)
    print(t('staff.cli.added', login=staff.login, role=t(f'staff.role.{role}')))
    print(t('staff.cli.link', hours=_hours()))
    print(link)
    return 0


async def _reissue(login: str) -> int:
    from services.staff import accounts

    link = await accounts.reissue_link(None, login)
    print(t('staff.cli.reissued', login=accounts.login_key(login)))
    print(t('staff.cli.link', hours=_hours()))
    print(link)
    return 0


async def _list() -> int:
    from services.staff import accounts

    members = await accounts.list_staff(by=None)
    if not members:
        print(t('staff.cli.none'))
        return 0
    for member in members:
        state = t(f'staff.state.{member.state.value}')
        seen = t('staff.cli.last_login', at=_minute(member.last_login_at)) if member.last_login_at else ''
        print(f'{member.login:{LOGIN_WIDTH}} {member.role.value:9} {state}{seen}')
    return 0


def _hours() -> int:
    from services.staff import accounts

    return int(accounts.ENROL_TTL.total_seconds() // 3600)


def _minute(at: datetime) -> str:
    from services import clock

    return f'{clock.local(at):%Y-%m-%d %H:%M}'
