"""Flows 4, 5 and 7 in the simulated browser: link accounts, switch, overview and PDF, settings."""

from __future__ import annotations

import logging

import pytest
from nicegui import app, ui
from nicegui.testing import User

from models.billing import Account
from models.cabinet import Cabinet, Link
from models.ebill import EBill
from services import clock
from services.identity import registration
from tests.support.billing import pdf_text
from tests.support.factories import GOOD, PHONE, registration_form
from tests.support.servers import Mailbox
from tests.support.stories import (
    KURSK,
    fill,
    link,
    local_path,
    log_in,
    mail_to,
    open_account_menu,
    see,
    signed_in_user,
    sms_code,
)
from tests.support.waiting import eventually

TVER = '691000000001'
TVER_ADDRESS = '170100, г. Тверь, ул. Советская, д. 3, кв. 41'


async def test_first_login_lands_on_the_link_form_and_the_account_appears(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await see(user, 'Добавление лицевого счёта', 'Номер лицевого счёта', 'Подтверждение')
    await link(user, KURSK, '1 234,56')
    await see(user, f'Лицевой счёт {KURSK}', 'Задолженность:', 'Последний счёт: Октябрь 2026', 'Оплатить до 10.11.2026')
    await see(user, 'Счета за 12 месяцев', 'Платежи за 12 месяцев', '14.09.2026')
    open_account_menu(user)
    await see(user, '+Добавить счёт', 'Курск, 305000')


async def test_link_a_second_region_by_address_switch_and_keep_the_choice(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '102.50')
    await see(user, f'Лицевой счёт {KURSK}')
    await user.open('/accounts/add')
    await link(user, TVER, '170100, г. ТВЕРЬ,  ул. Советская, д. 3, кв. 41')  # case and spaces do not matter
    await see(user, f'Лицевой счёт {TVER}', 'Тверь, 170100')
    open_account_menu(user)
    user.find(marker=f'switch-{KURSK}').click()
    await see(user, f'Лицевой счёт {KURSK}')
    await user.open('/')
    await see(user, f'Лицевой счёт {KURSK}')  # the choice survives a reload


async def test_bill_pdf_downloads(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, 'Последний счёт: Октябрь 2026')
    user.find(marker='pdf-2026-10').click()
    response = await user.download.next(timeout=20)  # the PDF renders in a thread: a loaded box needs more than 1 s
    assert response.content.startswith(b'%PDF')


async def test_a_bill_of_the_history_downloads_and_crafted_periods_do_nothing(user: User, mailbox, billing, caplog):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, 'Октябрь 2026: ', 'Сентябрь 2026: ')
    history = user.find(marker='history')
    # what the browser sends for a click on a row's «PDF» (the page's listener reads the button's data-period)
    history.trigger('click', '2026-09')
    response = await user.download.next(timeout=20)
    assert response.content.startswith(b'%PDF')
    assert 'Сентябрь 2026' in pdf_text(response.content)
    # a crafted event: not a period, not text, 1 MB — nothing is rendered, the log says what came
    with caplog.at_level(logging.WARNING, 'portal.pages'):
        for args in ('x' * 1_000_000, {'period': '2026-09'}, [], '2026-9'):
            history.trigger('click', args)
        refused = 'a bill PDF asked for with a period that is not one'
        await eventually(lambda: caplog.text.count(refused) == 4, what='four refusals in the log')
    await user.should_not_see('Платёжного документа за этот период нет.')
    assert len(user.download.http_responses) == 1


@pytest.mark.parametrize(
    ('number', 'proof', 'message'),
    [
        ('', '', 'Заполните это поле'),
        ('999000999', '102.50', 'не найден'),
        (KURSK, '102', 'копейк'),
        (KURSK, '-5.00', ''),
        (KURSK, '1О2.50', ''),
        (KURSK, '999.99', 'Подтверждение не совпадает'),
        (KURSK, '305000, г. Курск, ул. Ленина, 5, кв. 12', 'Подтверждение не совпадает'),
    ],
)
async def test_bad_link_input(user: User, mailbox, billing, number, proof, message):
    await signed_in_user(user, mailbox)
    await link(user, number, proof)
    if message:
        await see(user, message)
    await see(user, 'Добавление лицевого счёта')
    assert await Link.all().count() == 0


async def test_proof_failures_lock_the_account_for_a_day(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    for _ in range(2):
        await link(user, KURSK, '999.99')
        await see(user, 'Подтверждение не совпадает')
        user.find('Подтверждение').clear()
        user.find('Номер лицевого счёта').clear()
    await link(user, KURSK, '999.99')
    await see(user, 'Попробуйте снова после')  # the third failure locks it
    user.find('Подтверждение').clear()
    user.find('Номер лицевого счёта').clear()
    await link(user, KURSK, '1234.56')
    await see(user, 'Попробуйте снова после')  # even the right proof waits
    assert await Link.all().count() == 0


async def test_linking_an_account_twice_says_so(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, f'Лицевой счёт {KURSK}')
    await user.open('/accounts/add')
    await link(user, KURSK, '1234.56')
    await see(user, 'уже привязан')
    assert await Link.all().count() == 1


async def test_double_click_on_add_links_once(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    fill(user, {'Номер лицевого счёта': KURSK, 'Подтверждение': '1234.56'})
    user.find(kind=ui.button, content='Добавить').click()
    user.find(kind=ui.button, content='Добавить').click()
    await see(user, f'Лицевой счёт {KURSK}')
    assert await Link.all().count() == 1


async def test_a_remembered_account_that_is_not_ours_is_not_shown(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, f'Лицевой счёт {KURSK}')
    app.storage.user['account'] = TVER  # e.g. a tampered or stale choice
    await user.open('/')
    await see(user, f'Лицевой счёт {KURSK}')


async def test_unlink_with_confirmation(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, f'Лицевой счёт {KURSK}')
    await user.open('/settings')
    await see(user, 'Профиль')
    await see(user, 'Привязанные лицевые счета', 'Добавить счет')
    user.find('Отвязать').click()
    await see(user, f'Отвязать лицевой счёт {KURSK} от кабинета?')
    user.find('Отмена').click()
    assert await Link.all().count() == 1
    user.find('Отвязать').click()
    await see(user, f'Отвязать лицевой счёт {KURSK} от кабинета?')
    user.find(marker='confirm-unlink').click()
    await see(user, f'Лицевой счёт {KURSK} отвязан')
    assert await Link.all().count() == 0


async def test_a_cabinet_cannot_unlink_the_account_it_logs_in_with(user: User, mailbox, billing, monkeypatch):
    account = await Account.get(number=KURSK)
    form = registration_form(login='', surname='Семенов', email='s@example.ru')
    await registration.register_by_account(account.number, form, ip=None)
    await registration.confirm_email(Mailbox.token(await mail_to(mailbox, 's@example.ru')), ip=None)
    await log_in(user, KURSK)
    await see(user, f'Вы вошли как {KURSK}')
    await user.open('/settings')
    await see(user, 'Профиль')
    await see(user, 'Привязанные лицевые счета')
    await user.should_not_see('Отвязать', retries=5)


async def test_change_email_asks_for_the_password_after_five_minutes(user: User, mailbox, billing, fake_clock):
    await signed_in_user(user, mailbox)
    fake_clock.advance(minutes=6)
    await user.open('/settings')
    await see(user, 'Профиль')
    fill(user, {'Новый email': 'new@example.ru'})
    user.find('Изменить email').click()
    await see(user, 'Для этого действия введите пароль ещё раз')
    user.find(marker='reauth-password').type(GOOD)
    user.find('Продолжить').click()
    await see(user, 'На new@example.ru отправлено письмо со ссылкой')
    message = await mail_to(mailbox, 'new@example.ru')
    await user.open(local_path(Mailbox.link(message)))
    user.find('Подтвердить новый адрес').click()
    await see(user, 'Адрес почты изменён на new@example.ru')
    assert (await Cabinet.get(login_key='ivanov')).email == 'new@example.ru'


async def test_change_phone_by_sms_code(user: User, mailbox, sms, billing):
    await signed_in_user(user, mailbox)
    await user.open('/settings')
    await see(user, 'Профиль')
    fill(user, {'Новый телефон': PHONE})
    user.find(marker='phone-send-code').click()
    await see(user, 'Код отправлен')
    user.find(marker='phone-code').type(await sms_code(sms, PHONE))
    user.find('Изменить телефон').click()
    await see(user, f'Телефон изменён на {PHONE}')


async def test_change_password_needs_the_current_one(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await user.open('/settings')
    await see(user, 'Профиль')
    fill(
        user,
        {
            'Текущий пароль': 'not-my-password',
            'Новый пароль': 'Novyj-Parol-2026',
            'Подтверждение пароля': 'Novyj-Parol-2026',
        },
    )
    user.find('Изменить пароль').click()
    await see(user, 'Неверный')
    user.find('Текущий пароль').clear()
    fill(user, {'Текущий пароль': GOOD})
    user.find('Изменить пароль').click()
    await see(user, 'Пароль изменён. Другие сеансы завершены.')


async def test_ebill_toggle_on_and_off(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, f'Лицевой счёт {KURSK}')
    await user.open('/settings')
    await see(user, 'Подключение получения квитанции на электронную почту')
    email = user.find(marker=f'ebill-email-{KURSK}')
    assert email.elements.pop().value == 'ivanov@example.ru'  # prefilled from the cabinet
    user.find(marker=f'ebill-toggle-{KURSK}').click()
    user.find(marker=f'ebill-save-{KURSK}').click()
    await see(user, 'Квитанция будет приходить на ivanov@example.ru')
    user.find(marker=f'ebill-toggle-{KURSK}').click()
    user.find(marker=f'ebill-save-{KURSK}').click()
    await see(user, 'Получение квитанции на email отключено')


async def test_a_bouncing_address_is_explained_in_russian_with_the_servers_reply_beside(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, f'Лицевой счёт {KURSK}')
    cabinet = await Cabinet.get(login_key='ivanov')
    await EBill.create(
        account=await Account.get(number=KURSK), cabinet=cabinet, email='ivanov@example.ru', enabled=True,
        email_confirmed_at=clock.now(), bounces=1, updated_at=clock.now(),
        last_bounce='recipient refused: 550 5.1.1 <ivanov@example.ru>: no such user',
    )  # fmt: skip
    await user.open('/settings')
    await see(user, 'Почтовый сервер не принимает письма на этот адрес: такого адреса нет. Проверьте адрес.')
    await see(user, 'Ответ почтового сервера: 550 5.1.1 <ivanov@example.ru>: no such user')
    await user.should_not_see('recipient refused')
