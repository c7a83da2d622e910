"""Help where customers get stuck, in the simulated browser: the contact centre (PORTAL_SUPPORT_PHONE, _HOURS) on the
login, recovery and emailed-link pages and in every page's footer, as a `tel:` link, and nowhere while no phone is
set; «Проверьте папку «Спам»» wherever an email is awaited."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.support.factories import make_cabinet
from tests.support.settings import configure
from tests.support.stories import RETRIES, fill, log_in, registration_fields, see, signed_in_user

PHONE = '8 800 100-00-00'
HOURS = 'пн–пт 8:00–20:00'
SPAM = 'Письма нет? Проверьте папку «Спам».'


@pytest.fixture
def contact_centre(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, support_phone=PHONE, support_hours=HOURS)


def phone_links(user: User) -> list[str]:
    """The contact centre's number on the page, as the `tel:` links a phone dials."""
    return [link.props['href'] for link in user.find(marker='support-phone').elements]


async def shows_contact_centre(user: User, path: str, *why: str) -> None:
    """`path` says why to call and gives the number, in its content and in its footer."""
    await user.open(path)
    await see(user, *why, 'Контактный центр:', f'({HOURS})')
    assert phone_links(user) == ['tel:88001000000'] * 2
    assert {link.text for link in user.find(marker='support-phone').elements} == {PHONE}


@pytest.mark.usefixtures('contact_centre')
async def test_the_contact_centre_is_where_customers_get_stuck(user: User):
    await shows_contact_centre(user, '/login', 'Не получается войти? Позвоните в контактный центр.')
    # the utility's help: whose email changed since registering gets the password back by phone
    await shows_contact_centre(user, '/forgot', 'сменился адрес электронной почты', 'для восстановления пароля')
    await shows_contact_centre(user, '/reset?token=spent', 'Ссылка недействительна', 'для восстановления пароля')
    await shows_contact_centre(user, '/confirm?token=spent', 'Ссылка недействительна', 'письмо не пришло')
    await shows_contact_centre(user, '/email-change?token=spent', 'Ссылка недействительна', 'письмо не пришло')


@pytest.mark.usefixtures('contact_centre')
async def test_every_signed_in_page_has_the_contact_centre_in_its_footer(user: User, mailbox):
    await signed_in_user(user, mailbox)
    for path in ('/', '/readings', '/settings'):
        await user.open(path)
        await see(user, 'Контактный центр:')
        assert phone_links(user) == ['tel:88001000000']  # the footer's, once


async def test_no_contact_centre_while_no_phone_is_set(user: User, mailbox):
    pages = {'/login': 'Вход в личный кабинет', '/forgot': 'Восстановить', '/confirm?token=spent': 'Ссылка'}
    for path, shown in pages.items():
        await user.open(path)
        await see(user, shown)
        await user.should_not_see('Контактный центр', retries=RETRIES)
        await user.should_not_see(marker='support-phone', retries=RETRIES)
    await signed_in_user(user, mailbox)
    await user.should_not_see(marker='support', retries=RETRIES)


async def test_a_registration_awaiting_its_email_points_to_the_spam_folder(user: User, mailbox):
    await user.open('/register')
    fill(user, registration_fields())
    user.find('Я согласен').click()
    user.find(kind=ui.button, content='Зарегистрироваться').click()
    await see(user, 'Почти готово! На ivanov@example.ru отправлено письмо', SPAM)
    # and once more if the customer tries to log in before following the link
    await log_in(user, 'ivanov')
    await see(user, 'Регистрация ещё не подтверждена', 'Проверьте папку «Спам»')


async def test_a_password_reset_points_to_the_spam_folder(user: User):
    await make_cabinet('ivanov')
    await user.open('/forgot')
    fill(user, {'Логин': 'ivanov'})
    user.find(kind=ui.button, content='Восстановить').click()
    await see(user, 'Если такой кабинет есть', SPAM)
