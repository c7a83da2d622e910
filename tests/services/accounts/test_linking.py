"""Flow 4: linking a personal account with a payment sum or the address, attempt limits, unlinking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from models.billing import Account
from models.cabinet import CabinetState, Link
from models.security import AuditEvent, RateEvent
from services import clock
from services.accounts import linking
from services.errors import InvalidInput, NotAllowed, TooManyAttempts
from services.identity.contacts import fold_text
from tests.support.delivery import deliver
from tests.support.factories import ADDRESS, NUMBER, add_payment, make_account, make_cabinet
from tests.support.servers import Mailbox
from tests.support.settings import configure

MISMATCH = 'Подтверждение не совпадает с данными этого лицевого счёта'
KOPECKS = 'Укажите сумму с копейками, например 102.00'
MALFORMED = 'Сумма указана неверно: укажите её цифрами, с копейками, например 1 234,50'
POSITIVE = 'Сумма платежа должна быть больше нуля'


async def refused(coroutine, error: type[Exception] = InvalidInput) -> Exception:
    with pytest.raises(error) as caught:
        await coroutine
    return caught.value


def failures(scope: str) -> object:
    return RateEvent.filter(key__startswith=f'{scope}:').count()


# --- proof: parsing and folding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('text', 'amount'),
    [
        ('102.00', '102.00'),
        ('102,00', '102.00'),
        (' 102.10 ', '102.10'),
        ('0,01', '0.01'),
        ('1 234,50', '1234.50'),
        ('1\u00a0234,50', '1234.50'),  # NBSP, as a bank app copies it
        ('1\u202f234.50', '1234.50'),  # narrow NBSP
        ('12 345 678.90', '12345678.90'),
        ('102.00 ₽', '102.00'),
        ('102,00 руб.', '102.00'),
        ('102.00руб', '102.00'),
    ],
)
def test_payment_sums_that_parse(text, amount):
    assert linking.parse_payment_sum(text) == Decimal(amount)


@pytest.mark.parametrize(
    ('text', 'message'),
    [
        ('102', KOPECKS),
        ('102.', KOPECKS),
        ('102,5', KOPECKS),  # one digit is not kopecks: a receipt always shows two
        ('1 234', KOPECKS),
        ('102.500', MALFORMED),
        ('10a.00', MALFORMED),
        ('1O2.00', MALFORMED),  # a Latin O for a zero
        ('12 34,00', MALFORMED),  # not thousand groups
        ('1.234,50', MALFORMED),
        ('+102.00', MALFORMED),
        ('.50', MALFORMED),
        ('102 руб. 50 коп.', MALFORMED),
        ('99999999999.00', MALFORMED),  # more rubles than any payment can have
        ('-5.00', POSITIVE),
        ('−5,00', POSITIVE),
        ('0.00', POSITIVE),
        ('0', POSITIVE),
    ],
)
def test_malformed_sums_are_refused_with_a_reason(text, message):
    with pytest.raises(InvalidInput) as caught:
        linking.parse_payment_sum(text)
    assert caught.value.errors == {'proof': message}


@pytest.mark.parametrize('text', [ADDRESS, 'д. 1', 'кв.12', 'ул. Мира 5/2', 'Курск'])
def test_addresses_are_not_sums(text):
    assert linking.parse_payment_sum(text) is None


def test_address_folding():
    assert fold_text('  305000,\u00a0Г.  КУРСК,\tул. Семёновская ') == '305000, г. курск, ул. семеновская'


# --- linking ---------------------------------------------------------------------------------------------------


async def test_link_by_payment_sum_in_linking_order_with_regions(db, fake_clock):
    cabinet = await make_cabinet()
    kursk = await make_account()
    tver = await make_account('691000000001', address='170100, г. Тверь, ул. Советская, д. 3', region=('TVR', 'Тверь'))
    await add_payment(kursk, '2026-10-12', '1234.5')
    await add_payment(tver, '2026-09-01', '702.18')
    assert await linking.linked_accounts(cabinet.id) == []

    linked = await linking.link_account(cabinet, ' 691000000001 ', '702,18', ip='10.0.0.1')
    assert linked.number == '691000000001'
    fake_clock.advance(minutes=1)
    await linking.link_account(cabinet, NUMBER, '1 234,50 ₽', ip='10.0.0.1')

    accounts = await linking.linked_accounts(cabinet.id)
    assert [(a.number, a.region.name) for a in accounts] == [('691000000001', 'Тверь'), (NUMBER, 'Курск')]
    link = await Link.get(cabinet=cabinet, account=kursk)
    assert (link.proof, link.linked_at) == ('payment', fake_clock.current)
    event = await AuditEvent.filter(event='link_success').order_by('-id').first()
    assert (event.cabinet_id, event.ip, event.detail['account']) == (cabinet.id, '10.0.0.1', NUMBER)
    assert await RateEvent.all().count() == 0


@pytest.mark.parametrize(
    'typed',
    [
        ADDRESS,
        '305000, Г. КУРСК, УЛ. СЕМЁНОВСКАЯ, Д. 1, КВ. 2',
        '305000, г. Курск, ул. Семеновская, д. 1, кв. 2',  # е for ё
        '  305000,  г. Курск,   ул. Семёновская, д. 1, кв. 2 ',
        '305000,\u00a0г.\u00a0Курск, ул. Семёновская, д.\u00a01, кв. 2',
    ],
)
async def test_link_by_address_folds_case_yo_and_whitespace(db, typed):
    cabinet = await make_cabinet()
    await make_account(address='305000, г. Курск, ул. Семёновская, д. 1, кв. 2')
    await linking.link_account(cabinet, NUMBER, typed, ip=None)
    assert (await Link.get(cabinet=cabinet)).proof == 'address'


@pytest.mark.parametrize(
    'typed',
    [
        'г. Курск, ул. Семёновская, д. 1, кв. 2',  # no postal index
        '305000 г. Курск, ул. Семёновская, д. 1, кв. 2',  # a comma missing
        '305000, г. Курск, улица Семёновская, д. 1, кв. 2',  # abbreviation spelt out
        '305000, г. Курск, ул. Семёновская, д.1, кв. 2',  # a space is not punctuation, but it is not folded away
        '305000, г. Курск, ул. Семёновская, д. 1, кв. 3',
    ],
)
async def test_address_differences_do_not_match(db, typed):
    cabinet = await make_cabinet()
    await make_account()
    error = await refused(linking.link_account(cabinet, NUMBER, typed, ip=None))
    assert error.errors == {'proof': MISMATCH}
    assert await Link.all().count() == 0


async def test_sums_compare_as_decimals_exactly(db, fake_clock):
    cabinet = await make_cabinet()
    account = await make_account()
    await add_payment(account, '2026-10-01', '102.1')
    await add_payment(account, '2026-10-02', '0.01')
    assert await linking.proof_matches(account, '102.10')
    assert await linking.proof_matches(account, '102,10')
    assert await linking.proof_matches(account, '0,01')
    assert not await linking.proof_matches(account, '102.01')
    assert not await linking.proof_matches(account, '1.02')
    assert not await linking.proof_matches(account, '1 021,00')
    await linking.link_account(cabinet, NUMBER, '102.10', ip=None)


async def test_zero_and_negative_payments_never_prove(db, fake_clock):
    cabinet = await make_cabinet()
    account = await make_account()
    await add_payment(account, '2026-10-01', '0.00')
    await add_payment(account, '2026-10-02', '-50.00')
    assert (await refused(linking.link_account(cabinet, NUMBER, '0.00', ip=None))).errors == {'proof': POSITIVE}
    assert (await refused(linking.link_account(cabinet, NUMBER, '-50.00', ip=None))).errors == {'proof': POSITIVE}
    assert (await refused(linking.link_account(cabinet, NUMBER, '50.00', ip=None))).errors == {'proof': MISMATCH}


async def test_six_month_window_edges(db, fake_clock):
    # now 20.11.2026 13:00 in Moscow: payments from 20.05.2026 on count, future-dated ones too
    account = await make_account()
    await add_payment(account, '2026-05-20', '100.00')
    await add_payment(account, '2026-05-19', '200.00')
    await add_payment(account, '2026-12-01', '300.00')
    assert await linking.proof_matches(account, '100.00')
    assert not await linking.proof_matches(account, '200.00')
    assert await linking.proof_matches(account, '300.00')
    # the next day in Moscow (21:30 UTC is 00:30 MSK) moves the window although the UTC date has not changed
    fake_clock.current = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
    assert not await linking.proof_matches(account, '100.00')


async def test_window_from_a_month_end_is_clamped(db, fake_clock):
    fake_clock.current = datetime(2026, 8, 31, 9, 0, tzinfo=UTC)
    account = await make_account()
    await add_payment(account, '2026-02-28', '100.00')
    await add_payment(account, '2026-02-27', '200.00')
    assert await linking.proof_matches(account, '100.00')
    assert not await linking.proof_matches(account, '200.00')


async def test_bad_input_is_refused_and_never_counted(db, fake_clock):
    cabinet = await make_cabinet()
    account = await make_account()
    await add_payment(account, '2026-10-01', '102.00')
    error = await refused(linking.link_account(cabinet, ' ', '\u00a0', ip=None))
    assert error.errors == {'account': 'Заполните это поле', 'proof': 'Заполните это поле'}
    for typed, message in [('102', KOPECKS), ('10a.00', MALFORMED), ('-102.00', POSITIVE), ('0,00', POSITIVE)]:
        assert (await refused(linking.link_account(cabinet, NUMBER, typed, ip=None))).errors == {'proof': message}
    error = await refused(linking.link_account(cabinet, '000000000000', '102.00', ip=None))
    assert error.errors == {'account': 'Лицевой счёт с таким номером не найден. Проверьте номер по квитанции'}
    assert await RateEvent.all().count() == 0
    assert await Link.all().count() == 0
    outcomes = await AuditEvent.filter(event='link_refused').order_by('id').values_list('detail', flat=True)
    assert [detail['outcome'] for detail in outcomes] == ['invalid_input'] * 5 + ['unknown_account']


async def test_already_linked_says_so_and_is_not_a_failure(db, fake_clock):
    cabinet = await make_cabinet()
    account = await make_account()
    await add_payment(account, '2026-10-01', '102.00')
    await linking.link_account(cabinet, NUMBER, '102.00', ip=None)
    for proof in ('102.00', '999.99', '999.99', '999.99'):
        error = await refused(linking.link_account(cabinet, NUMBER, proof, ip=None))
        assert error.errors == {'account': 'Этот лицевой счёт уже привязан к вашему кабинету'}
    assert await RateEvent.all().count() == 0
    assert await Link.all().count() == 1


# --- attempt limits ----------------------------------------------------------------------------------------------


async def test_three_failures_lock_the_account_for_this_cabinet_for_24_hours(db, fake_clock):
    cabinet = await make_cabinet()
    account = await make_account()
    other = await make_account('461000000002')
    await add_payment(account, '2026-10-01', '102.00')
    await add_payment(other, '2026-10-01', '55.00')
    for _ in range(2):
        error = await refused(linking.link_account(cabinet, NUMBER, '999.99', ip='10.0.0.9'))
        assert error.errors == {'proof': MISMATCH}
        fake_clock.advance(minutes=1)
    fake_clock.advance(seconds=30)
    # the third failure trips the lock at 10:02:30 UTC → 24 h on, shown rounded up to the minute in Moscow time
    locked = 'Слишком много неверных попыток. Попробуйте снова после 21.11.2026 13:03 (время московское)'
    error = await refused(linking.link_account(cabinet, NUMBER, '999.99', ip='10.0.0.9'), TooManyAttempts)
    assert (error.message, error.field) == (locked, 'proof')
    error = await refused(linking.link_account(cabinet, NUMBER, '102.00', ip='10.0.0.9'), TooManyAttempts)
    assert error.message == locked  # even the right proof, and it is not counted
    assert await failures('link-fail-pair') == 3
    await linking.link_account(cabinet, '461000000002', '55.00', ip=None)  # other accounts are open

    fake_clock.advance(hours=23, minutes=59)
    await refused(linking.link_account(cabinet, NUMBER, '102.00', ip=None), TooManyAttempts)
    fake_clock.advance(minutes=1)
    await linking.link_account(cabinet, NUMBER, '102.00', ip=None)

    limited = await AuditEvent.filter(event='link_limited').values_list('detail', flat=True)
    assert len(limited) == 2 and all(detail['locks'] == ['link-fail-pair'] for detail in limited)
    audited = await AuditEvent.filter(event='link_failure').order_by('id').values_list('ip', 'detail')
    assert [(ip, detail['account'], detail['outcome']) for ip, detail in audited] == [
        ('10.0.0.9', NUMBER, 'mismatch')
    ] * 3


async def test_failures_spread_over_more_than_a_day_do_not_lock(db, fake_clock):
    cabinet = await make_cabinet()
    await make_account()
    for _ in range(2):
        await refused(linking.link_account(cabinet, NUMBER, '999.99', ip=None))
    fake_clock.advance(hours=24, seconds=1)
    for _ in range(2):
        await refused(linking.link_account(cabinet, NUMBER, '999.99', ip=None))
    assert await failures('link-fail-pair') == 4
    # the fifth makes three within one day: locked
    await refused(linking.link_account(cabinet, NUMBER, '999.99', ip=None), TooManyAttempts)


async def test_five_failures_lock_the_account_for_everyone_and_tell_its_holders_once(db, fake_clock, mailbox):
    account = await make_account()
    await add_payment(account, '2026-10-01', '102.00')
    first, second = await make_cabinet('holder', 'holder@example.ru'), await make_cabinet('spouse', 'spouse@example.ru')
    # an address typed at registration and never confirmed may be a stranger's: it hears nothing
    unproven = await make_cabinet('unproven', 'unproven@example.ru', email_confirmed=False)
    for holder in (first, second, await make_cabinet('noemail', None), unproven):
        await Link.create(cabinet=holder, account=account, proof='payment', linked_at=clock.now())
    pending = await make_cabinet('pending', 'pending@example.ru', state=CabinetState.PENDING)
    await Link.create(cabinet=pending, account=account, proof='first_entry', linked_at=clock.now())
    one, two, three = [await make_cabinet(f'guess{n}', f'guess{n}@example.ru') for n in range(3)]

    for cabinet in (one, one, two, two):
        await refused(linking.link_account(cabinet, NUMBER, '999.99', ip='10.6.6.6'))
    error = await refused(linking.link_account(three, NUMBER, '999.99', ip='10.6.6.6'), TooManyAttempts)
    assert error.message.endswith('после 21.11.2026 13:00 (время московское)')
    error = await refused(linking.link_account(one, NUMBER, '102.00', ip=None), TooManyAttempts)
    assert '21.11.2026 13:00' in error.message

    await deliver()
    text = Mailbox.text(mailbox.wait_for('holder@example.ru')[0])
    assert NUMBER in text and 'Неверных попыток за сутки: 5' in text and '21.11.2026 13:00' in text
    assert 'Если это были вы, ничего делать не нужно' in text
    mailbox.wait_for('spouse@example.ru')
    assert not mailbox.to('pending@example.ru')
    assert not mailbox.to('unproven@example.ru')
    assert not any(mailbox.to(f'guess{n}@example.ru') for n in range(3))
    for _ in range(3):  # refusals while locked send nothing more
        await refused(linking.link_account(three, NUMBER, '999.99', ip=None), TooManyAttempts)
    await deliver()
    assert len(mailbox.messages) == 2
    assert await failures('link-fail-account') == 5

    fake_clock.advance(hours=24)
    await linking.link_account(three, NUMBER, '102.00', ip=None)


async def test_ten_failures_lock_every_account_for_the_cabinet(db, fake_clock):
    cabinet, neighbour = await make_cabinet(), await make_cabinet('petrov', 'petrov@example.ru')
    numbers = [f'46100000000{n}' for n in range(1, 6)]
    for number in numbers:
        await add_payment(await make_account(number), '2026-10-01', '102.00')
    # 3 + 3 + 3 + 1 failures on four accounts: no single account reaches its own limits
    for number in [numbers[0]] * 3 + [numbers[1]] * 3 + [numbers[2]] * 3:
        await refused(linking.link_account(cabinet, number, '999.99', ip=None), (InvalidInput, TooManyAttempts))
    error = await refused(linking.link_account(cabinet, numbers[3], '999.99', ip=None), TooManyAttempts)
    assert '21.11.2026 13:00' in error.message
    await refused(linking.link_account(cabinet, numbers[4], '102.00', ip=None), TooManyAttempts)
    await linking.link_account(neighbour, numbers[4], '102.00', ip=None)  # the lock is this cabinet's only
    assert await failures('link-fail-cabinet') == 10
    fake_clock.advance(hours=24)
    await linking.link_account(cabinet, numbers[4], '102.00', ip=None)


async def test_parallel_guesses_cannot_overrun_the_limit(db, fake_clock):
    cabinet = await make_cabinet()
    await make_account()
    results = await asyncio.gather(
        *(linking.link_account(cabinet, NUMBER, f'{n}.00', ip=None) for n in range(1, 9)), return_exceptions=True
    )
    assert sorted(type(result).__name__ for result in results) == ['InvalidInput'] * 2 + ['TooManyAttempts'] * 6
    assert await failures('link-fail-pair') == 3


# --- quota and concurrency ---------------------------------------------------------------------------------------


async def test_email_quota_counts_distinct_accounts_across_cabinets(db, fake_clock, monkeypatch):
    configure(monkeypatch, accounts_per_email=2)
    numbers = [f'46100000000{n}' for n in range(1, 4)]
    accounts = [await make_account(number) for number in numbers]
    for account in accounts:
        await add_payment(account, '2026-10-01', '102.00')
    household = await make_cabinet('family', 'shared@example.ru')
    await Link.create(cabinet=household, account=accounts[0], proof='payment', linked_at=clock.now())
    cabinet = await make_cabinet('ivanov', 'shared@example.ru')
    await linking.link_account(cabinet, numbers[1], '102.00', ip=None)
    error = await refused(linking.link_account(cabinet, numbers[2], '102.00', ip=None))
    assert error.errors == {'account': 'К одному адресу электронной почты можно привязать не более 2 лицевых счетов'}
    # an account the email already serves takes no more of it
    await linking.link_account(cabinet, numbers[0], '102.00', ip=None)
    without_email = await make_cabinet('nomail', None)
    for number in numbers:
        await linking.link_account(without_email, number, '102.00', ip=None)
    assert await RateEvent.all().count() == 0


async def test_two_cabinets_link_one_account_at_once(db, fake_clock):
    first, second = await make_cabinet(), await make_cabinet('petrova', 'petrova@example.ru')
    account = await make_account()
    await add_payment(account, '2026-10-01', '102.00')
    results = await asyncio.gather(
        linking.link_account(first, NUMBER, '102.00', ip=None),
        linking.link_account(second, NUMBER, ADDRESS, ip=None),
    )
    assert [result.number for result in results] == [NUMBER, NUMBER]
    links = await Link.filter(account=account).order_by('cabinet_id').values_list('cabinet_id', 'proof')
    assert links == [(first.id, 'payment'), (second.id, 'address')]


async def test_double_click_links_once(db, fake_clock):
    cabinet = await make_cabinet()
    account = await make_account()
    await add_payment(account, '2026-10-01', '102.00')
    results = await asyncio.gather(
        *(linking.link_account(cabinet, NUMBER, '102.00', ip=None) for _ in range(2)), return_exceptions=True
    )
    linked = [result for result in results if isinstance(result, Account)]
    errors = [result.errors for result in results if isinstance(result, InvalidInput)]
    assert len(linked) == 1
    assert errors == [{'account': 'Этот лицевой счёт уже привязан к вашему кабинету'}]
    assert await Link.filter(cabinet=cabinet).count() == 1


# --- unlinking ---------------------------------------------------------------------------------------------------


async def test_unlink(db, fake_clock):
    cabinet = await make_cabinet()
    account = await make_account()
    await add_payment(account, '2026-10-01', '102.00')
    await linking.link_account(cabinet, NUMBER, '102.00', ip=None)
    await linking.unlink_account(cabinet, f' {NUMBER} ', ip='10.0.0.1')
    assert await linking.linked_accounts(cabinet.id) == []
    event = await AuditEvent.get(event='unlink')
    assert (event.cabinet_id, event.ip, event.detail) == (cabinet.id, '10.0.0.1', {'account': NUMBER})
    not_linked = {'account': 'Этот лицевой счёт не привязан к вашему кабинету'}
    assert (await refused(linking.unlink_account(cabinet, NUMBER, ip=None))).errors == not_linked
    assert (await refused(linking.unlink_account(cabinet, '000', ip=None))).errors == not_linked
    assert (await refused(linking.unlink_account(cabinet, '', ip=None))).errors == {'account': 'Заполните это поле'}
    assert await Account.exists(number=NUMBER)  # billing data stays


async def test_a_first_entry_cabinet_keeps_its_own_account(db, fake_clock):
    own, other = await make_account(), await make_account('461000000002')
    await add_payment(other, '2026-10-01', '55.00')
    cabinet = await make_cabinet(NUMBER)
    await Link.create(cabinet=cabinet, account=own, proof='first_entry', linked_at=clock.now())
    await linking.link_account(cabinet, '461000000002', '55.00', ip=None)
    error = await refused(linking.unlink_account(cabinet, NUMBER, ip=None), NotAllowed)
    assert error.message == 'Номер этого лицевого счёта — логин вашего кабинета, его нельзя отвязать'
    await linking.unlink_account(cabinet, '461000000002', ip=None)
    assert [account.number for account in await linking.linked_accounts(cabinet.id)] == [NUMBER]
