"""Issue 14: a viewer cannot help a customer by crafting Socket.IO events. A cabinet view opened while its staff member
was an operator still has «Снять блокировку» and the accounts' «Отвязать»; once they are a viewer, the services refuse
both and the log names who tried what. A crafted row click names nothing the page shows and does nothing."""

from __future__ import annotations

import httpx
import pytest

from models.cabinet import Link
from models.staff import StaffRole
from services.errors import AuthenticationFailed
from services.identity import auth
from services.staff import accounts
from tests.support.browser import seed
from tests.support.factories import make_cabinet
from tests.support.socket_client import Tab
from tests.support.staff import FORBIDDEN, enrolled_staff, log_in_staff_over_socket

#: under Engine.IO's largest frame (1 MB), the event's envelope included
LONG = 999_000


async def locked_customer() -> int:
    cabinet = await make_cabinet('ivanov', accounts=['461000000001'])
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip='203.0.113.7')
    return cabinet.id


def section(tab: Tab, heading: str) -> int:
    """The id of the view's section (one element of HTML) under `heading`."""
    for key, element in tab.elements.items():
        if heading in str(element.get('props', {}).get('innerHTML', '')):
            return int(key)
    raise AssertionError(f'no section {heading!r}')


def test_a_viewers_crafted_unlock_and_unlink_are_refused_and_logged(start_portal):
    portal = start_portal('default')
    boss = seed(lambda: enrolled_staff('boss'))
    anna = seed(lambda: enrolled_staff('anna', StaffRole.OPERATOR))
    cabinet_id = seed(locked_customer)
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        log_in_staff_over_socket(http, anna)
        tab = Tab(http, f'/staff/customers/{cabinet_id}')  # opened as an operator: the actions are there
        try:
            seed(lambda: accounts.change_role(boss.staff, 'anna', StaffRole.VIEWER.value))
            tab.click('Снять блокировку')
            tab.shown(FORBIDDEN)
            accounts_section = section(tab, 'Лицевые счета')
            for crafted in ('x' * LONG, {'number': '461000000001'}, '461000000099'):
                tab.send(accounts_section, 'click', crafted)
            tab.send(accounts_section, 'click', '461000000001')  # a row the page shows: the dialog asks a reason
            tab.shown('Отвязать лицевой счёт 461000000001 от кабинета?')
            tab.type('Причина (останется в журнале)', 'crafted')
            reason = max(
                int(key) for key, element in tab.elements.items() if element.get('props', {}).get('label') == 'Отвязать'
            )
            tab.send(reason, 'click')
            tab.shown(FORBIDDEN)
        finally:
            tab.close()
    assert seed(lambda: auth.longest_lockout('ivanov')).total_seconds() > 0
    assert seed(lambda: Link.filter(cabinet_id=cabinet_id).count()) == 1
    log = portal.log.read_text()
    for action in ('unlock a cabinet', 'unlink an account'):
        assert f'staff anna (viewer) refused {action}: needs operator' in log, log
    assert log.count('named nothing the page shows') == 3, log
