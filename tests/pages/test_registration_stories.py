"""Flows 1 and 2 as a customer does them, in NiceGUI's simulated browser."""

from __future__ import annotations

from nicegui.testing import User

from models.cabinet import Cabinet, CabinetState
from tests.support.factories import GOOD, PHONE
from tests.support.servers import Mailbox
from tests.support.stories import (
    fill,
    local_path,
    log_in,
    mail_to,
    not_see,
    open_account_menu,
    registration_fields,
    save_first_entry,
    see,
    sms_code,
    start_first_entry,
    volga_account,
)


async def test_register_by_login_confirm_by_email_then_log_in_and_out(user: User, mailbox):
    await user.open('/login')
    user.find('Еще нет аккаунта? Зарегистрируйтесь').click()
    await see(user, 'Регистрация', 'По электронной почте', 'По SMS')
    fill(user, registration_fields(Телефон=PHONE))
    user.find('Я согласен').click()
    user.find('Зарегистрироваться').click()
    await see(user, 'Почти готово! На ivanov@example.ru отправлено письмо')
    message = await mail_to(mailbox, 'ivanov@example.ru')
    assert message['Subject'] == 'Подтверждение регистрации в личном кабинете'
    await user.open(local_path(Mailbox.link(message)))
    assert (await Cabinet.get(login_key='ivanov')).state == CabinetState.PENDING  # opening the link is not enough
    user.find('Подтвердить регистрацию').click()
    await see(user, 'Регистрация подтверждена')
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')
    open_account_menu(user)
    user.find(marker='logout').click()
    await see(user, 'Вход в личный кабинет')
    await user.open('/')
    await see(user, 'Вход в личный кабинет')  # the session is gone


async def test_register_by_login_confirm_by_sms(user: User, sms):
    await user.open('/register')
    fill(user, registration_fields(Телефон='8 900 123-45-67'))
    user.find('По SMS').click()
    user.find('Получить код').click()
    await see(user, 'Код отправлен')
    user.find('Код подтверждения').type(await sms_code(sms, PHONE))
    user.find('ОК').click()
    await see(user, 'Подтверждено')
    user.find('Я согласен').click()
    user.find('Зарегистрироваться').click()
    await see(user, 'Регистрация завершена')
    await log_in(user, 'Ivanov')
    await see(user, 'Вы вошли как ivanov')


async def test_atom_registration_needs_sms_code_and_email_link(atom, user: User, sms, mailbox):
    await user.open('/register')
    await not_see(user, 'По электронной почте')  # no choice: both are required
    fill(user, registration_fields(Телефон=PHONE))
    user.find('Я согласен').click()
    user.find('Зарегистрироваться').click()
    await see(user, 'Подтвердите телефон кодом из SMS')
    user.find('Получить код').click()
    user.find('Код подтверждения').type(await sms_code(sms, PHONE))
    user.find('ОК').click()
    await see(user, 'Подтверждено')
    user.find('Зарегистрироваться').click()
    await see(user, 'Почти готово!')
    await log_in(user, 'ivanov')
    await see(user, 'Регистрация ещё не подтверждена')
    await user.open(local_path(Mailbox.link(await mail_to(mailbox, 'ivanov@example.ru'))))
    user.find('Подтвердить регистрацию').click()
    await see(user, 'Регистрация подтверждена')
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')


async def test_volga_first_entry_by_sms_logs_straight_in(volga, user: User, sms):
    await volga_account()
    await user.open('/login')
    await not_see(user, 'Еще нет аккаунта?')
    await start_first_entry(user)
    await see(user, 'Регистрация по лицевому счёту 4401000123')
    fill(
        user,
        {
            'Фамилия': 'Семёнов',
            'Новый пароль': GOOD,
            'Подтверждение пароля': GOOD,
            'Email': 's@example.ru',
            'Телефон': PHONE,
        },
    )
    user.find('По SMS').click()
    user.find('Отправить смс').click()
    user.find('Код подтверждения').type(await sms_code(sms, PHONE))
    user.find('ОК').click()
    await see(user, 'Подтверждено')
    user.find('Я согласен').click()
    user.find('Сохранить').click()
    await see(user, 'Вы вошли как 4401000123', 'Нижний Новгород, 603000')


async def test_volga_first_entry_by_email_then_login_by_account_number(volga, user: User, mailbox):
    await volga_account()
    await start_first_entry(user)
    await see(user, 'Регистрация по лицевому счёту 4401000123')
    save_first_entry(user, 'Семенов', 's@example.ru')
    await see(user, 'Почти готово! На s@example.ru')
    await user.open(local_path(Mailbox.link(await mail_to(mailbox, 's@example.ru'))))
    user.find('Подтвердить регистрацию').click()
    await see(user, 'Регистрация подтверждена')
    await log_in(user, '4401000123')
    await see(user, 'Вы вошли как 4401000123')
    await start_first_entry(user)
    await see(user, 'Этот лицевой счёт уже зарегистрирован')


async def test_first_entry_page_needs_step_one(volga, user: User):
    await user.open('/first-entry')
    await see(user, 'Вход в личный кабинет')
