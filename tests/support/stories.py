"""Steps of the page stories in NiceGUI's simulated browser (the `user` fixture): what the customer sees and types,
the mail and SMS a step sends, and the usual ways into a cabinet."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser

from nicegui import ui
from nicegui.testing import User

from models.billing import Account
from services.identity import registration
from services.identity.registration import BY_SMS
from tests.support.factories import GOOD, PHONE, make_account, registration_form
from tests.support.servers import Mailbox, SmsInbox
from tests.support.waiting import eventually

#: a loaded 2-core machine needs more than NiceGUI's default 3 × 0.1 s
RETRIES = 60
#: the sample billing data's Курск account (tests/support/billing.py): payments 1234.56 and 102.50, bills 2026-09
#: and 2026-10
KURSK = '461000000001'


async def see(user: User, *texts: str) -> None:
    for text in texts:
        await user.should_see(text, retries=RETRIES)


async def not_see(user: User, text: str) -> None:
    await user.should_not_see(text, retries=RETRIES)


async def mail_to(mailbox: Mailbox, address: str, count: int = 1) -> EmailMessage:
    messages = await eventually(lambda: len(mailbox.to(address)) >= count and mailbox.to(address), what='mail')
    return messages[-1]


async def sms_code(sms: SmsInbox, phone: str, count: int = 1) -> str:
    texts = await eventually(lambda: len(sms.to(phone)) >= count and sms.to(phone), what='SMS')
    return re.search(r'\b(\d{6})\b', texts[-1]).group(1)


def local_path(link: str) -> str:
    return '/' + link.split('://', 1)[1].split('/', 1)[1]


def fill(user: User, fields: dict[str, str]) -> None:
    """Type into inputs found by their visible label."""
    for label, text in fields.items():
        user.find(kind=ui.input, content=label).type(text)


def registration_fields(login: str = 'ivanov', email: str = 'ivanov@example.ru', **more: str) -> dict[str, str]:
    return {'Логин': login, 'Пароль': GOOD, 'Подтверждение пароля': GOOD, 'Email': email, **more}


async def log_in(user: User, login: str, password: str = GOOD) -> None:
    await user.open('/login')
    fill(user, {'Логин': login, 'Пароль': password})
    user.find('Войти').click()


async def registered(
    mailbox: Mailbox, login: str = 'ivanov', email: str = 'ivanov@example.ru', *, sms: SmsInbox | None = None
) -> None:
    """A cabinet registered and confirmed through the services (by the email link, or by an SMS code if `sms` is
    given); the registration stories cover the screens."""
    form = registration_form(login=login, email=email)
    if sms is not None:
        request = await registration.send_registration_code(PHONE, ip=None)
        await registration.confirm_registration_code(request, await sms_code(sms, PHONE))
        form.phone, form.confirm_by, form.phone_request = PHONE, BY_SMS, request
    await registration.register_by_login(form, ip=None)
    if sms is None:
        await registration.confirm_email(Mailbox.token(await mail_to(mailbox, email)), ip=None)


async def signed_in_user(user: User, mailbox: Mailbox, login: str = 'ivanov', email: str = 'ivanov@example.ru') -> None:
    """`registered`, then logged in on the login page."""
    await registered(mailbox, login, email)
    await log_in(user, login)
    await see(user, f'Вы вошли как {login}')


async def volga_account(number: str = '4401000123', surname: str = 'Семёнов') -> Account:
    """An account of the Nizhny Novgorod utility, whose customers come in by the first entry."""
    return await make_account(
        number,
        surname=surname,
        address='603000, г. Нижний Новгород, ул. Мира, д. 7, кв. 3',
        region=('NNV', 'Нижний Новгород'),
    )


async def start_first_entry(user: User, number: str = '4401000123', surname: str = 'семенов') -> None:
    await user.open('/login')
    fill(user, {'Номер лицевого счёта': number, 'Фамилия': surname})
    user.find('Продолжить').click()


def save_first_entry(user: User, surname: str, email: str) -> None:
    """The first-entry form filled with a good password, the consent given, saved."""
    fill(user, {'Фамилия': surname, 'Новый пароль': GOOD, 'Подтверждение пароля': GOOD, 'Email': email})
    user.find('Я согласен').click()
    user.find('Сохранить').click()


async def link(user: User, number: str, proof: str) -> None:
    """The account added on the link form the page shows."""
    await see(user, 'Номер лицевого счёта')
    fill(user, {'Номер лицевого счёта': number, 'Подтверждение': proof})
    user.find(kind=ui.button, content='Добавить').click()


@dataclass(frozen=True)
class NavLink:
    href: str
    name: str
    current: bool


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[NavLink] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == 'a':
            self._open, self._text = dict(attrs), []
        elif dict(attrs).get('aria-hidden') == 'true':
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == 'a' and self._open is not None:
            current = self._open.get('aria-current') == 'page'
            self.links.append(NavLink(self._open['href'] or '', ''.join(self._text).strip(), current))
            self._open = None
        elif tag == 'i' and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._open is not None and not self._hidden:
            self._text.append(data)


def nav_links(user: User, bar: str = 'nav') -> list[NavLink]:
    """The links of a navigation bar ('nav' in the header, 'bottom-nav' on a phone) as a screen reader gets them:
    the bar is one element of HTML (pages/shell/navigation.py)."""
    (landmark,) = user.find(marker=bar).elements
    parser = _Links()
    parser.feed(landmark.content)
    return parser.links


async def follow(user: User, name: str, bar: str = 'nav') -> None:
    """A click on the bar's link `name`: the browser loads its address."""
    (link,) = [link for link in nav_links(user, bar) if link.name == name]
    await user.open(link.href)


def open_account_menu(user: User) -> None:
    """A click on the account menu: Quasar opens it and tells the server, which builds its items the first time."""
    user.find(marker='account-menu').click()
    user.find(marker='account-menu-items').trigger('beforeShow')  # NiceGUI's name for Quasar's before-show
