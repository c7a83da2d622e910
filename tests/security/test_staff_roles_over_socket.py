"""Issue 14: roles are checked in the services, not by hiding buttons. Crafted Socket.IO events over the raw websocket
of a running portal (tests/support/socket_client.py) from a console tab whose staff member is a viewer by now: the
admin controls the page once showed are still there, and every event on them is refused."""

from __future__ import annotations

import httpx

from models.staff import Staff, StaffRole
from services.staff import accounts
from tests.support.browser import seed
from tests.support.socket_client import Tab
from tests.support.staff import FORBIDDEN, enrolled_staff, log_in_staff_over_socket


def newest(tab: Tab, label: str) -> int:
    """The element labelled `label` that was added last (a dialog's button, not the one that opened it)."""
    return max(int(key) for key, element in tab.elements.items() if element.get('props', {}).get('label') == label)


def test_a_viewers_events_on_the_admin_controls_of_an_old_tab_are_refused(start_portal):
    portal = start_portal('default')
    chief = seed(lambda: enrolled_staff('chief'))
    boss = seed(lambda: enrolled_staff('boss'))
    seed(lambda: enrolled_staff('anna', StaffRole.OPERATOR))
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        log_in_staff_over_socket(http, chief)
        tab = Tab(http, '/staff/team')  # opened while chief is an admin: the add form and the list's controls
        try:
            seed(lambda: accounts.change_role(boss.staff, 'chief', StaffRole.VIEWER.value))
            tab.type('Логин', 'intruder')
            tab.click('Добавить сотрудника')
            tab.shown(FORBIDDEN)
            tab.click('Отключить')  # anna's: the list has the controls of every other staff member
            tab.shown('Отключить anna?')
            tab.send(newest(tab, 'Отключить'), 'click')  # the confirmation dialog's button
            tab.shown(FORBIDDEN)
        finally:
            tab.close()
    stored = seed(lambda: Staff.all().order_by('login').values('login', 'role', 'disabled_at'))
    assert stored == [
        {'login': 'anna', 'role': StaffRole.OPERATOR, 'disabled_at': None},
        {'login': 'boss', 'role': StaffRole.ADMIN, 'disabled_at': None},
        {'login': 'chief', 'role': StaffRole.VIEWER, 'disabled_at': None},
    ]
    log = portal.log.read_text()
    for action in ('add staff', 'disable staff'):
        assert f'staff chief (viewer) refused {action}: needs admin' in log, log
