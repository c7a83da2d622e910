"""readings.csv: billing's readings, merged by (meter, date, source), and its verdict on the customer readings the
portal exported (format in docs/operator.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from cli.imports import file_summary
from models.readings import Meter, Reading, ReadingSource, ReadingStatus
from services.billing.imports import import_files
from tests.support.billing import READINGS, READINGS_HEADER, write_csv, write_meter_files
from tests.support.commands import run_main

FIELDS = ('meter__serial', 'date', 't1', 't2', 't3', 'source', 'status', 'superseded')


async def readings() -> list[tuple]:
    return await Reading.all().order_by('id').values_list('id', *FIELDS)


async def import_meters(tmp_path) -> dict:
    files = write_meter_files(tmp_path)
    report = await import_files([files[kind] for kind in ('regions', 'accounts', 'meters')])
    assert report.exit_code == 0
    return files


async def test_imports_readings_and_a_reimport_changes_nothing(db, tmp_path):
    files = write_meter_files(tmp_path)
    paths = [files[kind] for kind in ('readings', 'meters', 'accounts', 'regions')]

    report = await import_files(paths)

    assert report.exit_code == 0, [file.errors for file in report.files]
    assert [file.kind for file in report.files] == ['regions', 'accounts', 'meters', 'readings']
    assert file_summary(report.files[3]) == f'{files["readings"]}: 4 строки, добавлено 4, изменено 0, без изменений 0'
    assert [row[1:] for row in await readings()] == [
        ('СЕ101-0001', date(2026, 9, 25), Decimal('12345.6'), None, None, 'billing', 'accepted', False),
        ('СЕ101-0001', date(2026, 10, 25), Decimal('12501.2'), None, None, 'billing', 'accepted', False),
        ('М230-77', date(2026, 10, 31), Decimal('3000.25'), Decimal('1200'), None, 'smart', 'accepted', False),
        ('ПСЧ-3', date(2026, 10, 31), Decimal('100'), Decimal('50'), Decimal('70'), 'calculated', 'accepted', False),
    ]
    before = await readings()

    again = await import_files(paths)

    assert file_summary(again.files[3]) == f'{files["readings"]}: 4 строки, добавлено 0, изменено 0, без изменений 4'
    assert await readings() == before


async def test_a_corrected_billing_reading_replaces_its_values(db, tmp_path):
    files = await import_meters(tmp_path)
    await import_files([files['readings']])
    before = await readings()
    corrected = [READINGS[0], ('461000000001', 'СЕ101-0001', '2026-10-25', '12499.9', '', '', 'billing', 'rejected')]
    write_csv(files['readings'], READINGS_HEADER, corrected)

    report = await import_files([files['readings']])

    assert (report.files[0].added, report.files[0].changed, report.files[0].unchanged) == (0, 1, 1)
    after = await readings()
    assert after[1] == (before[1][0], 'СЕ101-0001', date(2026, 10, 25), Decimal('12499.9'), None, None,
                        'billing', 'rejected', False)  # fmt: skip
    assert after[0] == before[0] and after[2:] == before[2:]


async def test_billing_verdict_marks_the_portals_customer_reading(db, tmp_path):
    await import_meters(tmp_path)
    meter = await Meter.get(serial='СЕ101-0001')
    sent = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    # the customer corrected the first reading within the window: only the second was exported and counts
    old = await Reading.create(meter=meter, date=date(2026, 11, 20), t1=Decimal('12600.0'), source='customer',
                               status='exported', submitted_at=sent, channel='web', superseded=True)  # fmt: skip
    current = await Reading.create(meter=meter, date=date(2026, 11, 20), t1=Decimal('12610.5'), source='customer',
                                   status='exported', submitted_at=sent, channel='web')  # fmt: skip
    verdicts = [
        ('461000000001', 'СЕ101-0001', '2026-11-20', '12610.5', '', '', 'customer', 'rejected'),
        # phoned in: the portal has no such reading
        ('461000000002', 'М230-77', '2026-11-19', '3100', '1250.5', '', 'customer', 'accepted'),
    ]
    path = write_csv(tmp_path / 'verdicts.csv', READINGS_HEADER, verdicts)

    report = await import_files([path])

    assert (report.files[0].added, report.files[0].changed, report.files[0].unchanged) == (1, 1, 0)
    await old.refresh_from_db()
    await current.refresh_from_db()
    assert (old.status, current.status) == (ReadingStatus.EXPORTED, ReadingStatus.REJECTED)
    assert (current.channel, current.submitted_at, current.reason) == ('web', sent, '')
    phoned = await Reading.get(meter__serial='М230-77')
    assert (phoned.source, phoned.status, phoned.t1, phoned.t2, phoned.cabinet_id) == (
        ReadingSource.CUSTOMER,
        ReadingStatus.ACCEPTED,
        Decimal('3100'),
        Decimal('1250.5'),
        None,
    )
    before = await readings()

    again = await import_files([path])

    assert (again.files[0].added, again.files[0].changed, again.files[0].unchanged) == (0, 0, 2)
    assert await readings() == before


async def test_a_rejection_carries_billings_reason_and_a_file_without_the_column_keeps_it(db, tmp_path):
    await import_meters(tmp_path)
    meter = await Meter.get(serial='СЕ101-0001')
    portal = await Reading.create(meter=meter, date=date(2026, 11, 20), t1=Decimal('12610.5'), source='customer',
                                  status='exported', channel='web')  # fmt: skip
    why = 'Показание меньше предыдущего, проверьте счётчик'
    rows = [
        ('461000000001', 'СЕ101-0001', '2026-11-20', '12610.5', '', '', 'customer', 'rejected', f' {why} '),
        ('461000000001', 'СЕ101-0001', '2026-10-25', '12501.2', '', '', 'billing', 'rejected', 'Нет доступа'),
        # a reason beside an acceptance means nothing to the customer: not stored
        ('461000000002', 'М230-77', '2026-10-31', '3000.25', '1200', '', 'smart', 'accepted', 'устарело'),
    ]
    path = write_csv(tmp_path / 'verdicts.csv', (*READINGS_HEADER, 'reason'), rows)

    report = await import_files([path])

    assert (report.exit_code, report.files[0].added, report.files[0].changed) == (0, 2, 1)
    assert await Reading.get(id=portal.id).values_list('status', 'reason') == ('rejected', why)
    assert dict(await Reading.all().values_list('source', 'reason')) == {
        'customer': why,
        'billing': 'Нет доступа',
        'smart': '',
    }
    assert (await import_files([path])).files[0].unchanged == 3
    without = write_csv(tmp_path / 'plain.csv', READINGS_HEADER, [row[:-1] for row in rows])

    again = await import_files([without])

    assert (again.files[0].added, again.files[0].changed, again.files[0].unchanged) == (0, 0, 3)
    assert await Reading.get(id=portal.id).values_list('reason', flat=True) == why


async def test_a_reason_longer_than_a_sentence_is_refused(db, tmp_path):
    await import_meters(tmp_path)
    row = ('461000000001', 'СЕ101-0001', '2026-11-20', '12610.5', '', '', 'customer', 'rejected', 'x' * 501)
    path = write_csv(tmp_path / 'verdicts.csv', (*READINGS_HEADER, 'reason'), [row])

    report = await import_files([path])

    assert report.files[0].errors == [f'{path}:2: поле reason длиннее 500 символов']


async def test_every_bad_row_is_reported_and_nothing_of_the_file_is_stored(db, tmp_path):
    await import_meters(tmp_path)
    rows = [
        READINGS[0],
        ('461000000001', 'СЕ101-0001', '2026-10-25', '12501.25', '', '', 'billing', 'accepted'),
        ('461000000001', 'СЕ101-0001', '2026-10-26', '123456', '5', '', 'billing', 'accepted'),
        ('461000000002', 'М230-77', '2026-10-31', '3000', '', '', 'smart', 'accepted'),
        ('461000000002', 'М230-77', '2026-10-30', '-1', '2', '', 'phone', 'exported'),
        ('461000000002', 'НЕТ-1', '2026-10-31', '1', '2', '', 'smart', 'accepted'),
        ('461000000001', 'СЕ101-0001', '2026-09-25', '12345.6', '', '', 'billing', 'rejected'),
        ('461000000001', 'СЕ101-0001', '25.10.2026', '1,5', '', '', 'billing', ''),
    ]
    path = write_csv(tmp_path / 'readings.csv', READINGS_HEADER, rows)

    report = await import_files([path])

    assert report.exit_code == 1
    assert report.files[0].errors == [
        f'{path}:3: в поле t1 не больше 1 знаков после точки, а не «12501.25»',
        f'{path}:4: слишком большое число в поле t1: «123456»; поле t2 должно быть пустым: у счётчика зон: 1',
        f'{path}:5: не заполнено поле t2',
        f'{path}:6: в поле source должно быть одно из: customer, billing, smart, calculated, а не «phone»; '
        'в поле status должно быть одно из: accepted, rejected, а не «exported»; '
        'в поле t1 не может быть отрицательного числа: «-1»',
        f'{path}:7: у лицевого счёта 461000000002 нет счётчика НЕТ-1',
        f'{path}:8: показание счётчика СЕ101-0001 за 2026-09-25 (billing) уже было в строке 2',
        f'{path}:9: дата должна быть в виде ГГГГ-ММ-ДД, например 2026-03-15, а не «25.10.2026»; '
        'не заполнено поле status; показание t1 должно быть числом с точкой, например 12345.6, а не «1,5»',
    ]
    assert await Reading.all().count() == 0


async def test_command_line_imports_all_seven_kinds_in_dependency_order(db, tmp_path):
    files = write_meter_files(tmp_path)
    arguments = [
        str(files[kind]) for kind in ('readings', 'bills', 'meters', 'payments', 'tariffs', 'accounts', 'regions')
    ]

    result = run_main('import', *arguments)

    assert result.returncode == 0, result.stderr
    order = ('regions', 'tariffs', 'accounts', 'meters', 'readings', 'payments', 'bills')
    summaries = result.stdout.splitlines()[:-1]
    assert [line.split(':')[0] for line in summaries] == [str(files[kind]) for kind in order]
    assert f'{files["readings"]}: 4 строки, добавлено 4, изменено 0, без изменений 0' in summaries
    assert f'{files["meters"]}: 3 строки, добавлено 3, изменено 0, без изменений 0' in summaries
    assert await Reading.all().count() == 4

    bad = write_csv(
        tmp_path / 'more.csv',
        READINGS_HEADER,
        [('461000000001', 'СЕ101-0001', '2026-11-25', '1', '2', '', 'billing', 'accepted')],
    )
    refused = run_main('import', str(bad))

    assert refused.returncode == 1
    assert f'  {bad}:2: поле t2 должно быть пустым: у счётчика зон: 1' in refused.stdout.splitlines()
    assert await Reading.all().count() == 4
