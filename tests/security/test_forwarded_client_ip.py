"""Issue 11, item 15: whose X-Forwarded-For counts.

uvicorn trusted the header from any loopback peer: behind a local proxy (or from the server itself) a client could
name any IP and dodge every per-IP limit. Now no peer is trusted unless PORTAL_TRUSTED_PROXIES names it; behind a
trusted proxy each customer is the address the proxy saw, not the proxy. Whatever the header holds, the IP kept is a
parsed address, never the header's text."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from playwright.sync_api import Page, expect

from pages.shell.middleware import client_address
from services.identity import ratelimit
from tests.support.browser import field
from tests.support.commands import run_main

LIMIT = ratelimit.LOGIN_PER_IP_MINUTE.limit
LIMITED = 'Слишком много попыток. Повторите позже'
FAILED = 'Неверный логин или пароль'


def try_login(page: Page, portal, n: int, forwarded_for: str) -> str:
    """A wrong login from a browser whose requests carry `forwarded_for`; the message the page shows."""
    page.set_extra_http_headers({'X-Forwarded-For': forwarded_for})
    page.goto(f'{portal.url}/login')
    field(page, 'Логин').fill(f'nobody{n}')  # a new login each time: only the per-IP limit can refuse
    field(page, 'Пароль').fill('wrong-password')
    page.get_by_role('button', name='Войти').click()
    message = page.get_by_text(FAILED).or_(page.get_by_text(LIMITED))
    expect(message).to_be_visible()
    return message.inner_text()


def test_forwarded_for_from_loopback_is_ignored_by_default(start_portal, page: Page):
    portal = start_portal('default')
    seen = [try_login(page, portal, n, f'203.0.113.{n}') for n in range(LIMIT + 1)]
    assert seen == [FAILED] * LIMIT + [LIMITED]  # one client, whatever it claims
    log = portal.log.read_text()
    assert 'login_failure' in log and 'ip=127.0.0.1' in log
    assert '203.0.113.' not in log


def test_customers_behind_a_trusted_proxy_are_told_apart(start_portal, page: Page):
    portal = start_portal('default', PORTAL_TRUSTED_PROXIES='10.0.0.0/8, 127.0.0.1')
    # the proxy appends the peer it saw; what the customer wrote in front of it changes nothing
    seen = [try_login(page, portal, n, f'198.51.100.{n}, 203.0.113.7') for n in range(LIMIT + 1)]
    assert seen == [FAILED] * LIMIT + [LIMITED]
    assert try_login(page, portal, 99, '203.0.113.8') == FAILED  # the next customer is not limited
    # a chain of trusted proxies: the first address from outside them
    assert try_login(page, portal, 100, '203.0.113.9, 10.1.2.3') == FAILED
    log = portal.log.read_text()
    assert 'ip=203.0.113.7' in log and 'ip=203.0.113.8' in log and 'ip=203.0.113.9' in log
    assert 'ip=198.51.100.' not in log and 'ip=127.0.0.1' not in log and 'ip=10.1.2.3' not in log


def test_a_forged_long_forwarded_for_keeps_a_real_address(start_portal, page: Page):
    portal = start_portal('default', PORTAL_TRUSTED_PROXIES='127.0.0.1')
    forged = 'A' * 1024
    assert try_login(page, portal, 1, forged) == FAILED
    assert try_login(page, portal, 2, f'{forged}, 203.0.113.5') == FAILED
    log = portal.log.read_text()
    # the proxy's own address when the header names no usable one
    assert 'ip=127.0.0.1' in log and 'ip=203.0.113.5' in log
    assert 'AAAAAAAAAA' not in log


PROXIES = (ip_network('127.0.0.1'), ip_network('10.0.0.0/8'))


@pytest.mark.parametrize(
    ('peer', 'forwarded_for', 'trusted', 'seen'),
    [
        ('127.0.0.1', '203.0.113.9', (), '127.0.0.1'),  # nothing trusted by default
        ('198.51.100.1', '203.0.113.9', PROXIES, '198.51.100.1'),  # a peer that is no proxy of ours
        ('127.0.0.1', '', PROXIES, '127.0.0.1'),
        ('127.0.0.1', '10.0.0.2, 10.0.0.3', PROXIES, '10.0.0.2'),  # only proxies: the farthest one
        ('127.0.0.1', 'fe80::1%' + 'x' * 1000, PROXIES, '127.0.0.1'),  # an IPv6 zone takes any length
        ('127.0.0.1', '::ffff:203.0.113.9', PROXIES, '203.0.113.9'),  # one client, whichever way it is written
        ('127.0.0.1', '2001:DB8::1', PROXIES, '2001:db8::1'),
        ('testclient', '203.0.113.9', PROXIES, None),  # a peer that is no address is none
    ],
)
def test_the_ip_kept_is_a_parsed_address(peer, forwarded_for, trusted, seen):
    assert client_address(peer, forwarded_for, trusted) == seen


def test_a_proxy_that_is_no_address_is_refused_at_start():
    done = run_main('migrate', PORTAL_TRUSTED_PROXIES='127.0.0.1, nginx')
    assert done.returncode == 2
    assert "PORTAL_TRUSTED_PROXIES: 'nginx' is not an IP address or network" in done.stderr
