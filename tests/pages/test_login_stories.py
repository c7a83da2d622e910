"""Flow 3 in the simulated browser: login, protected pages, recovery by email link and by SMS code."""

from __future__ import annotations

from nicegui.testing import User

from tests.support.factories import GOOD, NEW, PHONE
from tests.support.servers import Mailbox
from tests.support.stories import fill, local_path, log_in, mail_to, registered, see, sms_code


async def test_protected_page_redirects_to_login_and_back(user: User, mailbox):
    await registered(mailbox)
    await user.open('/')
    await see(user, 'Вход в личный кабинет')
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')


async def test_wrong_password_and_unknown_login_read_the_same(user: User, mailbox):
    await registered(mailbox)
    await log_in(user, 'ivanov', 'wrong-password')
    await see(user, 'Неверный логин или пароль')
    await log_in(user, 'nobody', 'wrong-password')
    await see(user, 'Неверный логин или пароль')
    await user.open('/login')
    user.find('Войти').click()
    await see(user, 'Заполните это поле')


async def test_lockout_message_after_five_failures(user: User, mailbox):
    await registered(mailbox)
    for _ in range(5):
        await log_in(user, 'ivanov', 'wrong-password')
        await see(user, 'Неверный логин или пароль')
    await log_in(user, 'ivanov')
    await see(user, 'Слишком много попыток входа. Повторите через 1 мин.')


async def test_recovery_by_email_link(user: User, mailbox):
    await registered(mailbox)
    await user.open('/login')
    user.find('Забыли пароль?').click()
    await see(user, 'Восстановление пароля')
    fill(user, {'Логин': 'ivanov'})
    user.find('Восстановить').click()
    await see(user, 'Если такой кабинет есть')
    message = await mail_to(mailbox, 'ivanov@example.ru', count=2)
    assert message['Subject'] == 'Восстановление пароля в личном кабинете'
    await user.open(local_path(Mailbox.link(message)))
    fill(user, {'Новый пароль': NEW, 'Подтверждение пароля': NEW})
    user.find('Сохранить пароль').click()
    await see(user, 'Пароль изменён')
    await user.open(local_path(Mailbox.link(message)))
    await see(user, 'Ссылка недействительна')  # single use
    await log_in(user, 'ivanov', NEW)
    await see(user, 'Вы вошли как ivanov')


async def test_recovery_by_sms_code(user: User, mailbox, sms):
    await registered(mailbox, sms=sms)
    await user.open('/forgot')
    fill(user, {'Логин': 'ivanov'})
    user.find('Восстановить').click()
    await see(user, 'Если такой кабинет есть')
    user.find('Код подтверждения').type(await sms_code(sms, PHONE, count=2))
    fill(user, {'Новый пароль': NEW, 'Подтверждение пароля': NEW})
    user.find('Сохранить пароль').click()
    await see(user, 'Пароль изменён')
    await log_in(user, 'ivanov', NEW)
    await see(user, 'Вы вошли как ivanov')


async def test_recovery_answers_the_same_for_an_unknown_login(user: User, mailbox):
    await user.open('/forgot')
    fill(user, {'Логин': 'nobody'})
    user.find('Восстановить').click()
    await see(user, 'Если такой кабинет есть')


async def test_redirect_to_accepts_local_paths_only(user: User, mailbox):
    await registered(mailbox)
    await user.open('/login?redirect_to=https://evil.example/')
    fill(user, {'Логин': 'ivanov', 'Пароль': GOOD})
    user.find('Войти').click()
    await see(user, 'Вы вошли как ivanov')
