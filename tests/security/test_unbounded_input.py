"""Issue 11, item 9: unbounded input must not reach the logs and the database, nor raise.

The review's attack: 15 first-entry attempts with a 900 KB account number grew the log by 22 MB and the audit table by
4 MB (whole values in audit rows and tracebacks), and a 65-character login answered «Что-то пошло не так» with a
traceback (the audit row's login column holds 64). Over-long input is a field error; what the audit and the log keep of
a customer's value is cut short (services/limits.py `shorten`), whoever writes it.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from cli.database import OneLineFormatter
from models.security import AuditEvent
from services.errors import InvalidInput, PortalError
from services.identity import audit, auth, recovery, registration
from tests.support.factories import GOOD, make_account, registration_form

TOO_LONG = 'Слишком длинное значение'
IP = '10.0.0.1'
#: what one audit row's details may take, whatever the customer typed
DETAIL_BYTES = 400

#: where a customer types a login
LOGIN_ATTEMPTS = [
    pytest.param(lambda login: auth.login(login, GOOD, ip=IP), id='login'),
    pytest.param(lambda login: recovery.request_reset(login, ip=IP), id='request_reset'),
    pytest.param(lambda login: registration.register_by_login(registration_form(login=login), ip=IP), id='register'),
]


async def audit_sizes() -> list[int]:
    details = await AuditEvent.all().values_list('detail', flat=True)
    return [len(json.dumps(detail, ensure_ascii=False).encode()) for detail in details]


async def test_fifteen_first_entries_with_a_900_kb_number_leave_the_log_and_audit_small(db, caplog):
    await make_account()
    caplog.set_level(logging.DEBUG)
    for _ in range(15):
        with pytest.raises(InvalidInput) as caught:
            await registration.find_first_entry_account('4' * 900_000, 'Семёнов', ip=IP)
        assert caught.value.errors == {'account': TOO_LONG}
    assert all(size <= DETAIL_BYTES for size in await audit_sizes())
    logged = sum(len(record.getMessage()) + len(record.exc_text or '') for record in caplog.records)
    assert logged < 15 * 200, f'{logged} characters logged'
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.parametrize('size', [65, 1_000_000])
@pytest.mark.parametrize('attempt', LOGIN_ATTEMPTS)
async def test_an_overlong_login_is_a_field_error(db, caplog, attempt, size):
    with pytest.raises(PortalError) as caught:
        await attempt('i' + 'v' * (size - 1))
    assert isinstance(caught.value, InvalidInput) and caught.value.errors == {'login': TOO_LONG}
    assert not [record for record in caplog.records if record.exc_info]


async def test_a_64_character_login_is_an_ordinary_failed_login(db):
    # the longest the login column takes: audited whole, refused as any unknown login is
    with pytest.raises(PortalError, match='Неверный логин или пароль'):
        await auth.login('i' * 64, GOOD, ip=IP)
    assert await AuditEvent.filter(event='login_failure', login='i' * 64).exists()


async def test_the_audit_keeps_a_short_head_of_every_value(db, caplog):
    """Whoever calls it: the audit row and its log line hold at most 100 characters of each value."""
    caplog.set_level(logging.INFO, logger='portal.audit')
    huge = 'ж' * 900_000
    await audit.record(
        'first_entry_failure', login=huge, ip=huge, account=huge, locks=[huge, huge], nested={'value': huge}, count=3
    )
    event = await AuditEvent.get(event='first_entry_failure')
    assert len(event.login) <= 64 and len(event.ip) <= 45
    assert event.login.startswith('жжж') and event.login.endswith('(900000 characters)')
    assert event.detail['count'] == 3 and len(event.detail['account']) <= 100
    assert all(size <= DETAIL_BYTES * 2 for size in await audit_sizes())
    assert len(caplog.records[-1].getMessage()) < 1000


@pytest.mark.parametrize('attempt', LOGIN_ATTEMPTS)
@pytest.mark.parametrize('login', ['ß' * 64, 'ﬃ' * 32], ids=['64-sharp-s', '32-ffi'])
async def test_a_login_that_casefolds_longer_than_its_column_is_a_field_error(db, attempt, login):
    # the lookup key is the casefolded login: «ß» → «ss», «ﬃ» → «ffi»; the column holds 64 (registration may refuse
    # the format first: flow-1 logins have at most 32 characters)
    with pytest.raises(PortalError) as caught:
        await attempt(login)
    assert isinstance(caught.value, InvalidInput) and list(caught.value.errors) == ['login']


async def test_a_login_with_a_line_break_cannot_forge_a_log_line(db):
    """A typed login goes into the audit's log line whole (shortened): with a CR/LF it wrote a second, forged line."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(OneLineFormatter('%(levelname)s %(name)s: %(message)s'))
    logger = logging.getLogger('portal.audit')
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        with pytest.raises(PortalError):
            await auth.login('ivanov\r\nINFO services.identity.audit: login_success cabinet=1', 'wrong', ip=None)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = written.getvalue().splitlines()
    assert lines and all(line.startswith('INFO portal.audit: login_failure') for line in lines), lines
    assert 'ivanov\\x0d\\x0ainfo' in lines[0].lower()
