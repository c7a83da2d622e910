"""Issue 14: the outbox's retry is refused by the service to a viewer, whatever the page once showed. Crafted Socket.IO
events over the raw websocket of a running portal (tests/support/socket_client.py) from a console tab opened while
its staff member was an admin: «Отправить снова» and «Отправить снова все» are still on it, and refused."""

from __future__ import annotations

import time

import httpx

from models.outbox import OutboxMessage, OutboxState
from models.security import AuditEvent
from models.staff import StaffRole
from services.messaging import outbox
from services.staff import accounts
from tests.support.browser import seed
from tests.support.servers import REJECTED
from tests.support.socket_client import Tab
from tests.support.staff import FORBIDDEN, enrolled_staff, log_in_staff_over_socket

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


def failed_notice(mailbox, to: str) -> int:
    """A notice the portal's outbox worker had rejected for good (550); the mail server fixed since."""
    mailbox.rejections[to] = REJECTED
    message = seed(lambda: outbox.send_email(to, 'Платёж получен', 'notice', NOTICE))
    deadline = time.monotonic() + 30
    while seed(lambda: OutboxMessage.get(id=message.id)).state != OutboxState.FAILED:
        assert time.monotonic() < deadline, 'the portal did not fail the email'
        time.sleep(0.1)
    del mailbox.rejections[to]
    return message.id


def rebuilt(tab: Tab, old: int) -> bool:
    """Whether «Отправить снова все» is a new button now (the list was built anew)."""
    try:
        return tab.find('Отправить снова все', 'click') != old
    except AssertionError:  # between the old button's removal and the new one's arrival
        return False


def test_a_viewers_retry_events_on_an_old_tab_are_refused(start_portal, mailbox):
    portal = start_portal('default')
    chief = seed(lambda: enrolled_staff('chief'))
    boss = seed(lambda: enrolled_staff('boss'))
    failed = failed_notice(mailbox, 'nobody@example.ru')
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        log_in_staff_over_socket(http, chief)
        tab = Tab(http, '/staff/outbox')  # opened while chief is an admin: the retry buttons are there
        try:
            seed(lambda: accounts.change_role(boss.staff, 'chief', StaffRole.VIEWER.value))
            retry_all = tab.find('Отправить снова все', 'click')
            tab.click('Отправить снова')
            tab.shown(FORBIDDEN)
            # after the refusal the page builds the list anew: the next click must reach the new button, not the old
            tab.wait_until(lambda: rebuilt(tab, retry_all), what='the list built anew')
            tab.click('Отправить снова все')
            tab.shown(FORBIDDEN)
        finally:
            tab.close()
    assert seed(lambda: OutboxMessage.get(id=failed)).state == OutboxState.FAILED
    assert not seed(lambda: AuditEvent.filter(event__startswith='staff_outbox').exists())
    assert mailbox.to('nobody@example.ru') == []
    log = portal.log.read_text()
    for action in ('retry a failed message', 'retry all failed messages'):
        assert f'staff chief (viewer) refused {action}: needs operator' in log, log
