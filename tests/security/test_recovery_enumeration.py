"""Attack: telling which logins exist from the recovery code step.

The review found that an existing cabinet with a confirmed phone answered a wrong code with «Неверный код. Осталось
попыток: 4» while an unknown login answered «Код больше не действует…», at once and with less work. Now every
«Забыли пароль?» request gets a code request of its own; where no SMS can go (unknown login, no confirmed phone,
SMS limits reached) its code is never sent, and the code step answers it exactly as it answers a real one."""

from __future__ import annotations

import pytest

from models.security import AuditEvent, OneTimeCode
from services.errors import AuthenticationFailed
from services.identity import codes, recovery
from tests.support.delivery import deliver
from tests.support.factories import PHONE, make_cabinet

NEW_PASSWORD = 'Novyj-Parol-77'


def wrong(code: str) -> str:
    return f'{(int(code) + 1) % 10**6:06d}'


async def answers(request_id, code: str, tries: int) -> list[str]:
    """What the code step says to `tries` wrong codes in a row."""
    said = []
    for _ in range(tries):
        with pytest.raises(AuthenticationFailed) as refused:
            await recovery.reset_by_code(request_id, code, NEW_PASSWORD, NEW_PASSWORD, ip=None)
        said.append(str(refused.value))
    return said


async def test_the_code_step_answers_alike_for_a_cabinet_and_for_nobody(db, sms):
    await make_cabinet('ivanov', phone=PHONE)
    await make_cabinet('petrov', phone=None)  # exists, but no phone to send a code to

    real = await recovery.request_reset('ivanov', ip=None)
    await deliver()
    bad = wrong(sms.code(PHONE))
    nobody = await recovery.request_reset('nobody-at-all', ip=None)
    no_phone = await recovery.request_reset('petrov', ip=None)

    tries = codes.MAX_FAILURES + 1
    expected = await answers(real, bad, tries)
    assert expected[0] == 'Неверный код. Осталось попыток: 4'
    assert await answers(nobody, bad, tries) == expected
    assert await answers(no_phone, bad, tries) == expected


async def test_the_code_step_does_the_same_work_for_both(db, sms):
    await make_cabinet('ivanov', phone=PHONE)
    real = await recovery.request_reset('ivanov', ip=None)
    await deliver()
    bad = wrong(sms.code(PHONE))
    nobody = await recovery.request_reset('nobody-at-all', ip=None)
    await deliver()

    for request_id in (real, nobody):
        await answers(request_id, bad, 2)

    rows = {row.id: row for row in await OneTimeCode.filter(id__in=[real, nobody])}
    assert sorted(rows) == sorted([real, nobody])  # a request row for each, counted the same way
    assert rows[real].failures == rows[nobody].failures == 2
    assert await AuditEvent.filter(event='code_failure').count() == 4
    assert len(sms.requests) == 1  # the unknown login's code was never sent
