"""Issue 11, item 7: the portal as a mail cannon. 12 e-bill saves sent 12 confirmation links to third-party addresses,
and «e-bill off» notices went to addresses nobody had confirmed. Every mail to an unproven address is now capped per
cabinet and per address (over every flow that mails one: e-bill links, the new address of an email change), checked
before anything is written or queued; an address never confirmed hears nothing when e-bill is turned off."""

from __future__ import annotations

import pytest

from models.ebill import EBill
from models.security import AuditEvent
from services.billing import ebill
from services.errors import TooManyAttempts
from services.identity import auth, email_change, password_change
from tests.support.delivery import deliver
from tests.support.factories import GOOD, NEW, NUMBER, make_cabinet
from tests.support.servers import Mailbox

LIMIT_TEXT = 'Слишком много писем для подтверждения адреса'
VICTIM = 'victim@example.org'


def strangers(count: int) -> list[str]:
    return [f'stranger{n}@example.org' for n in range(count)]


async def test_one_cabinet_cannot_mail_a_dozen_strangers(db, mailbox, fake_clock):
    attacker = await make_cabinet('attacker', accounts=[NUMBER])
    sent = []
    for address in strangers(12):
        try:
            await ebill.save_ebill(attacker, NUMBER, True, address, ip='10.6.6.6')
        except TooManyAttempts as refused:
            assert (refused.field, refused.message.startswith(LIMIT_TEXT)) == ('email', True)
            break
        sent.append(address)
    await deliver()

    assert len(sent) == 5  # an hour's worth
    assert sorted(m['To'] for m in mailbox.messages) == sorted(sent)
    # the refused save changed nothing: the subscription still waits on the last address that got its link
    assert (await EBill.get(account__number=NUMBER)).email == sent[-1]
    refused = await AuditEvent.filter(event='ebill_refused').values_list('ip', 'detail')
    assert refused == [('10.6.6.6', {'account': NUMBER, 'outcome': 'mail_limit'})]

    # the next hour 5 more, then the day's cap of 10 holds
    fake_clock.advance(hours=1, minutes=1)
    for address in strangers(20)[12:17]:
        await ebill.save_ebill(attacker, NUMBER, True, address, ip=None)
    fake_clock.advance(hours=1, minutes=1)
    with pytest.raises(TooManyAttempts):
        await ebill.save_ebill(attacker, NUMBER, True, 'one-more@example.org', ip=None)
    await deliver()
    assert len(mailbox.messages) == 10


async def test_many_cabinets_cannot_flood_one_address(db, mailbox):
    cabinets = [await make_cabinet(f'c{n}', accounts=[f'4610000009{n:02}']) for n in range(4)]
    for n, cabinet in enumerate(cabinets[:3]):
        await ebill.save_ebill(cabinet, f'4610000009{n:02}', True, VICTIM, ip=None)
    with pytest.raises(TooManyAttempts) as caught:
        await ebill.save_ebill(cabinets[3], '461000000903', True, VICTIM.upper(), ip=None)
    assert caught.value.field == 'email'
    assert not await EBill.exists(account__number='461000000903')

    # the same address as a new login email: the link to it counts with the e-bill links
    owner = await make_cabinet('owner', password=GOOD)
    _, token = await auth.login('owner', GOOD, ip=None)
    with pytest.raises(TooManyAttempts, match=LIMIT_TEXT):
        await email_change.request_email_change(owner, token, VICTIM, ip=None)
    await deliver()
    assert len(mailbox.to(VICTIM)) == 3


async def test_proven_addresses_are_not_counted(db, mailbox):
    cabinet = await make_cabinet(accounts=[NUMBER])
    for _ in range(8):  # the cabinet's confirmed email: active at once, no link mailed
        await ebill.save_ebill(cabinet, NUMBER, False, '', ip=None)
        await ebill.save_ebill(cabinet, NUMBER, True, 'ivanov@example.ru', ip=None)
    state = await ebill.save_ebill(cabinet, NUMBER, True, VICTIM, ip=None)
    assert state.pending_confirmation


async def test_ebill_off_is_told_only_to_an_address_that_was_proven(db, mailbox):
    cabinet = await make_cabinet(accounts=[NUMBER])
    await ebill.save_ebill(cabinet, NUMBER, True, VICTIM, ip=None)  # never confirmed: no bill ever went there
    await ebill.save_ebill(cabinet, NUMBER, False, '', ip=None)
    await deliver()
    assert [m['Subject'] for m in mailbox.to(VICTIM)] == ['Подтверждение адреса для получения квитанций']

    await ebill.save_ebill(cabinet, NUMBER, True, 'ivanov@example.ru', ip=None)  # proven: bills go there
    await ebill.save_ebill(cabinet, NUMBER, False, '', ip=None)
    await deliver()
    notice = mailbox.wait_for('ivanov@example.ru')[0]
    assert notice['Subject'] == 'Получение квитанции на электронную почту отключено'
    assert NUMBER in Mailbox.text(notice)


@pytest.mark.parametrize('confirmed', [False, True])
async def test_security_notices_go_only_to_a_proven_address(db, mailbox, confirmed):
    """Registered by SMS with a stranger's email (never confirmed), a cabinet changing its password back and forth
    would mail the stranger each time; the notices now wait for an address the cabinet has proven."""
    cabinet = await make_cabinet('attacker', email=VICTIM, email_confirmed=confirmed, password=GOOD)
    for old, new in [(GOOD, NEW), (NEW, GOOD), (GOOD, NEW)]:
        _, session = await auth.login('attacker', old, ip=None)
        await password_change.change_password(cabinet, session, old, new, new, ip=None)
    await deliver()
    subjects = [m['Subject'] for m in mailbox.to(VICTIM)]
    assert subjects == (['Пароль личного кабинета изменён'] * 3 if confirmed else [])
