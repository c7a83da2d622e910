"""Issue 11, beyond the list: whatever text a form sends, its service answers with a field error or does its work.

Property-based (hypothesis): any text in any field of every service a page form calls — any Unicode, lone surrogates
(the websocket's JSON carries them), NUL and other controls, right-to-left marks, combining marks; lengths around each
field's limit; values up to the 1 MB the websocket takes. Each call returns, or raises a PortalError whose field is one
of the form's (or none: the whole form's); it takes at most 50 ms of the event loop's CPU (argon2 runs off it); and a
refusal leaves what the form makes as it was: no cabinet, link, session, consent, link token, code, e-bill, outbox
row or meter reading appears, changes or goes. A refusal may write its audit row and the attempt it counts (rate
events, a code's failures).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from models.cabinet import Cabinet
from models.security import LinkToken, RateEvent
from services import limits
from services.billing import ebill
from services.errors import InvalidInput, PortalError, TooManyAttempts
from services.identity import email_change, ratelimit, recovery, registration
from services.identity import language as languages
from services.readings import notices
from tests.support.factories import ADDRESS, GOOD, NEW, NUMBER, make_account, registration_form
from tests.support.forms import BUDGET, FORMS, IP, LIMITS, TYPED_FIELDS, FormService, LoopCpu, signed_in_customer

#: a few dozen calls per service keep the whole module within a minute on SQLite
EXAMPLES = 20
#: what the forms make; a refusal leaves these rows as they were. Columns that count refusals are left out.
MADE = {
    'cabinet': (),
    'link': (),
    'session': (),
    'consent': (),
    'link_token': (),
    'one_time_code': ('failures',),
    'ebill': (),
    'outbox_message': (),
    'reading': (),
    'reading_notice': (),
}
#: what the tests below add to the page forms: the e-bill switch turned off (its address is then ignored), the header's
#: language switch, and the pages behind emailed links (the token is whatever the address bar holds), a reading
#: reminder's unsubscribe link among them
SERVICES = [
    *FORMS,
    FormService(
        'save_ebill_off', ('email',), lambda c, email='': ebill.save_ebill(c.cabinet, NUMBER, False, email, ip=IP)
    ),
    FormService('set_language', ('language',), lambda c, language='en': languages.set_language(c.cabinet, language)),
    FormService('confirm_email', ('token',), lambda c, token='x' * 43: registration.confirm_email(token, ip=IP)),
    FormService(
        'confirm_email_change', ('token',), lambda c, token='x' * 43: email_change.confirm_email_change(token, ip=IP)
    ),
    FormService('confirm_ebill', ('token',), lambda c, token='x' * 43: ebill.confirm_ebill(token, ip=IP)),
    FormService('reset_cabinet_by_link', ('token',), lambda c, token='x' * 43: recovery.reset_cabinet_by_link(token)),
    FormService(
        'unsubscribe_reminders', ('token',), lambda c, token='1.' + 'x' * 43: notices.unsubscribe(token, ip=IP)
    ),
]
SIZES = {**LIMITS, 'token': limits.TOKEN, 'language': 2}
#: characters that trip text handling: lone surrogates, NUL and other controls, line and paragraph separators, bidi
#: marks and overrides, combining marks, a BOM, letters that casefold longer («ß», «İ»), a ligature NFKC makes 18
#: characters of, NBSP and narrow NBSP, digits of other scripts, and what sums, emails and phones are made of
TRICKY = (
    '\ud800\udfff\x00\x07\x1b\x7f\t\n\r\u2028\u2029\u200f\u202e\u2066\u0301\u0489\ufeff'
    '\u00dfİ\ufdfa\u00a0\u202f٣۴@+.,-()'
)
CHARACTERS = st.one_of(st.characters(), st.sampled_from(TRICKY))
#: values close to what each field expects, so that examples get past the first checks
SHAPED = {
    'code': st.from_regex(r'\A\s?[0-9]{6}\s?\Z'),
    'phone': st.from_regex(r'\A(\+7|8)?[ (]?9[0-9]{2}[) ]?[0-9]{3}-?[0-9]{2}-?[0-9]{2}\Z'),
    'email': st.emails(),
    'account': st.from_regex(r'\A4610000000[0-9]{2}\Z'),
    'surname': st.sampled_from(['Семёнов', 'семенов', 'СЕМЁНОВ ']),
    'proof': st.one_of(
        st.from_regex(r'\A-?[0-9 \u00a0]{1,14}([.,][0-9]{0,3})?( ?(₽|руб\.?|р\.))?\Z'), st.just(ADDRESS)
    ),
    'login': st.one_of(st.just('ivanov'), st.from_regex(r'\A[a-zа-яßİ][\w.\-]{2,40}\Z')),
    'password': st.sampled_from([GOOD, NEW]),
    'current_password': st.just(GOOD),
    'new_password': st.just(NEW),
    'password_confirm': st.sampled_from([GOOD, NEW]),
    'token': st.text('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_', min_size=43, max_size=43),
    'language': st.sampled_from(['ru', 'en']),
    't1': st.from_regex(r'\A\s?[0-9]{1,6}([.,][0-9]{0,2})?\s?\Z'),
    't2': st.from_regex(r'\A\s?[0-9]{1,6}([.,][0-9]{0,2})?\s?\Z'),
}


def repeated(chunk: str, size: int) -> str:
    """`chunk` repeated to `size` characters: a huge value without hypothesis drawing every character."""
    return (chunk * (size // len(chunk) + 1))[:size]


def spiked(value: str, tricks: str, at: int) -> str:
    """`value` with `tricks` put in somewhere: a well-formed value carries the odd characters deep into the service."""
    at %= len(value) + 1
    return value[:at] + tricks + value[at:]


def typed(field: str) -> st.SearchStrategy[str]:
    """What a customer (or a script on the websocket) may send in `field`."""
    limit = SIZES[field]
    plain = st.text(CHARACTERS, max_size=limit + 4)
    chunks = st.text(CHARACTERS, min_size=1, max_size=8)
    return st.one_of(
        SHAPED[field],
        st.builds(
            spiked,
            st.one_of(SHAPED[field], plain),
            st.text(st.sampled_from(TRICKY), min_size=1, max_size=3),
            st.integers(0, limit),
        ),
        plain,
        st.builds(repeated, chunks, st.integers(max(limit - 2, 1), limit + 2)),
        st.builds(repeated, chunks, st.integers(limit * 10, 1_000_000)),
    )


async def made_rows() -> dict[str, list[str]]:
    """The rows of the tables the forms make, each table's in a stable order."""
    connection = connections.get('default')
    rows = {}
    for table, counters in MADE.items():
        found = await connection.execute_query_dict(f'SELECT * FROM {table}')
        rows[table] = sorted(repr(sorted((k, v) for k, v in row.items() if k not in counters)) for row in found)
    return rows


@pytest.fixture
async def customer(db):
    return await signed_in_customer(password=GOOD)


@pytest.mark.parametrize('service', [pytest.param(service, id=service.name) for service in SERVICES])
@settings(
    max_examples=EXAMPLES,
    deadline=None,  # the event loop's CPU is what is bounded (below), not the wall clock argon2 takes
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
async def test_any_text_in_any_field_is_a_field_error_or_done(customer, service, data):
    values = {}
    for field in service.fields:
        value = data.draw(st.one_of(st.none(), typed(field)), label=field)  # None: typed as it should be
        if value is not None:
            values[field] = value
    await RateEvent.all().delete()  # every example starts under every limit: the limits have their own tests
    before = await made_rows()
    try:
        with LoopCpu() as cpu:
            await service.send(customer, **values)
    except PortalError as error:
        errors = error.errors if isinstance(error, InvalidInput) else {error.field: error.message}
        assert set(errors) <= {*service.fields, *service.others, None}, errors
        assert all(isinstance(message, str) and message for message in errors.values()), errors
        assert await made_rows() == before, f'{type(error).__name__} {errors} left rows written'
    assert cpu.spent <= BUDGET, f'{cpu.spent * 1000:.0f} ms of event-loop CPU'


@pytest.mark.parametrize('character', [pytest.param('\x00', id='NUL'), pytest.param('\ud800', id='surrogate')])
@pytest.mark.parametrize(('form', 'field'), TYPED_FIELDS)
async def test_a_character_no_database_stores_is_a_field_error(db, form, field, character):
    """What the properties found: a NUL reached PostgreSQL (which refuses it in text) from the login of «Забыли
    пароль?» and «Войти», the account number of the first entry…; a lone surrogate (the websocket's JSON carries it)
    failed to encode on both databases. Same answer everywhere now, at the field, before any query."""
    customer = await signed_in_customer()
    with pytest.raises(InvalidInput) as caught:
        await form.send(customer, **{field: f'iva{character}nov'})
    assert caught.value.errors == {field: 'Недопустимый символ в значении'}


async def test_a_first_entry_over_the_registration_limit_leaves_the_waiting_one(db):
    """A refusal writes nothing of what its form makes, wherever it comes from: the registration limit refused a first
    entry only after it had deleted the account's earlier registration still waiting for its emailed link."""
    await make_account()
    waiting = await registration.register_by_account(
        NUMBER, registration_form(surname='Семёнов', email='first@example.ru'), ip='10.0.0.2'
    )
    assert not waiting.active
    for _ in range(ratelimit.REGISTER_PER_IP_HOUR.limit):
        await ratelimit.record(ratelimit.REGISTER_PER_IP_HOUR, IP)
    with pytest.raises(TooManyAttempts):
        await registration.register_by_account(
            NUMBER, registration_form(surname='Семёнов', email='second@example.ru'), ip=IP
        )
    assert await Cabinet.filter(login_key=NUMBER).values_list('email', flat=True) == ['first@example.ru']
    assert await LinkToken.exists(cabinet_id=waiting.cabinet.id, used_at=None)


@pytest.mark.parametrize('value', [5, 1.5, True, ['ivanov'], {'text': 'ivanov'}], ids=type)
@pytest.mark.parametrize(('form', 'field'), TYPED_FIELDS)
async def test_a_value_that_is_not_text_is_a_field_error(db, form, field, value):
    """A crafted websocket event sets any JSON value on a text field: a number, a list or an object reached string
    methods in the services and answered «Что-то пошло не так» with a traceback in the log."""
    customer = await signed_in_customer()
    with pytest.raises(PortalError) as caught:
        await form.send(customer, **{field: value})
    if isinstance(caught.value, InvalidInput):
        assert caught.value.errors == {field: 'Недопустимое значение'}
    else:  # a choice from a list, not typed text: the service refuses the whole form
        assert caught.value.field is None and caught.value.message
