"""Flow 3 in the simulated browser: login, protected pages, recovery by email link and by SMS code."""

from __future__ import annotations

from nicegui.testing import User

from services import registration
from services.registration import BY_SMS, RegistrationForm
from tests.pages.conftest import fill, local_path, mail_to, see, sms_code
from tests.pages.test_registration_stories import GOOD, PHONE, log_in
from tests.support.servers import Mailbox

NEW = 'Novyj-Parol-2026'


async def registered(mailbox: Mailbox, *, sms=None) -> None:
    """A confirmed cabinet 'ivanov' made through the services (the stories above cover the screens)."""
    form = RegistrationForm(
        login='ivanov', password=GOOD, password_confirm=GOOD, email='ivanov@example.ru', consent=True
    )
    if sms is not None:
        request = await registration.send_registration_code(PHONE, ip=None)
        await registration.confirm_registration_code(request, await sms_code(sms, PHONE))
        form.phone, form.confirm_by, form.phone_request = PHONE, BY_SMS, request
    await registration.register_by_login(form, ip=None)
    if sms is None:
        link = Mailbox.link(await mail_to(mailbox, 'ivanov@example.ru'))
        await registration.confirm_email(link.split('token=')[1], ip=None)


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
