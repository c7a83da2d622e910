"""The console's audit log, outbox and dispatch, and billing upload in the simulated browser: staff filter the log
and download it as CSV, an operator sends failed email again, an admin starts the month's e-bills and watches them
go, an admin uploads billing CSVs (a bad file writes nothing); lower roles get no controls of higher ones."""

from __future__ import annotations

import asyncio
import codecs
import csv
import html
import io
import time

import pytest
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from models.billing import Region
from models.ebill import BillRun
from models.outbox import OutboxMessage, OutboxState
from models.security import AuditEvent
from models.staff import StaffRole
from services.identity import audit
from services.messaging import outbox
from services.staff import sessions as staff_sessions
from services.staff.outbox import retry_message
from tests.support.billing import REGIONS, REGIONS_HEADER
from tests.support.factories import EMAIL, PERIOD, make_cabinet, subscriber
from tests.support.servers import REJECTED, Mailbox
from tests.support.settings import configure
from tests.support.staff import enrolled_staff, staff_signed_in
from tests.support.stories import mail_to, not_see, see
from tests.support.waiting import eventually

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


def has_marker(user: User, marker: str) -> bool:
    return any(marker in element._markers for element in user.find(kind=ui.element).elements)


def refill(user: User, fields: dict[str, str]) -> None:
    """Type into inputs found by their visible label what they should hold now (what they held goes)."""
    for label, text in fields.items():
        user.find(kind=ui.input, content=label).clear().type(text)


def html_text(user: User, marker: str) -> str:
    """What an element of escaped HTML (a table, a list) reads, its markup unescaped."""
    [element] = user.find(marker=marker).elements
    return html.unescape(element.content)


def error_at(user: User, label: str) -> str | None:
    [element] = user.find(kind=ui.input, content=label).elements
    return element.error


# ---- the audit log ------------------------------------------------------------------------------------------------


async def test_staff_filter_the_audit_log_and_page_through_it(user: User, fake_clock):
    member = await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    await audit.record('login_failure', login='ivanov', ip='203.0.113.7', reason='password')
    await audit.record('session_ended', cabinet_id=42, login='petrov', staff_id=member.staff.id)
    user.find(marker='staff-nav-audit').click()
    await see(user, 'Журнал событий', 'login_failure', '203.0.113.7', 'Сотрудник завершил сеанс клиента', 'vera')
    await see(user, 'staff_login_success')  # the console's own login is in the log too

    refill(user, {'Виды событий': 'login_failure', 'IP-адрес': '203.0.113.7'})
    user.find(marker='audit-show').click()
    await not_see(user, 'staff_login_success')
    await see(user, 'ivanov')
    assert '"reason": "password"' in html_text(user, 'audit-events')
    refill(user, {'Виды событий': 'no_such_event'})
    user.find(marker='audit-show').click()
    await see(user, 'Событий с такими условиями нет.')

    for n in range(55):
        await audit.record('login_failure', login=f'user{n}', ip='198.51.100.1')
    refill(user, {'Виды событий': '', 'IP-адрес': '198.51.100.1'})
    user.find(marker='audit-show').click()
    await see(user, 'Страница 1', 'user54')
    user.find(marker='audit-next').click()
    await see(user, 'Страница 2', 'user0')
    await not_see(user, 'user54')
    user.find(marker='audit-back').click()
    await see(user, 'Страница 1', 'user54')


async def test_bad_filters_show_at_their_fields_and_the_list_stays(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    await user.open('/staff/audit')
    await see(user, 'staff_login_success')
    refill(
        user, {'IP-адрес': '300.1.1.1', 'Начало': '2026-02-30', 'Кабинет (номер)': 'abc', 'Виды событий': 'DROP TABLE'}
    )
    user.find(marker='audit-show').click()
    await see(user, 'Это не IP-адрес')
    assert 'Это не IP-адрес' in error_at(user, 'IP-адрес')
    assert 'ГГГГ-ММ-ДД' in error_at(user, 'Начало')
    assert error_at(user, 'Кабинет (номер)') == 'Укажите номер: целое положительное число'
    assert 'латинскими буквами' in error_at(user, 'Виды событий')
    await see(user, 'staff_login_success')
    refill(
        user, {'IP-адрес': '', 'Начало': '2026-11-20', 'Конец': '2026-11-19', 'Кабинет (номер)': '', 'Виды событий': ''}
    )
    user.find(marker='audit-show').click()
    await see(user, 'Конец периода раньше его начала')
    assert error_at(user, 'IP-адрес') is None


async def test_the_csv_holds_the_filtered_events_for_excel(user: User, fake_clock):
    member = await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    await audit.record('login_failure', login='=HYPERLINK("x")', ip='203.0.113.7')
    await audit.record('lockout', login='ivanov', ip='203.0.113.8')
    await user.open('/staff/audit')
    refill(user, {'Виды событий': 'login_failure, lockout', 'IP-адрес': '203.0.113.7'})
    refill(user, {'Начало': '2026-11-20', 'Конец': '2026-11-20'})
    user.find(marker='audit-show').click()
    await not_see(user, 'staff_login_success')
    assert '=HYPERLINK("x")' in html_text(user, 'audit-events')
    refill(user, {'IP-адрес': ''})  # typed but not shown: the CSV is what the list shows
    user.find(marker='audit-csv').click()
    response = await user.download.next(timeout=10)
    assert response.status_code == 200
    assert response.headers['content-type'] == 'text/csv; charset=utf-8'
    assert response.headers['content-disposition'].startswith('attachment; filename="audit-')
    assert response.content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.content.decode('utf-8-sig'))))
    assert rows[0] == ['id', 'at', 'event', 'cabinet_id', 'login', 'ip', 'staff_id', 'staff_login', 'detail']
    assert [(row[2], row[4], row[5]) for row in rows[1:]] == [('login_failure', '\'=HYPERLINK("x")', '203.0.113.7')]
    [export] = await AuditEvent.filter(event='staff_audit_export')
    assert export.staff_id == member.staff.id
    assert export.detail['filters']['ip'] == '203.0.113.7'


async def test_the_csv_route_checks_the_session_and_the_filters(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    http = user.http_client
    bad = await http.get('/staff/audit.csv', params={'ip': 'nonsense', 'cabinet': 'x' * 60_000})
    assert bad.status_code == 400
    assert 'Это не IP-адрес' in bad.text
    elsewhere = await http.get('/staff/audit.csv', headers={'Sec-Fetch-Site': 'cross-site'})
    assert elsewhere.status_code == 403
    assert not await AuditEvent.filter(event='staff_audit_export').exists()
    http.cookies.clear()
    anonymous = await http.get('/staff/audit.csv')
    assert anonymous.status_code in (302, 303, 307)
    assert anonymous.headers['location'].startswith('/staff/login')


# ---- the outbox ---------------------------------------------------------------------------------------------------


async def failed_email(mailbox: Mailbox, caplog: pytest.LogCaptureFixture, to: str) -> OutboxMessage:
    """A notice the recipient's server rejected for good (550) when the app's outbox worker sent it; the server since
    fixed. The worker's ERROR line for it is the point (the `user` fixture fails a test on any ERROR record)."""
    mailbox.rejections[to] = REJECTED
    queued = await outbox.send_email(to, 'Платёж получен', 'notice', NOTICE)
    deadline = time.monotonic() + 15
    while (message := await OutboxMessage.get(id=queued.id)).state != OutboxState.FAILED:
        assert time.monotonic() < deadline, f'the email to {to} did not fail: {message.state}'
        await asyncio.sleep(0.02)
    del mailbox.rejections[to]
    caplog.clear()
    return message


async def test_an_operator_sends_a_failed_email_again_and_it_arrives(user: User, mailbox: Mailbox, caplog, fake_clock):
    failed = await failed_email(mailbox, caplog, 'nobody@example.ru')
    member = await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    user.find(marker='staff-nav-outbox').click()
    await see(user, 'Письма и SMS', 'Не доставлено: 1, из них можно отправить снова: 1', 'Ожидающих отправки нет.')
    counts = html_text(user, 'outbox-counts')
    assert 'Не доставлены' in counts and 'Email' in counts
    with user.scope(marker=f'failed-{failed.id}'):
        await see(user, 'n***@example.ru')
    failure = html_text(user, f'failure-{failed.id}')
    assert '550 5.1.1 <n***@example.ru>: no such user' in failure
    await not_see(user, 'nobody@example.ru')
    await not_see(user, 'Сумма: 102.00')  # never the text

    user.find(marker=f'retry-{failed.id}').click()
    await see(user, f'Сообщение №{failed.id} снова в очереди на отправку')
    mail = await mail_to(mailbox, 'nobody@example.ru')
    assert mail['Subject'] == 'Платёж получен'
    [event] = await AuditEvent.filter(event='staff_outbox_retry')
    assert (event.staff_id, event.detail) == (member.staff.id, {'message': failed.id})


async def test_retry_all_and_a_message_another_operator_sent_first(user: User, mailbox: Mailbox, caplog, fake_clock):
    first = await failed_email(mailbox, caplog, 'first@example.ru')
    second = await failed_email(mailbox, caplog, 'second@example.ru')
    member = await staff_signed_in(user, StaffRole.ADMIN)
    await user.open('/staff/outbox')
    await see(user, 'Последние недоставленные (2)')
    await outbox_retried_elsewhere(first.id)
    user.find(marker=f'retry-{first.id}').click()
    await see(user, 'Это сообщение уже не в ошибке')
    await mail_to(mailbox, 'first@example.ru')
    await see(user, 'Последние недоставленные (1)')  # the list as it is now

    user.find(marker='retry-all').click()
    await see(user, 'Снова в очереди: 1; остались недоставленными (с кодом или ссылкой): 0')
    await mail_to(mailbox, 'second@example.ru')
    [event] = await AuditEvent.filter(event='staff_outbox_retry_all')
    assert (event.staff_id, event.detail) == (member.staff.id, {'retried': 1, 'left': 0})
    assert (await OutboxMessage.get(id=second.id)).state in (OutboxState.SENDING, OutboxState.SENT)


async def outbox_retried_elsewhere(message_id: int) -> None:
    """Another operator, in another tab, was first."""
    other = await enrolled_staff('other', StaffRole.OPERATOR)
    await retry_message(other.staff, message_id)


async def test_a_viewer_sees_the_failures_but_no_retry(user: User, mailbox: Mailbox, caplog, fake_clock):
    failed = await failed_email(mailbox, caplog, 'nobody@example.ru')
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    await user.open('/staff/outbox')
    await see(user, 'n***@example.ru')
    assert '550 5.1.1' in html_text(user, f'failure-{failed.id}')
    assert not has_marker(user, f'retry-{failed.id}')
    assert not has_marker(user, 'retry-all')
    await not_see(user, 'Отправить снова')


# ---- the e-bill dispatch ------------------------------------------------------------------------------------------


@pytest.fixture
def late_bill_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's monthly run waits for the 28th ('today' is the 20th): the admin's click is the one that runs.
    Set before the app starts (ask for it before `user`)."""
    monkeypatch.setenv('PORTAL_BILL_DAY', '28')


async def test_an_admin_starts_the_months_e_bills_and_watches_them_go(
    late_bill_day, user: User, mailbox: Mailbox, fake_clock
):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'dacha@example.ru')
    member = await staff_signed_in(user, StaffRole.ADMIN)
    await user.open('/staff/outbox')
    # the previous month, as the server's monthly run picks it ('today' is 2026-11-20)
    await see(user, 'Квитанции за октябрь 2026 (2026-10)', 'Рассылку за этот период ещё не запускали.')
    await see(user, 'Ещё не поставлены в очередь: 2.')
    user.find(marker='dispatch-start').click()
    await see(user, 'Отправить квитанции за октябрь 2026? Писем будет: 2.')
    user.find('Отмена').click()
    await not_see(user, 'Отправить квитанции за октябрь 2026?')
    assert not await BillRun.exists()

    user.find(marker='dispatch-start').click()
    await see(user, 'Отправить квитанции за октябрь 2026?')
    user.find(marker='confirm').click()
    await see(user, 'Рассылка квитанций за октябрь 2026 запущена')
    await see(user, 'Квитанций в очереди: 2; отправлено 2, не доставлено 0, ожидают 0.')  # polled as they go
    await see(user, 'Поставлено в очередь: 2')
    await mail_to(mailbox, EMAIL)
    await mail_to(mailbox, 'dacha@example.ru')
    assert not has_marker(user, 'dispatch-start')  # nothing left to start
    [event] = await AuditEvent.filter(event='staff_dispatch_start')
    assert (event.staff_id, event.detail) == (member.staff.id, {'period': PERIOD})


async def test_the_progress_poll_stops_once_the_staff_session_has_ended(
    late_bill_day, user: User, mailbox: Mailbox, fake_clock
):
    await subscriber(await make_cabinet('semenov'))
    mailbox.rejections[EMAIL] = '451 4.3.0 Try again later'  # the bill waits for its retry: the run stays open
    member = await staff_signed_in(user, StaffRole.ADMIN)
    await user.open('/staff/outbox')
    await see(user, 'Ещё не поставлены в очередь: 1.')
    user.find(marker='dispatch-start').click()
    await see(user, 'Отправить квитанции за октябрь 2026?')
    user.find(marker='confirm').click()
    await see(user, 'Рассылка квитанций за октябрь 2026 запущена')
    [poll] = [timer for timer in user.find(kind=ui.timer).elements if timer.active]
    await staff_sessions.end_all(member.staff.id)  # an admin disabled them, say
    await eventually(lambda: not poll.active, what='the poll to stop')


async def test_staff_read_another_period_and_a_bad_one_is_refused_at_its_field(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.VIEWER, login='vera')
    await user.open('/staff/outbox')
    await see(user, 'Квитанции за октябрь 2026')
    refill(user, {'Период': '2026-13'})
    user.find(marker='dispatch-show').click()
    assert 'ГГГГ-ММ' in await eventually(lambda: error_at(user, 'Период'), what='the error at the period')
    await see(user, 'Квитанции за октябрь 2026')
    refill(user, {'Период': '2026-09'})
    user.find(marker='dispatch-show').click()
    await see(user, 'Квитанции за сентябрь 2026 (2026-09)')
    assert error_at(user, 'Период') is None


async def test_only_admins_get_the_start_button(late_bill_day, user: User, fake_clock):
    await subscriber(await make_cabinet('semenov'))
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    await user.open('/staff/outbox')
    await see(user, 'Ещё не поставлены в очередь: 1.')
    assert not has_marker(user, 'dispatch-start')


# ---- billing upload -----------------------------------------------------------------------------------------------


def csv_file(name: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> SmallFileUpload:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SmallFileUpload(name, 'text/csv', out.getvalue().encode())


async def upload(user: User, kind: str, file: SmallFileUpload) -> None:
    """The kind chosen and the file picked (the widget uploads at once)."""
    user.find(marker='import-kind').click()
    user.find(f'{kind}.csv').click()
    [widget] = user.find(kind=ui.upload).elements
    await widget.handle_uploads([file])


async def test_an_admin_uploads_a_billing_file_and_reads_the_summary(user: User, fake_clock):
    member = await staff_signed_in(user, StaffRole.ADMIN)
    user.find(marker='staff-nav-import').click()
    await see(user, 'Загрузка данных биллинга', 'до 20 МБ')
    await upload(user, 'regions', csv_file('Регионы ноябрь.csv', REGIONS_HEADER, REGIONS))
    await see(user, 'Регионы ноябрь.csv: 2 строки, добавлено 2, изменено 0, без изменений 0')
    assert sorted(await Region.all().values_list('code', flat=True)) == ['KRS', 'TVR']
    [event] = await AuditEvent.filter(event='staff_import')
    assert (event.staff_id, event.detail['status']) == (member.staff.id, 'imported')


async def test_a_file_with_a_bad_row_writes_nothing_and_says_where(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    await user.open('/staff/import')
    rows = [('KRS', 'Курск'), ('', 'Без кода'), ('TVR', 'Тверь')]
    await upload(user, 'regions', csv_file('regions.csv', REGIONS_HEADER, rows))
    await see(user, 'regions.csv: отклонён, 1 ошибка; из файла ничего не записано')
    assert 'regions.csv:3: ' in html_text(user, 'import-errors')
    await see(user, 'Исправьте файл и загрузите его снова')
    assert not await Region.exists()


async def test_a_file_that_is_no_csv_or_too_big_is_refused_at_the_file(user: User, monkeypatch, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    await user.open('/staff/import')
    await upload(user, 'regions', SmallFileUpload('regions.xlsx', 'application/vnd.ms-excel', b'PK\x03\x04\x00\x00'))
    await see(user, 'Это не текстовый файл CSV')
    await upload(user, 'accounts', csv_file('regions.csv', REGIONS_HEADER, REGIONS))
    await see(user, 'По заголовку это файл regions.csv, а выбран вид accounts.csv')
    configure(monkeypatch, import_upload_max_mb=1)
    await upload(user, 'regions', SmallFileUpload('big.csv', 'text/csv', b'code,name\n' + b'x' * 1024 * 1024))
    await see(user, 'Файл больше 1 МБ (PORTAL_IMPORT_UPLOAD_MAX_MB)')
    assert not await Region.exists()
    assert await AuditEvent.filter(event='staff_import_refused').count() == 2


async def test_viewers_and_operators_get_no_upload(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    assert not has_marker(user, 'staff-nav-import')
    await user.open('/staff/import')
    await see(user, 'У вашей роли нет права на это действие.')
    assert not [element for element in user.find(kind=ui.element).elements if isinstance(element, ui.upload)]
