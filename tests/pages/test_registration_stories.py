"""Flows 1 and 2 as a customer does them, in NiceGUI's simulated browser."""

from __future__ import annotations

from nicegui.testing import User

from models.billing import Account, Region
from models.cabinet import Cabinet, CabinetState
from tests.pages.conftest import fill, local_path, mail_to, not_see, see, sms_code
from tests.support.servers import Mailbox

GOOD = 'Zelenyj-Slon-42'
PHONE = '+79001234567'


def registration_fields(login: str = 'ivanov', email: str = 'ivanov@example.ru', **more: str) -> dict[str, str]:
    return {'Логин': login, 'Пароль': GOOD, 'Подтверждение пароля': GOOD, 'Email': email, **more}


async def log_in(user: User, login: str, password: str = GOOD) -> None:
    await user.open('/login')
    fill(user, {'Логин': login, 'Пароль': password})
    user.find('Войти').click()


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
    user.find(marker='account-menu').click()
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


async def demo_account(number: str = '4401000123', surname: str = 'Семёнов') -> Account:
    region = await Region.create(code='NNV', name='Нижний Новгород')
    return await Account.create(
        number=number, region=region, surname=surname, address='603000, г. Нижний Новгород, ул. Мира, д. 7, кв. 3'
    )


async def start_first_entry(user: User, number: str = '4401000123', surname: str = 'семенов') -> None:
    await user.open('/login')
    fill(user, {'Номер лицевого счёта': number, 'Фамилия': surname})
    user.find('Продолжить').click()


async def test_volga_first_entry_by_sms_logs_straight_in(volga, user: User, sms):
    await demo_account()
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
    await demo_account()
    await start_first_entry(user)
    await see(user, 'Регистрация по лицевому счёту 4401000123')
    fill(user, {'Фамилия': 'Семенов', 'Новый пароль': GOOD, 'Подтверждение пароля': GOOD, 'Email': 's@example.ru'})
    user.find('Я согласен').click()
    user.find('Сохранить').click()
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
