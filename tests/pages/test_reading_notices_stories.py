"""Flow 8's notices in the simulated browser: the block «Показания» in «Настройки» (reminders and confirmations per
account, a channel without a confirmed contact shown unavailable) and the reminder email's «Отписаться» page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from nicegui.testing import User

from models.billing import Account
from models.cabinet import Cabinet
from models.readings import ReadingNotice
from services.readings import notices, reminders
from tests.support.factories import link_accounts, make_cabinet, make_meter, reading_notice
from tests.support.stories import KURSK, local_path, mail_to, not_see, see, signed_in_user
from tests.support.waiting import eventually

NO_PHONE = 'SMS недоступны: в профиле нет подтверждённого номера телефона'
INVALID = 'Ссылка недействительна'


@pytest.fixture
async def cabinet(user: User, mailbox, billing) -> Cabinet:
    """«ivanov» signed in (email confirmed, no phone), holding the sample Курск account."""
    await signed_in_user(user, mailbox)
    cabinet = await Cabinet.get(login='ivanov')
    await link_accounts(cabinet, KURSK)
    return cabinet


async def stored(cabinet: Cabinet) -> tuple[bool, bool, bool, bool]:
    row = await ReadingNotice.get(cabinet_id=cabinet.id)
    return row.remind_email, row.remind_sms, row.confirm_email, row.confirm_sms


async def test_a_customer_turns_on_reminders_and_confirmations_by_email(user: User, cabinet):
    await user.open('/settings?section=notices')
    await see(user, 'Напоминания приходят в день, когда открывается приём показаний', NO_PHONE)
    (sms_switch,) = user.find(marker=f'remind_sms-{KURSK}').elements
    assert not sms_switch.enabled  # no confirmed phone: the switch says so and cannot be turned on
    user.find(marker=f'remind_email-{KURSK}').click()
    user.find(marker=f'confirm_email-{KURSK}').click()
    user.find(marker=f'reading-notices-save-{KURSK}').click()
    await see(user, 'Сохранено')
    assert await stored(cabinet) == (True, False, True, False)
    # the page shows what is stored
    await user.open('/settings?section=notices')
    await see(user, NO_PHONE)
    (email_switch,) = user.find(marker=f'remind_email-{KURSK}').elements
    assert email_switch.value is True


async def test_a_forged_switch_for_an_unavailable_channel_is_refused(user: User, cabinet):
    """What a raw websocket event could do: the disabled SMS switch set on anyway."""
    await user.open('/settings?section=notices')
    await see(user, NO_PHONE)
    (sms_switch,) = user.find(marker=f'confirm_sms-{KURSK}').elements
    sms_switch.value = True
    user.find(marker=f'reading-notices-save-{KURSK}').click()
    # the refusal stands in the account's block, beside the reason the page already gave
    await eventually(lambda: len([label for label in user.find(NO_PHONE).elements if label.visible]) == 2, what='error')
    await not_see(user, 'Сохранено')
    assert not await ReadingNotice.exists(cabinet_id=cabinet.id)


async def test_the_reminder_emails_link_unsubscribes_without_a_login(user: User, mailbox, billing, fake_clock):
    cabinet = await make_cabinet('petrov', accounts=[KURSK])
    await make_meter(await Account.get(number=KURSK))
    await reading_notice(cabinet, KURSK, remind_email=True, confirm_email=True)
    assert await reminders.send_reminders(date(2026, 12, 15)) == 1
    message = await mail_to(mailbox, 'petrov@example.ru')
    link = re.search(r'http://portal\.test/readings/unsubscribe\?token=\S+', message.get_body(('plain',)).get_content())
    await user.open(local_path(link.group(0)))
    await see(user, f'Больше не присылать напоминания о передаче показаний по лицевому счёту {KURSK}?')
    assert await stored(cabinet) == (True, False, True, False)  # opening the link changes nothing
    user.find(marker='unsubscribe').click()
    await see(user, f'Напоминания по лицевому счёту {KURSK} отключены')
    assert await stored(cabinet) == (False, False, True, False)


@pytest.mark.parametrize('token', ['', 'nonsense', '1.forged', 'x' * 5000])
async def test_a_forged_unsubscribe_link_says_so_and_offers_no_button(user: User, billing, token):
    cabinet = await make_cabinet('petrov', accounts=[KURSK])
    row = await reading_notice(cabinet, KURSK, remind_email=True)
    await user.open(f'/readings/unsubscribe?token={token}')
    await see(user, INVALID)
    await user.should_not_see(marker='unsubscribe')
    assert (await ReadingNotice.get(id=row.id)).remind_email is True
    assert notices.unsubscribe_token(row.id) != token
