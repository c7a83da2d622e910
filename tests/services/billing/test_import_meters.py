"""meters.csv: the accounts' meters, merged by (account, serial) (format in docs/operator.md)."""

from __future__ import annotations

from datetime import date

from cli.imports import file_summary
from models.readings import Meter
from services.billing.imports import import_files
from tests.support.billing import METERS, METERS_HEADER, write_csv, write_meter_files
from tests.support.factories import add_reading

FIELDS = ('account__number', *METERS_HEADER[1:])


async def meters() -> list[tuple]:
    return await Meter.all().order_by('id').values_list('id', *FIELDS)


async def test_imports_meters_and_a_reimport_changes_nothing(db, tmp_path):
    files = write_meter_files(tmp_path)
    paths = [files[kind] for kind in ('meters', 'accounts', 'regions')]

    report = await import_files(paths)

    assert report.exit_code == 0, [file.errors for file in report.files]
    assert [file.kind for file in report.files] == ['regions', 'accounts', 'meters']
    assert file_summary(report.files[2]) == f'{files["meters"]}: 3 строки, добавлено 3, изменено 0, без изменений 0'
    assert [row[1:] for row in await meters()] == [
        ('461000000001', 'СЕ101-0001', 1, 5, 1, 1, date(2019, 4, 1), date(2035, 4, 1), False, None),
        ('461000000002', 'М230-77', 2, 6, 2, 1, date(2021, 6, 15), None, True, None),
        ('691000000001', 'ПСЧ-3', 3, 7, 0, 40, None, None, False, None),
    ]
    before = await meters()

    again = await import_files(paths)

    assert file_summary(again.files[2]) == f'{files["meters"]}: 3 строки, добавлено 0, изменено 0, без изменений 3'
    assert await meters() == before


async def test_a_later_file_removes_a_meter_and_keeps_its_id(db, tmp_path):
    files = write_meter_files(tmp_path)
    await import_files([files['regions'], files['accounts'], files['meters']])
    before = await meters()
    removed = [(*METERS[0][:-1], '2026-11-02'), *METERS[1:]]
    write_csv(files['meters'], METERS_HEADER, removed)

    report = await import_files([files['meters']])

    assert (report.files[0].added, report.files[0].changed, report.files[0].unchanged) == (0, 1, 2)
    after = await meters()
    assert after[0] == (*before[0][:-1], date(2026, 11, 2))
    assert after[1:] == before[1:]


async def test_accepted_spellings_of_smart_and_the_defaults(db, tmp_path):
    files = write_meter_files(tmp_path)
    rows = [
        ('461000000001', 'A', '1', '5', '', '', '', '', 'да', ''),
        ('461000000001', 'B', '1', '5', '0', '1', '', '', 'НЕТ', ''),
        ('461000000001', 'C', '1', '5', '0', '1', '', '', 'True', ''),
        ('461000000001', 'D', '1', '5', '0', '1', '', '', '', ''),
    ]
    path = write_csv(tmp_path / 'meters.csv', METERS_HEADER, rows)

    report = await import_files([files['regions'], files['accounts'], path])

    assert report.exit_code == 0, report.files[2].errors
    assert await Meter.all().order_by('serial').values_list('serial', 'decimals', 'ratio', 'smart') == [
        ('A', 0, 1, True),
        ('B', 0, 1, False),
        ('C', 0, 1, True),
        ('D', 0, 1, False),
    ]


async def test_every_bad_row_is_reported_and_nothing_of_the_file_is_stored(db, tmp_path):
    files = write_meter_files(tmp_path)
    rows = [
        METERS[0],
        ('461000000001', 'Z1', '4', '5', '0', '1', '', '', 'false', ''),
        ('461000000001', 'Z2', '1', '13', '5', '0', '', '', 'false', ''),
        ('461000000001', 'Z3', '1', '5', '0', '1.5', '2026-13-01', '', 'yes', ''),
        ('461000000001', 'Z4', '1', '5', '0', '1', '2026-05-01', '', 'false', '2026-04-30'),
        ('999', 'Z5', '1', '5', '0', '1', '', '', 'false', ''),
        ('461000000001', 'СЕ101-0001', '1', '5', '1', '', '', '', 'false', ''),
        ('461000000001', '', '', '5', '0', '1', '', '', 'false', ''),
    ]
    path = write_csv(tmp_path / 'meters.csv', METERS_HEADER, rows)

    report = await import_files([files['regions'], files['accounts'], path])

    assert report.exit_code == 1
    assert report.files[2].errors == [
        f'{path}:3: в поле zones должно быть целое число от 1 до 3, а не «4»',
        f'{path}:4: в поле digits должно быть целое число от 1 до 12, а не «13»; '
        f'в поле decimals должно быть целое число от 0 до 4, а не «5»; '
        f'в поле ratio должно быть целое число от 1 до 100000, а не «0»',
        f'{path}:5: в поле ratio должно быть целое число от 1 до 100000, а не «1.5»; '
        f'дата должна быть в виде ГГГГ-ММ-ДД, например 2026-03-15, а не «2026-13-01»; '
        f'в поле smart должно быть true или false (1 или 0, да или нет), а не «yes»',
        f'{path}:6: дата снятия 2026-04-30 раньше даты установки 2026-05-01',
        f'{path}:7: нет такого лицевого счёта 999',
        f'{path}:8: счётчик СЕ101-0001 лицевого счёта 461000000001 уже был в строке 2',
        f'{path}:9: не заполнено поле serial; не заполнено поле zones',
    ]
    assert await Meter.all().count() == 0


async def test_a_meter_with_readings_keeps_its_zones(db, tmp_path):
    """Its readings hold one value per zone: a two-zone history under a one-zone meter broke the customer's page."""
    files = write_meter_files(tmp_path)
    await import_files([files['regions'], files['accounts'], files['meters']])
    await add_reading(await Meter.get(serial='М230-77'), '2026-10-20', '1200', '500')
    before = await meters()
    rezoned = [(*row[:2], '1', *row[3:]) for row in METERS]  # the three-zone meter has no readings yet
    write_csv(files['meters'], METERS_HEADER, rezoned)

    report = await import_files([files['meters']])

    assert report.exit_code != 0
    assert report.files[0].errors == [
        f'{files["meters"]}:3: у счётчика М230-77 уже есть показания по 2 зон(ам): число зон нельзя изменить на 1; '
        'заменённый счётчик передайте с новым серийным номером'
    ]
    assert await meters() == before  # nothing of the file: the three-zone meter stays as it was too
