"""«Клиенты» in the simulated browser: staff find a cabinet by each key, page through results, get errors at the field;
the cabinet view (masked for viewers, no message bodies) and each action for the role it needs: unlock, end one
session or all, resend the confirmation, unlink with a reason, turn an e-bill off, export and erase (admins)."""

from __future__ import annotations

import json
import logging

import pytest
from nicegui import ui
from nicegui.testing import User

from models.cabinet import Cabinet, CabinetState, Session
from models.ebill import EBill
from models.outbox import OutboxMessage, OutboxState
from models.security import AuditEvent
from models.staff import StaffRole
from services.errors import AuthenticationFailed
from services.identity import auth, sessions
from services.staff import accounts
from services.staff.customers import cabinet_view
from tests.support.factories import PHONE, make_account, make_cabinet, subscriber
from tests.support.staff import enrolled_staff, staff_signed_in
from tests.support.stories import fill, mail_to, not_see, see
from tests.support.waiting import eventually

FORBIDDEN = 'У вашей роли нет права на это действие.'


async def find(user: User, query: str) -> None:
    await user.open('/staff/customers')
    fill(user, {'Кого ищем': query})
    user.find(marker='find').click()


async def open_cabinet(user: User, cabinet: Cabinet) -> None:
    await user.open(f'/staff/customers/{cabinet.id}')
    await see(user, f'Кабинет {cabinet.login}')


def shown(user: User, marker: str) -> str:
    """The text of the one element marked `marker` (a section of the view is one element of HTML)."""
    (element,) = user.find(marker=marker).elements
    return element.content if isinstance(element, ui.html) else element.text


def has(user: User, marker: str) -> bool:
    return any(marker in element._markers for element in user.find(kind=ui.element).elements)


async def locked_out(login: str) -> None:
    """Five wrong passwords from one address: the login waits a minute."""
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.login(login, 'wrong-password', ip='203.0.113.7')


# ---- search --------------------------------------------------------------------------------------------------


async def test_staff_find_a_customer_by_each_key(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    await make_account('461000000077', surname='Пётров', region=('NNV', 'Нижний Новгород'))
    ivanov = await make_cabinet('ivanov', phone=PHONE, surname='Иванов', accounts=['461000000077'])
    await make_cabinet('petrov', phone='+79007654321', surname='Петров')
    for query in ('IVAN', 'ivanov@example', '8 (900) 123-45-67', '4610000000', 'иванов', 'петров'):
        await find(user, query)
        await see(user, 'Найден 1 кабинет' if query != 'петров' else 'Найдено 2 кабинета')
        hits = shown(user, 'hits')
        assert f'href="/staff/customers/{ivanov.id}"' in hits, query
        assert 'ivanov@example.ru' in hits and '461000000077' in hits
    # the region narrows the search to cabinets holding an account there
    await find(user, 'петров')
    user.find(marker='region').click()
    user.find('Нижний Новгород').click()
    user.find(marker='find').click()
    await see(user, 'Найден 1 кабинет')
    assert 'petrov' not in shown(user, 'hits')


async def test_results_come_20_to_a_page(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    for number in range(1, 26):
        await make_cabinet(f'user{number:02}', phone=None)
    await find(user, 'user')
    await see(user, 'Найдено 25 кабинетов', 'Страница 1 из 2')
    assert 'user20' in shown(user, 'hits') and 'user21' not in shown(user, 'hits')
    fill(user, {'Кого ищем': 'something else'})  # the pages follow the search as it was made
    user.find(marker='next').click()
    await see(user, 'Страница 2 из 2')
    assert 'user21' in shown(user, 'hits') and 'user01' not in shown(user, 'hits')
    user.find(marker='previous').click()
    await see(user, 'Страница 1 из 2')
    assert 'user01' in shown(user, 'hits')


@pytest.mark.parametrize(
    ('query', 'message'),
    [('x' * 1_000_000, 'Слишком длинное значение'), ('   ', 'Заполните это поле'), ('nobody', 'Найдено 0 кабинетов')],
)
async def test_a_bad_search_says_so_at_the_field(user: User, fake_clock, query, message):
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    await find(user, query)
    await see(user, message)
    await not_see(user, 'Страница 1')


# ---- the view ------------------------------------------------------------------------------------------------


async def test_a_viewer_reads_masked_contacts_no_message_text_and_no_actions(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    cabinet = await make_cabinet('ivanov', phone=PHONE, surname='Иванов', email_confirmed=False)
    await subscriber(cabinet)
    await sessions.start(cabinet, '198.51.100.4')
    await OutboxMessage.create(
        channel='email',
        recipient=cabinet.email,
        subject='Подтверждение регистрации',
        body_text='secret link /confirm?token=abc',
        state=OutboxState.FAILED,
        attempts=3,
        last_error='recipient refused: 550 5.1.1 <ivanov@example.ru>: no such user',
        next_attempt_at=fake_clock.current,
        created_at=fake_clock.current,
    )
    await locked_out('ivanov')
    await open_cabinet(user, cabinet)
    summary = shown(user, 'summary')
    assert 'ivanov@example.ru' not in summary and '+79001234567' not in summary
    assert 'Заблокирован' not in summary and 'ещё на 1 минуту' in summary
    await see(user, 'Контакты показаны частично')
    assert 'Подтверждение регистрации' in shown(user, 'messages')
    assert 'token=abc' not in shown(user, 'messages') and 'ivanov@example.ru' not in shown(user, 'messages')
    assert 'Не доставлено, попыток: 3' in shown(user, 'messages') and 'i***@example.ru&gt;: no such' in shown(
        user, 'messages'
    )
    assert 'сумма платежа' in shown(user, 'accounts') and 'Курск' in shown(user, 'accounts')
    assert 'login_failure' in shown(user, 'events') and 'lockout' in shown(user, 'events')
    assert '198.51.100.4' in shown(user, 'sessions') and 'действует' in shown(user, 'sessions')
    assert 'включена' in shown(user, 'ebills')
    assert 'Обработка персональных данных' not in shown(user, 'consents')  # none given in this story
    assert not has(user, 'actions')
    for section in ('accounts', 'sessions', 'ebills'):
        assert '<button' not in shown(user, section)


async def test_a_missing_cabinet_is_not_found(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    for path in ('/staff/customers/99999', '/staff/customers/abc', '/staff/customers/' + '9' * 40):
        await user.open(path)
        await see(user, 'Кабинет не найден: возможно, его уже удалили')


# ---- what operators do ---------------------------------------------------------------------------------------


async def test_an_operator_unlocks_a_customer_locked_by_failed_logins(user: User, fake_clock):
    member = await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    cabinet = await make_cabinet('ivanov')
    await locked_out('ivanov')
    await open_cabinet(user, cabinet)
    assert 'ivanov@example.ru' in shown(user, 'summary')  # operators read contacts whole
    user.find(marker='unlock').click()
    await see(user, 'Блокировка снята: клиент может войти')
    assert (await auth.longest_lockout('ivanov')).total_seconds() == 0
    assert not has(user, 'unlock')
    assert await AuditEvent.exists(event='unlock', cabinet_id=cabinet.id, staff_id=member.staff.id)
    assert not has(user, 'export') and not has(user, 'erase')  # admins only


async def test_an_operator_ends_one_session_then_all(user: User, fake_clock, caplog):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    cabinet = await make_cabinet('ivanov')
    first = await sessions.start(cabinet, '198.51.100.4')
    second = await sessions.start(cabinet, '198.51.100.5')
    await open_cabinet(user, cabinet)
    section = user.find(marker='sessions')
    with caplog.at_level(logging.WARNING, 'portal.pages'):
        for crafted in ('x' * 1_000_000, {'ref': 1}, '0' * 16):
            section.trigger('click', crafted)
        await eventually(lambda: caplog.text.count('named nothing the page shows') == 3, what='three refusals')
    assert await Session.filter(cabinet_id=cabinet.id).count() == 2
    row = await Session.get(cabinet_id=cabinet.id, ip='198.51.100.4')
    section.trigger('click', cabinet_view.session_ref(row.id))
    await see(user, 'Сеанс завершён')
    assert await sessions.resolve(first) is None and await sessions.resolve(second) is not None
    user.find(marker='end_all').click()
    await see(user, 'Все сеансы клиента завершены')
    assert await sessions.resolve(second) is None
    assert not has(user, 'end_all')


async def test_an_operator_sends_the_confirmation_again_once_for_a_double_click(user: User, fake_clock, mailbox):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    cabinet = await make_cabinet('ivanov', email_confirmed=False)
    await open_cabinet(user, cabinet)
    user.find(marker='resend').click()
    user.find(marker='resend').click()  # a double click: one email
    await see(user, 'Письмо для подтверждения email отправлено снова')
    message = await mail_to(mailbox, 'ivanov@example.ru')
    assert '/confirm?token=' in message.get_body(('plain',)).get_content()
    assert await AuditEvent.filter(event='confirmation_resent', cabinet_id=cabinet.id).count() == 1


async def test_an_operator_unlinks_an_account_giving_a_reason(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    cabinet = await make_cabinet('ivanov', accounts=['461000000001', '461000000002'])
    await open_cabinet(user, cabinet)
    user.find(marker='accounts').trigger('click', '461000000002')
    await see(user, 'Отвязать лицевой счёт 461000000002 от кабинета?')
    with user.scope(marker='unlink-dialog'):
        user.find(marker='confirm').click()
        await see(user, 'Заполните это поле')
        fill(user, {'Причина': 'Обращение № 17: счёт продан'})
        user.find(marker='confirm').click()
    await see(user, 'Лицевой счёт 461000000002 отвязан')
    assert '461000000002' not in shown(user, 'accounts') and '461000000001' in shown(user, 'accounts')
    event = await AuditEvent.get(event='unlink', cabinet_id=cabinet.id)
    assert event.detail['reason'] == 'Обращение № 17: счёт продан'


async def test_an_operator_turns_off_a_bouncing_ebill(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    cabinet = await make_cabinet('ivanov')
    ebill = await subscriber(cabinet)
    await EBill.filter(id=ebill.id).update(bounces=2, last_bounce='550 5.1.1 <semenov@example.ru>: no such user')
    await open_cabinet(user, cabinet)
    assert '2 возврата письма подряд' in shown(user, 'ebills') and 'no such user' in shown(user, 'ebills')
    user.find(marker='ebills').trigger('click', '461000000001')
    await see(user, 'Электронная квитанция счёта 461000000001 отключена')
    assert not (await EBill.get(id=ebill.id)).enabled
    assert 'выключена' in shown(user, 'ebills') and '<button' not in shown(user, 'ebills')


async def test_a_tab_opened_by_an_operator_acts_no_more_once_they_are_a_viewer(user: User, fake_clock):
    boss = await enrolled_staff('boss', StaffRole.ADMIN)
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    cabinet = await make_cabinet('ivanov', accounts=['461000000001'])
    await locked_out('ivanov')
    await open_cabinet(user, cabinet)
    await accounts.change_role(boss.staff, 'olga', StaffRole.VIEWER.value)
    user.find(marker='unlock').click()
    await see(user, FORBIDDEN)
    assert (await auth.longest_lockout('ivanov')).total_seconds() > 0
    user.find(marker='accounts').trigger('click', '461000000001')
    await see(user, 'Отвязать лицевой счёт 461000000001 от кабинета?')
    with user.scope(marker='unlink-dialog'):
        fill(user, {'Причина': 'проверка'})
        user.find(marker='confirm').click()
    await see(user, FORBIDDEN)
    assert await Cabinet.filter(id=cabinet.id, links__account__number='461000000001').exists()


# ---- personal data (admins) ----------------------------------------------------------------------------------


async def test_an_admin_exports_the_cabinet_as_json(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    cabinet = await make_cabinet('ivanov', accounts=['461000000001'])
    await open_cabinet(user, cabinet)
    user.find(marker='export').click()
    response = await user.download.next(timeout=20)
    data = json.loads(response.content)
    assert data['cabinet']['login'] == 'ivanov' and data['accounts'][0]['number'] == '461000000001'
    assert 'password_hash' not in data['cabinet']
    await see(user, 'Персональные данные кабинета выгружены')
    assert await AuditEvent.exists(event='cabinet_exported', cabinet_id=cabinet.id)


async def test_an_admin_erases_a_cabinet_after_typing_its_login(user: User, fake_clock):
    member = await staff_signed_in(user, StaffRole.ADMIN)
    cabinet = await make_cabinet('ivanov', accounts=['461000000001'])
    await open_cabinet(user, cabinet)
    user.find(marker='erase').click()
    await see(user, 'Удалить кабинет ivanov и его персональные данные по запросу клиента?')
    with user.scope(marker='erase-dialog'):
        fill(user, {'Логин кабинета (для подтверждения)': 'petrov', 'Причина': 'Заявление № 5'})
        user.find(marker='confirm').click()
        await see(user, 'Введите логин кабинета точно так: ivanov')
    assert await Cabinet.exists(id=cabinet.id)
    with user.scope(marker='erase-dialog'):
        user.find(kind=ui.input, content='Логин кабинета').clear().type('ivanov')
        user.find(marker='confirm').click()
    await see(user, 'Кабинет удалён. В журнале событий он теперь называется erased-')
    assert not await Cabinet.exists(id=cabinet.id)
    erased = await AuditEvent.get(event='cabinet_erased', cabinet_id=cabinet.id)
    assert erased.staff_id == member.staff.id and erased.detail['reason'] == 'Заявление № 5'
    await user.open(f'/staff/customers/{cabinet.id}')
    await see(user, 'Кабинет не найден')


async def test_an_operator_has_no_personal_data_actions_and_a_pending_cabinet_says_until_when(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    cabinet = await make_cabinet(
        'ivanov', email_confirmed=False, state=CabinetState.PENDING, pending_until=fake_clock.current.replace(day=22)
    )
    await open_cabinet(user, cabinet)
    assert 'Ждёт подтверждения' in shown(user, 'summary') and 'регистрация отменится' in shown(user, 'summary')
    assert not has(user, 'export') and not has(user, 'erase')
