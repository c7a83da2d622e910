"""Issue 11, item 13: co-holders (several cabinets linked to one personal account) saw each other's e-bill address and
the receiving server's reply, and could redirect or turn off each other's delivery. Now the cabinet that set it up
manages it; another holder sees the address masked and no reply, may turn it on only when it is off, and may take it
over only to an address it has proven (docs/product.md, flow 6)."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from models.cabinet import Cabinet
from models.ebill import EBill
from models.security import AuditEvent
from services import clock
from services.billing import ebill
from services.errors import InvalidInput, NotAllowed
from tests.support.delivery import deliver
from tests.support.factories import NUMBER, link_accounts, make_cabinet
from tests.support.servers import Mailbox
from tests.support.stories import see, signed_in_user

DACHA = 'dacha@example.ru'
REPLY = 'recipient refused: 550 5.1.1 <dacha@example.ru>: mailbox unavailable'


async def delivering_to_dacha(setter: Cabinet) -> EBill:
    """The setter's e-bill of NUMBER on, to its proven dacha address, which rejected the latest bill."""
    now = clock.now()
    return await EBill.create(
        account_id=(await setter.links.all().first()).account_id, cabinet=setter, email=DACHA, enabled=True,
        email_confirmed_at=now, bounces=1, last_bounce=REPLY, updated_at=now,
    )  # fmt: skip


async def two_holders() -> tuple[Cabinet, Cabinet]:
    setter = await make_cabinet('ivanov', accounts=[NUMBER])
    await delivering_to_dacha(setter)
    return setter, await make_cabinet('petrov', accounts=[NUMBER])


async def test_a_coholder_sees_the_address_masked_and_no_reply(db):
    setter, other = await two_holders()
    [mine] = await ebill.ebill_states(setter)
    [theirs] = await ebill.ebill_states(other)
    assert (mine.email, mine.managed_elsewhere, mine.bounce_reply) == (DACHA, False, REPLY.split(': ', 1)[1])
    assert (theirs.enabled, theirs.email, theirs.managed_elsewhere) == (True, 'd***@example.ru', True)
    assert (theirs.bouncing, theirs.last_bounce) == (True, '')
    assert DACHA not in theirs.bounce_reply + theirs.bounce_reason


async def test_a_coholder_cannot_turn_off_or_redirect_to_an_unproven_address(db, mailbox):
    setter, other = await two_holders()
    with pytest.raises(NotAllowed, match='отключить её может только он'):
        await ebill.save_ebill(other, NUMBER, False, '', ip='10.0.0.5')
    with pytest.raises(InvalidInput) as caught:
        await ebill.save_ebill(other, NUMBER, True, 'attacker@example.org', ip='10.0.0.5')
    assert caught.value.field == 'email'
    # the masked field saved as shown changes nothing
    assert (await ebill.save_ebill(other, NUMBER, True, 'd***@example.ru', ip=None)).managed_elsewhere

    stored = await EBill.get(account__number=NUMBER)
    assert (stored.enabled, stored.email, stored.cabinet_id) == (True, DACHA, setter.id)
    await deliver()
    assert mailbox.messages == []
    assert await AuditEvent.filter(event='ebill_refused').values_list('detail', flat=True) == [
        {'account': NUMBER, 'outcome': 'managed_elsewhere'},
        {'account': NUMBER, 'outcome': 'takeover_unproven'},
    ]


async def test_a_coholder_takes_over_only_to_its_proven_address_and_the_old_one_is_told(db, mailbox):
    setter, other = await two_holders()
    state = await ebill.save_ebill(other, NUMBER, True, 'petrov@example.ru', ip=None)  # its confirmed email
    assert (state.email, state.pending_confirmation, state.managed_elsewhere) == ('petrov@example.ru', False, False)
    await deliver()
    moved = mailbox.wait_for(DACHA)[0]
    assert moved['Subject'] == 'Квитанции будут приходить на другой адрес'
    assert 'p***@example.ru' in Mailbox.text(moved)
    [now_theirs] = await ebill.ebill_states(setter)
    assert (now_theirs.email, now_theirs.managed_elsewhere) == ('p***@example.ru', True)
    taken = await AuditEvent.get(event='ebill_address')
    assert (taken.cabinet_id, taken.detail['taken_from']) == (other.id, setter.id)


async def test_a_coholder_may_turn_on_what_is_off_and_starts_from_its_own_email(db, mailbox):
    setter, other = await two_holders()
    await ebill.save_ebill(setter, NUMBER, False, '', ip=None)
    [theirs] = await ebill.ebill_states(other)
    assert (theirs.enabled, theirs.email, theirs.bouncing) == (False, 'petrov@example.ru', False)
    assert (await ebill.save_ebill(other, NUMBER, True, 'petrov@example.ru', ip=None)).enabled
    assert (await EBill.get(account__number=NUMBER)).cabinet_id == other.id


async def test_the_settings_page_of_a_coholder_shows_neither_address_nor_reply(user: User, mailbox):
    setter = await make_cabinet('ivanov', 'ivanov@example.ru', accounts=[NUMBER])
    await delivering_to_dacha(setter)
    await signed_in_user(user, mailbox, 'petrov', 'petrov@example.ru')
    await link_accounts(await Cabinet.get(login_key='petrov'), NUMBER)
    await user.open('/settings')
    await see(user, 'Подключено в другом кабинете', 'd***@example.ru')
    await see(user, 'Почтовый сервер не принимает письма на этот адрес')
    await user.should_not_see(DACHA)
    await user.should_not_see('Ответ почтового сервера')
    await user.should_not_see('mailbox unavailable')
