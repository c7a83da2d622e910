"""The console's audit log as staff read it: events newest first a page at a time, found by kind, cabinet, staff
member, IP and time on the customers' clock; every filter refused with its own message when it is no such value (1 MB
of text included); the CSV export streamed with a header and cells a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from models.security import AuditEvent
from models.staff import Staff, StaffRole
from services import clock
from services.errors import InvalidInput
from services.identity import audit
from services.staff import audit_log
from services.staff.audit_log import AuditFilters, export_csv, find_events

pytestmark = pytest.mark.usefixtures('db')

MEGABYTE = 'x' * 1024 * 1024


@pytest.fixture
async def viewer(fake_clock) -> Staff:
    # the staff factory of the staff-accounts part replaces this
    return await Staff.create(login='viewer', role=StaffRole.VIEWER, created_at=clock.now())


async def events(staff: Staff, page: int = 1, **filters: object) -> list[tuple]:
    found = await find_events(staff, AuditFilters(**filters), page)
    return [(row.event, row.cabinet_id, row.login) for row in found.rows]


async def exported(staff: Staff, **filters: object) -> list[list[str]]:
    text = ''.join([chunk async for chunk in await export_csv(staff, AuditFilters(**filters))])
    return list(csv.reader(io.StringIO(text)))


async def test_events_come_newest_first_a_page_at_a_time(viewer, fake_clock):
    for number in range(audit_log.PAGE_SIZE + 3):
        await audit.record('login_success', cabinet_id=number, login=f'user{number}')
        fake_clock.advance(seconds=1)

    first = await find_events(viewer, AuditFilters())
    assert (len(first.rows), first.page, first.has_next) == (audit_log.PAGE_SIZE, 1, True)
    assert first.rows[0].login == f'user{audit_log.PAGE_SIZE + 2}'
    last = await find_events(viewer, AuditFilters(), '2')  # a form's field holds text
    assert [row.login for row in last.rows] == ['user2', 'user1', 'user0']
    assert not last.has_next
    assert (await find_events(viewer, AuditFilters(), 3)).rows == []


async def test_filters_by_kind_cabinet_staff_and_ip(viewer):
    operator = await Staff.create(login='olga', role=StaffRole.OPERATOR, created_at=clock.now())
    await audit.record('login_failure', login='ivanov', ip='192.0.2.10')
    await audit.record('lockout', cabinet_id=7, login='ivanov', ip='192.0.2.10')
    await audit.record('unlock', cabinet_id=7, login='ivanov', ip='2001:db8::1', staff_id=operator.id)
    await audit.record('login_success', cabinet_id=8, login='petrov', ip='192.0.2.11')

    assert await events(viewer, kinds=['lockout', 'unlock']) == [('unlock', 7, 'ivanov'), ('lockout', 7, 'ivanov')]
    assert await events(viewer, kinds='login_failure, login_success') == [
        ('login_success', 8, 'petrov'),
        ('login_failure', None, 'ivanov'),
    ]
    assert await events(viewer, cabinet='7', kinds='lockout') == [('lockout', 7, 'ivanov')]
    [row] = (await find_events(viewer, AuditFilters(staff=operator.id))).rows
    assert (row.event, row.staff_id, row.staff_login) == ('unlock', operator.id, 'olga')
    # the middleware records an IPv4 client as IPv4, however it was written
    assert await events(viewer, ip='::ffff:192.0.2.11') == [('login_success', 8, 'petrov')]
    assert await events(viewer, ip=' 2001:0db8::0001 ') == [('unlock', 7, 'ivanov')]
    assert await events(viewer, ip='192.0.2.10', cabinet=7) == [('lockout', 7, 'ivanov')]
    assert await events(viewer, cabinet=99) == []


async def test_a_time_range_is_read_on_the_customers_clock(viewer, fake_clock):
    # Moscow is UTC+3: 22:30 UTC on the 20th is 01:30 on the 21st for the operator
    for hour, event in [(20, 'evening'), (22, 'after_midnight'), (23, 'later')]:
        fake_clock.current = datetime(2026, 11, 20, hour, 30, tzinfo=UTC)
        await audit.record(event)

    async def found(**filters: object) -> list[str]:
        return [event for event, _, _ in await events(viewer, **filters)]

    assert await found(since='2026-11-21') == ['later', 'after_midnight']
    assert await found(until='2026-11-20') == ['evening']
    assert await found(since='2026-11-21 01:30', until='2026-11-21 01:30') == ['after_midnight']
    assert await found(since='2026-11-21T02:00') == ['later']
    moment = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)
    assert await found(since=moment, until=moment) == ['after_midnight']
    assert await found(since=moment.date(), until=moment.date()) == ['evening']


@pytest.mark.parametrize(
    ('filters', 'field', 'message'),
    [
        ({'since': '20.11.2026'}, 'since', 'ГГГГ-ММ-ДД'),
        ({'until': '2026-02-30'}, 'until', 'ГГГГ-ММ-ДД'),
        ({'since': '2026-11-20 25:00'}, 'since', 'ГГГГ-ММ-ДД'),
        ({'until': '9999-12-31'}, 'until', 'ГГГГ-ММ-ДД'),
        ({'since': '2026-11-21', 'until': '2026-11-20'}, 'until', 'Конец периода раньше его начала'),
        ({'ip': '192.0.2'}, 'ip', 'Это не IP-адрес'),
        ({'cabinet': 'ivanov'}, 'cabinet', 'целое положительное число'),
        ({'cabinet': -1}, 'cabinet', 'целое положительное число'),
        ({'staff': True}, 'staff', 'целое положительное число'),
        ({'staff': 2**31}, 'staff', 'целое положительное число'),
        ({'kinds': 'DROP TABLE'}, 'kinds', 'латинскими буквами'),
        ({'kinds': ['lockout'] * 21}, 'kinds', 'не больше 20'),
        ({'kinds': [{'$ne': 1}]}, 'kinds', 'латинскими буквами'),
        ({'kinds': {'a': 1}}, 'kinds', 'латинскими буквами'),
        ({'ip': ['192.0.2.1']}, 'ip', 'Недопустимое значение'),
        ({'since': 20261120}, 'since', 'Недопустимое значение'),
    ],
)
async def test_a_filter_that_is_no_such_value_is_refused_at_its_field(viewer, filters, field, message):
    with pytest.raises(InvalidInput) as refused:
        await find_events(viewer, AuditFilters(**filters))
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field]


async def test_a_megabyte_in_every_filter_is_refused_at_once_field_by_field(viewer):
    fields = ['kinds', 'cabinet', 'staff', 'ip', 'since', 'until']
    with pytest.raises(InvalidInput) as refused:
        await find_events(viewer, AuditFilters(**dict.fromkeys(fields, MEGABYTE)))
    assert refused.value.errors == dict.fromkeys(fields, 'Слишком длинное значение')
    with pytest.raises(InvalidInput) as refused:
        await find_events(viewer, AuditFilters(), MEGABYTE)
    assert list(refused.value.errors) == ['page']
    with pytest.raises(InvalidInput):
        await find_events(viewer, AuditFilters(), audit_log.MAX_PAGE + 1)


async def test_the_export_is_csv_with_a_header_and_cells_no_spreadsheet_runs(viewer, fake_clock):
    fake_clock.current = datetime(2026, 11, 20, 7, 5, 9, tzinfo=UTC)
    # what a stranger types as a login on the login page lands in the log as typed
    for login in ['=HYPERLINK("http://evil.example","x")', '+79001234567', '-2+3', '@SUM(A1)', 'ivanov']:
        await audit.record('login_failure', login=login, ip='192.0.2.10', reason='=1+1')

    header, *rows = await exported(viewer, kinds='login_failure')
    assert header == list(audit_log.CSV_COLUMNS)
    assert [row[4] for row in rows] == [
        'ivanov',
        "'@SUM(A1)",
        "'-2+3",
        "'+79001234567",
        '\'=HYPERLINK("http://evil.example","x")',
    ]
    first = dict(zip(header, rows[0], strict=True))
    assert first['at'] == '2026-11-20T10:05:09+03:00'  # the customers' clock, with its offset
    assert (first['event'], first['ip'], first['cabinet_id'], first['staff_id']) == (
        'login_failure',
        '192.0.2.10',
        '',
        '',
    )
    assert json.loads(first['detail']) == {'reason': '=1+1'}  # inside JSON, so it starts with {


async def test_the_export_streams_every_event_once_across_batches(viewer):
    # one moment for all (the fake clock stands still): the id orders them, batch after batch
    now = clock.now()
    await AuditEvent.bulk_create(
        [AuditEvent(at=now, event='login_success', login=f'user{n}') for n in range(audit_log.EXPORT_BATCH + 5)]
    )
    await AuditEvent.create(at=now - timedelta(days=1), event='lockout', login='yesterday')

    chunks = [chunk async for chunk in await export_csv(viewer, AuditFilters(kinds='login_success'))]
    assert len(chunks) == 3  # the header, a full batch, the rest
    rows = list(csv.reader(io.StringIO(''.join(chunks))))[1:]
    assert len(rows) == audit_log.EXPORT_BATCH + 5
    assert len({row[0] for row in rows}) == len(rows)
    assert [row[4] for row in rows[:2]] == [f'user{audit_log.EXPORT_BATCH + 4}', f'user{audit_log.EXPORT_BATCH + 3}']
    assert [row[4] for row in (await exported(viewer))[-1:]] == ['yesterday']


async def test_an_export_is_audited_with_who_and_what_and_a_bad_filter_exports_nothing(viewer):
    await export_csv(viewer, AuditFilters(kinds=['lockout'], cabinet='7', since='2026-11-01'))
    [event] = await AuditEvent.filter(event='staff_audit_export')
    assert event.staff_id == viewer.id
    assert event.detail == {'filters': {'kinds': ['lockout'], 'cabinet': '7', 'since': '2026-11-01'}}

    with pytest.raises(InvalidInput):
        await export_csv(viewer, AuditFilters(since='yesterday'))
    assert await AuditEvent.filter(event='staff_audit_export').count() == 1


async def test_a_viewer_reads_a_whole_phone_or_email_in_the_detail_masked_an_operator_whole(viewer):
    # the SMS cap records the phone whole (erasure finds the rows by it)
    await audit.record('sms_limit', ip='192.0.2.10', phone='+79001234567')
    await audit.record('registration_limited', ip='192.0.2.10', email='ivanov@example.ru')
    operator = await Staff.create(login='operator', role=StaffRole.OPERATOR, created_at=clock.now())

    def details(found) -> list[dict]:
        return [row.detail for row in found.rows]

    kinds = 'sms_limit, registration_limited'
    assert details(await find_events(viewer, AuditFilters(kinds=kinds))) == [
        {'email': 'i***@example.ru'},
        {'phone': '+7900***4567'},
    ]
    assert details(await find_events(operator, AuditFilters(kinds=kinds))) == [
        {'email': 'ivanov@example.ru'},
        {'phone': '+79001234567'},
    ]
    _, *rows = await exported(viewer, kinds=kinds)
    assert [json.loads(row[-1]) for row in rows] == [{'email': 'i***@example.ru'}, {'phone': '+7900***4567'}]
