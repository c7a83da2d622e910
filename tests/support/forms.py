"""Every form a page sends to a service, as data: the service, the text fields a customer types into it, and how to
call it with any of them changed (a field not given holds what a customer filling the form in well types). The tests
that put any text into any field use it: tests/security/test_long_input.py and test_form_properties.py."""

from __future__ import annotations

import gc
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

import pytest

from models.billing import Account, Region
from models.cabinet import Cabinet
from models.readings import Meter
from services import clock, limits
from services.accounts import linking
from services.billing import ebill
from services.identity import auth, email_change, password_change, reauth, recovery, registration, sessions
from services.identity.phone_change import change_phone, send_phone_code
from services.readings import notices
from services.readings.notices import NoticeChoice
from services.readings.submission import submit_reading
from tests.support.factories import (
    GOOD,
    NEW,
    NUMBER,
    SERIAL,
    add_payment,
    make_account,
    make_cabinet,
    registration_form,
)

IP = '10.0.0.1'
#: event-loop CPU one call of a form's service may take (issue 11: never more than 50 ms)
BUDGET = 0.05
#: an account billing holds that the customer has not linked yet, and the payment that proves it
OTHER = '461000000002'
PAID = '102.00'


class LoopCpu:
    """`with LoopCpu() as cpu:` … `cpu.spent`: the CPU time this thread (the event loop's: what every other customer
    waits for) spent in the block, less the garbage collector's full passes in it. Those cost the heap's size (~100 ms
    in a test process), not the input's, and come at random moments."""

    def __enter__(self) -> LoopCpu:
        self.spent = self._collecting = 0.0
        self._thread = threading.get_ident()
        gc.callbacks.append(self._collector)
        self._start = time.thread_time()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.spent = time.thread_time() - self._start - self._collecting
        gc.callbacks.remove(self._collector)

    def _collector(self, phase: str, info: dict) -> None:
        if threading.get_ident() != self._thread:
            return
        if phase == 'start':
            self._collection_start = time.thread_time()
        else:
            self._collecting += time.thread_time() - self._collection_start


#: the longest value of each field (services/limits.py)
LIMITS = {
    'login': limits.LOGIN,
    'email': limits.EMAIL,
    'phone': limits.PHONE,
    'account': limits.ACCOUNT,
    'surname': limits.SURNAME,
    'proof': limits.PROOF,
    'password': limits.PASSWORD,
    'current_password': limits.PASSWORD,
    'new_password': limits.PASSWORD,
    'password_confirm': limits.PASSWORD,
    'code': limits.CODE,
    't1': limits.READING,
    't2': limits.READING,
}


@dataclass(frozen=True)
class Customer:
    """The signed-in customer the settings forms are sent by: «ivanov» holding Семёнов's account, and its session."""

    cabinet: Cabinet
    token: str


async def signed_in_customer(*, password: str | None = None) -> Customer:
    """«ivanov» with NUMBER linked, OTHER in billing with a payment of PAID, and a session whose password is fresh;
    the cabinet's password is hashed only when given (argon2 is slow)."""
    await make_account()
    await add_payment(await make_account(OTHER), clock.today() - timedelta(days=10), PAID)
    cabinet = await make_cabinet('ivanov', password=password, accounts=[NUMBER])
    return Customer(cabinet, await sessions.start(cabinet, IP))


@dataclass(frozen=True)
class FormService:
    """A service a page form calls; `send(customer, field=value, …)` calls it with those fields typed."""

    name: str
    #: the text fields the customer types
    fields: tuple[str, ...]
    call: Callable[..., Awaitable[object]]
    #: the other fields of the page's form a refusal may name (a checkbox, the code of the form's SMS step)
    others: tuple[str, ...] = ()

    async def send(self, customer: Customer, **values: str) -> object:
        return await self.call(customer, **values)


async def _submit_reading(customer: Customer, t1: str = '120', t2: str = '60') -> object:
    """«Передать показания» of NUMBER's two-zone meter, its region's window open every day whatever the date."""
    account = await Account.get(number=NUMBER)
    await Region.filter(id=account.region_id).update(readings_from=1, readings_to=31)
    await Meter.get_or_create(account=account, serial=SERIAL, defaults={'zones': 2, 'digits': 5, 'decimals': 1})
    return await submit_reading(customer.cabinet, NUMBER, SERIAL, {'t1': t1, 't2': t2}, confirm=False, ip=IP)


#: what both registration forms have besides their own field (login, or account number and surname)
_REGISTRATION = ('email', 'phone', 'password', 'password_confirm')
#: where both registration forms show a refusal besides the typed fields: the SMS code and the consent checkbox
_REGISTRATION_OTHERS = ('code', 'consent')


FORMS = [
    FormService(
        'link_account',
        ('account', 'proof'),
        lambda c, account=OTHER, proof=PAID: linking.link_account(c.cabinet, account, proof, ip=IP),
    ),
    FormService(
        'unlink_account', ('account',), lambda c, account=NUMBER: linking.unlink_account(c.cabinet, account, ip=IP)
    ),
    FormService(
        'login', ('login', 'password'), lambda c, login='ivanov', password=GOOD: auth.login(login, password, ip=IP)
    ),
    FormService(
        'register_by_login',
        ('login', *_REGISTRATION, 'surname'),
        lambda c, login='petrov', **values: registration.register_by_login(
            registration_form(login=login, **values), ip=IP
        ),
        others=_REGISTRATION_OTHERS,
    ),
    FormService(
        'send_registration_code',
        ('phone',),
        lambda c, phone='+79001112233': registration.send_registration_code(phone, ip=IP),
        others=('code',),
    ),
    FormService(
        'confirm_registration_code',
        ('code',),
        lambda c, code='123456': registration.confirm_registration_code(uuid.uuid4(), code),
    ),
    FormService(
        'find_first_entry_account',
        ('account', 'surname'),
        lambda c, account=NUMBER, surname='Семёнов': registration.find_first_entry_account(account, surname, ip=IP),
    ),
    FormService(
        'register_by_account',
        ('account', *_REGISTRATION, 'surname'),
        lambda c, account=NUMBER, surname='Семёнов', **values: registration.register_by_account(
            account, registration_form(surname=surname, **values), ip=IP
        ),
        others=_REGISTRATION_OTHERS,
    ),
    FormService('request_reset', ('login',), lambda c, login='ivanov': recovery.request_reset(login, ip=IP)),
    FormService(
        'reset_by_code',
        ('code', 'password', 'password_confirm'),
        lambda c, code='123456', password=NEW, password_confirm=NEW: recovery.reset_by_code(
            uuid.uuid4(), code, password, password_confirm, ip=IP
        ),
    ),
    FormService(
        'reset_by_link',
        ('password', 'password_confirm'),
        lambda c, password=NEW, password_confirm=NEW: recovery.reset_by_link(
            'x' * 43, password, password_confirm, ip=IP
        ),
    ),
    FormService(
        'confirm_password',
        ('password',),
        lambda c, password=GOOD: reauth.confirm_password(c.cabinet, c.token, password, ip=IP),
    ),
    FormService(
        'request_email_change',
        ('email',),
        lambda c, email='ivanov.new@example.ru': email_change.request_email_change(c.cabinet, c.token, email, ip=IP),
    ),
    FormService(
        'send_phone_code',
        ('phone',),
        lambda c, phone='+79001112233': send_phone_code(c.cabinet, c.token, phone, ip=IP),
        others=('code',),
    ),
    FormService(
        'change_phone', ('code',), lambda c, code='123456': change_phone(c.cabinet, c.token, uuid.uuid4(), code, ip=IP)
    ),
    FormService(
        'change_password',
        ('current_password', 'new_password', 'password_confirm'),
        lambda c, current_password=GOOD, new_password=NEW, password_confirm=NEW: password_change.change_password(
            c.cabinet, c.token, current_password, new_password, password_confirm, ip=IP
        ),
    ),
    FormService(
        'save_ebill',
        ('email',),
        lambda c, email='semenov@example.ru': ebill.save_ebill(c.cabinet, NUMBER, True, email, ip=IP),
    ),
    FormService('submit_reading', ('t1', 't2'), _submit_reading, others=('confirm',)),
    FormService(
        'save_reading_notices',
        ('account',),
        lambda c, account=NUMBER: notices.save_reading_notices(
            c.cabinet, account, NoticeChoice(remind_email=True), ip=IP
        ),
        others=notices.CHANNELS,
    ),
]

#: every typed field of every form: (form, field) parameters named «service-field»
TYPED_FIELDS = [pytest.param(form, field, id=f'{form.name}-{field}') for form in FORMS for field in form.fields]
