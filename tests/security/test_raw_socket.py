"""The review's attacks as they were done: crafted Socket.IO events sent over the raw websocket of a real running portal
(tests/support/socket_client.py), where no browser keeps a field to what a customer can type. NiceGUI's simulated
`user` fixture and the service tests never go over the socket; these do, from the page's HTML to the update frames."""

from __future__ import annotations

import time

import httpx

from models.cabinet import Link
from tests.support.browser import seed
from tests.support.factories import ADDRESS, GOOD, NUMBER, make_account, make_cabinet
from tests.support.socket_client import VALUE_CHANGE, Tab, log_in

#: the most one websocket frame carries (Engine.IO's max_http_buffer_size), the event's envelope included
FRAME = 1_000_000
#: a GET of the login page while the attack runs: the old parser kept the event loop 26 s on a 40 KB proof
QUICK = 1.5


def timed_get(url: str) -> float:
    """Seconds another customer waits for the login page (a timeout counts as its limit: the server is frozen)."""
    start = time.monotonic()
    try:
        httpx.get(url, timeout=5).raise_for_status()
    except httpx.TimeoutException:
        return 5.0
    return time.monotonic() - start


def test_a_megabyte_proof_sent_over_the_socket_freezes_nobody(start_portal):
    """Issue 11, item 1, as it was done: «Подтверждение» set to a megabyte over the raw socket, then «Добавить».

    Guards 59b47d4 (the length limit checked first in `linking.link_account`, and `_CURRENCY` without the leading
    `\\s*` that made the sum parser quadratic in a run of spaces). Before it the server spent hours of event-loop time
    on this proof and every other customer's page waited: the GETs time out and no error ever reaches the tab.
    Confirmed by reverting that commit's change to services/accounts/linking.py (the old test run: GETs of 5 s)."""
    portal = start_portal('default')
    seed(lambda: make_cabinet('ivanov', password=GOOD))
    proof = '1' + ' ' * (FRAME - 1_000) + '1'  # sum-shaped: the old parser's worst case
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        log_in(http, 'ivanov', GOOD)
        tab = Tab(http, '/accounts/add')
        try:
            field = tab.find('Подтверждение', VALUE_CHANGE)
            tab.type('Номер лицевого счёта', NUMBER)
            tab.type('Подтверждение', proof)
            tab.click('Добавить')
            deadline = time.monotonic() + 10
            waits = [timed_get(portal.url + '/login')]  # while the server takes the megabyte in
            while not tab.error_shown(field) and time.monotonic() < deadline:
                waits.append(timed_get(portal.url + '/login'))
            assert max(waits) < QUICK, f'the login page took {max(waits):.1f} s while the proof was parsed'
            waits += [timed_get(portal.url + '/login') for _ in range(3)]  # and right after
            assert max(waits) < QUICK, f'the login page took {max(waits):.1f} s after the proof was parsed'
            assert tab.error_at(field) == 'Слишком длинное значение'
        finally:
            tab.close()


def test_a_number_or_a_list_set_on_the_proof_is_refused_at_its_field(start_portal):
    """A crafted event sets a JSON number, list or object where nicegui.js only ever sends a string.

    Guards a865352: before it `limits.check_text` took the value's `len()` (a TypeError for a number) or went on to
    `.strip()` a list: «Что-то пошло не так» and a traceback in the log. Confirmed by checking out services/limits.py
    of a865352^."""
    portal = start_portal('default')
    seed(lambda: make_cabinet('ivanov', password=GOOD))
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        log_in(http, 'ivanov', GOOD)
        tab = Tab(http, '/accounts/add')
        try:
            field = tab.find('Подтверждение', VALUE_CHANGE)
            tab.type('Номер лицевого счёта', NUMBER)
            for crafted in (123456.78, ['1234', '56'], {'sum': '1234.56'}):
                tab.type('Подтверждение', crafted)
                tab.click('Добавить')
                assert tab.error_at(field) == 'Недопустимое значение', crafted
        finally:
            tab.close()
    log = portal.log.read_text()
    assert 'not text: float' in log  # the refusals were logged: the log is the portal's and it is written
    assert 'Traceback' not in log, log


def test_an_old_tab_adds_no_account_once_another_customer_has_logged_in(start_portal):
    """Issue 11, item 12 over the raw socket: Ivanov's tab on «Добавить лицевой счёт» stays open, Petrov logs in in
    the same browser (cookie jar), then the old tab's form is sent with a good proof.

    Guards 35708c2 as it stands after 8b70b96 and 65aad78: a tab acts only as the session of the cookie its page was
    opened with, and logging in over a session ends it. Confirmed failing with `sessions.end(old)` taken out of
    pages/shell/handover.py (the old tab then links the account to Ivanov); before 35708c2 the handler took whoever
    the browser's NiceGUI storage said was signed in at the click and linked it to Petrov — by reasoning only, as
    those versions logged in without the hand-over this client follows."""
    portal = start_portal('default')

    async def customers() -> None:
        await make_account(NUMBER, address=ADDRESS)
        await make_cabinet('ivanov', password=GOOD)
        await make_cabinet('petrov', password=GOOD)

    seed(customers)
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        log_in(http, 'ivanov', GOOD)
        old = Tab(http, '/accounts/add')
        log_in(http, 'petrov', GOOD)
        try:
            old.type('Номер лицевого счёта', NUMBER)
            old.type('Подтверждение', ADDRESS)
            old.click('Добавить')
            assert old.navigated_to() == '/login'
        finally:
            old.close()
        assert linked_to(NUMBER) == []
        # the proof was good: Petrov's own tab links the account with it
        new = Tab(http, '/accounts/add')
        try:
            new.type('Номер лицевого счёта', NUMBER)
            new.type('Подтверждение', ADDRESS)
            new.click('Добавить')
            assert new.navigated_to() == '/'
        finally:
            new.close()
    assert linked_to(NUMBER) == ['petrov']


def linked_to(number: str) -> list[str]:
    """The logins of the cabinets holding the account, from the portal's database."""
    found: list[str] = []

    async def query() -> None:
        found.extend(await Link.filter(account__number=number).values_list('cabinet__login', flat=True))

    seed(query)
    return found
