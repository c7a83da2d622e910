"""Every bad input of flows 1–2 gets its Russian message at its field, and nothing is stored."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from models.cabinet import Cabinet, Link
from services.identity import registration
from tests.support.factories import PHONE, registration_form
from tests.support.servers import Mailbox
from tests.support.stories import (
    fill,
    local_path,
    mail_to,
    registration_fields,
    save_first_entry,
    see,
    sms_code,
    start_first_entry,
    volga_account,
)


async def submit_registration(user: User, fields: dict[str, str], *, consent: bool = True) -> None:
    await user.open('/register')
    fill(user, fields)
    if consent:
        user.find('Я согласен').click()
    user.find('Зарегистрироваться').click()


@pytest.mark.parametrize(
    ('fields', 'message'),
    [
        ({}, 'Заполните это поле'),
        (registration_fields(login='1ivan'), 'первый символ — буква'),
        (registration_fields(Пароль='short1'), 'не короче 8 символов'),
        (registration_fields(Пароль='x' * 65), 'не длиннее 64 символов'),
        (
            {**registration_fields(), 'Пароль': 'qwerty123', 'Подтверждение пароля': 'qwerty123'},
            'слишком распространён',
        ),
        ({**registration_fields(), 'Подтверждение пароля': 'Другой-Пароль-1'}, 'Пароли не совпадают'),
        (registration_fields(email='ivanov@@example'), 'Неверный адрес электронной почты'),
        (registration_fields(Телефон='12345'), 'Неверный номер телефона'),
        (registration_fields(Телефон='+49 30 1234567'), 'только на номера с кодом +7'),
    ],
)
async def test_bad_registration_input(user: User, fields, message):
    await submit_registration(user, fields)
    await see(user, message)
    assert await Cabinet.all().count() == 0


async def test_consent_is_required(user: User):
    await submit_registration(user, registration_fields(), consent=False)
    await see(user, 'Без согласия на обработку персональных данных регистрация невозможна')
    assert await Cabinet.all().count() == 0


async def test_login_taken(user: User, mailbox):
    await submit_registration(user, registration_fields())
    await see(user, 'Почти готово')
    await submit_registration(user, registration_fields(login='IVANOV', email='other@example.ru'))
    await see(user, 'Этот логин уже занят')
    assert await Cabinet.all().count() == 1


async def test_double_click_registers_once(user: User, mailbox):
    await user.open('/register')
    fill(user, registration_fields())
    user.find('Я согласен').click()
    user.find('Зарегистрироваться').click()
    user.find('Зарегистрироваться').click()
    await see(user, 'Почти готово')
    await mail_to(mailbox, 'ivanov@example.ru')
    assert await Cabinet.all().count() == 1
    assert len(mailbox.to('ivanov@example.ru')) == 1


async def test_wrong_code_then_dead_after_five(user: User, sms):
    await user.open('/register')
    fill(user, registration_fields(Телефон=PHONE))
    user.find('По SMS').click()
    user.find('Получить код').click()
    code = await sms_code(sms, PHONE)
    wrong = '000000' if code != '000000' else '111111'
    for left in (4, 3, 2, 1):
        user.find('Код подтверждения').type(wrong)
        user.find('ОК').click()
        await see(user, f'Неверный код. Осталось попыток: {left}')
        user.find('Код подтверждения').clear()
    user.find('Код подтверждения').type(wrong)
    user.find('ОК').click()
    await see(user, 'Код больше не действует — запросите новый')


async def test_expired_code(user: User, sms, fake_clock):
    await user.open('/register')
    fill(user, registration_fields(Телефон=PHONE))
    user.find('По SMS').click()
    user.find('Получить код').click()
    code = await sms_code(sms, PHONE)
    fake_clock.advance(minutes=11)
    user.find('Код подтверждения').type(code)
    user.find('ОК').click()
    await see(user, 'Код больше не действует')


async def test_expired_and_used_links(user: User, mailbox, fake_clock):
    await submit_registration(user, registration_fields())
    await see(user, 'Почти готово')
    path = local_path(Mailbox.link(await mail_to(mailbox, 'ivanov@example.ru')))
    await user.open(path)
    user.find('Подтвердить регистрацию').click()
    await see(user, 'Регистрация подтверждена')
    await user.open(path)
    await see(user, 'Ссылка недействительна')
    await user.open('/confirm?token=made-up')
    await see(user, 'Ссылка недействительна')
    await submit_registration(user, registration_fields(login='petrov', email='p@example.ru'))
    await see(user, 'Почти готово')
    path = local_path(Mailbox.link(await mail_to(mailbox, 'p@example.ru')))
    fake_clock.advance(hours=25)
    await user.open(path)
    await see(user, 'Ссылка недействительна')


async def test_unknown_account_and_wrong_surname(user: User):
    account = await volga_account()
    await start_first_entry(user, '999999')
    await see(user, 'Лицевой счёт с такой фамилией не найден')
    await start_first_entry(user, account.number, 'Петров')
    await see(user, 'Лицевой счёт с такой фамилией не найден')
    await start_first_entry(user, account.number, 'Семенов')
    await see(user, 'Регистрация по лицевому счёту')
    save_first_entry(user, 'Петров', 's@example.ru')
    await see(user, 'Фамилия не совпадает с владельцем лицевого счёта')
    assert await Cabinet.all().count() == 0


async def test_email_over_its_quota(user: User):
    for number in range(10):
        account = await volga_account(f'77700{number}', 'Орлова')
        form = registration_form(login='', surname='Орлова', email='o@example.ru')
        await registration.register_by_account(account.number, form, ip=None)
    eleventh = await volga_account('7770010', 'Орлова')
    await start_first_entry(user, eleventh.number, 'Орлова')
    await see(user, 'Регистрация по лицевому счёту')
    save_first_entry(user, 'Орлова', 'o@example.ru')
    await see(user, 'не более 10 лицевых счетов')
    assert await Link.all().count() == 10
