"""tariffs.csv and regions.csv's days for readings (formats in docs/operator.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cli.imports import file_summary
from models.billing import Region
from models.readings import Tariff
from services.billing.imports import import_files
from tests.support.billing import REGIONS_HEADER, TARIFFS, TARIFFS_HEADER, write_csv, write_meter_files

WINDOW_HEADER = (*REGIONS_HEADER, 'readings_from', 'readings_to')


async def tariffs() -> list[tuple]:
    return (
        await Tariff.all()
        .order_by('id')
        .values_list('id', 'region__code', 'zone', 'price', 'valid_from', 'band_kwh', 'band_price')
    )


async def test_imports_tariffs_and_a_reimport_changes_nothing(db, tmp_path):
    files = write_meter_files(tmp_path)
    paths = [files['tariffs'], files['regions']]

    report = await import_files(paths)

    assert report.exit_code == 0, [file.errors for file in report.files]
    assert [file.kind for file in report.files] == ['regions', 'tariffs']
    assert file_summary(report.files[1]) == f'{files["tariffs"]}: 4 строки, добавлено 4, изменено 0, без изменений 0'
    assert [row[1:] for row in await tariffs()] == [
        ('KRS', 1, Decimal('6.12'), date(2026, 1, 1), None, None),
        ('KRS', 1, Decimal('6.45'), date(2026, 7, 1), None, None),
        ('KRS', 2, Decimal('3.45'), date(2026, 7, 1), None, None),
        ('TVR', 1, Decimal('6.21'), date(2026, 7, 1), Decimal('3900'), Decimal('8.07')),
    ]
    before = await tariffs()

    again = await import_files(paths)

    assert file_summary(again.files[1]) == f'{files["tariffs"]}: 4 строки, добавлено 0, изменено 0, без изменений 4'
    assert await tariffs() == before

    corrected = write_csv(files['tariffs'], TARIFFS_HEADER, [*TARIFFS[:3], ('TVR', '1', '6.25', '2026-07-01', '', '')])
    changed = await import_files([corrected])
    assert (changed.files[0].added, changed.files[0].changed, changed.files[0].unchanged) == (0, 1, 3)
    assert (await tariffs())[3] == (before[3][0], 'TVR', 1, Decimal('6.25'), date(2026, 7, 1), None, None)


async def test_tariffs_without_band_columns(db, tmp_path):
    files = write_meter_files(tmp_path)
    path = write_csv(tmp_path / 'tariffs.csv', TARIFFS_HEADER[:4], [('KRS', '3', '5.1', '2026-07-01')])

    report = await import_files([files['regions'], path])

    assert report.exit_code == 0, report.files[1].errors
    assert [row[1:] for row in await tariffs()] == [('KRS', 3, Decimal('5.1'), date(2026, 7, 1), None, None)]


async def test_every_bad_tariff_row_is_reported_and_nothing_of_the_file_is_stored(db, tmp_path):
    files = write_meter_files(tmp_path)
    rows = [
        TARIFFS[0],
        ('KRS', '4', '6.12', '2026-02-01', '', ''),
        ('XXX', '1', '-1', '2026-02-01', '', ''),
        ('KRS', '1', '6,12', '2026-02-01', '3900', ''),
        ('KRS', '1', '6.123456', '2026-03-01', '-5', '7'),
        ('KRS', '1', '6.20', '2026-01-01', '', ''),
    ]
    path = write_csv(tmp_path / 'tariffs.csv', TARIFFS_HEADER, rows)

    report = await import_files([files['regions'], path])

    assert report.exit_code == 1
    assert report.files[1].errors == [
        f'{path}:3: в поле zone должно быть целое число от 1 до 3, а не «4»',
        f'{path}:4: неизвестный регион XXX; в поле price не может быть отрицательного числа: «-1»',
        f'{path}:5: тариф должен быть числом с точкой, например 5.47, а не «6,12»; '
        'поля band_kwh, band_price заполняются вместе или остаются пустыми вместе',
        f'{path}:6: в поле price не больше 4 знаков после точки, а не «6.123456»; '
        'в поле band_kwh не может быть отрицательного числа: «-5»',
        f'{path}:7: тариф региона KRS, зона 1, с 2026-01-01 уже был в строке 2',
    ]
    assert await Tariff.all().count() == 0


async def test_regions_bring_the_days_for_readings(db, tmp_path):
    path = write_csv(tmp_path / 'regions.csv', WINDOW_HEADER, [('KRS', 'Курск', '20', '26'), ('TVR', 'Тверь', '', '')])

    report = await import_files([path])

    assert report.exit_code == 0, report.files[0].errors
    windows = Region.all().order_by('code').values_list('code', 'readings_from', 'readings_to')
    assert await windows == [('KRS', 20, 26), ('TVR', None, None)]
    # a file without the columns leaves the days as they were
    plain = write_csv(tmp_path / 'plain.csv', REGIONS_HEADER, [('KRS', 'Курск'), ('TVR', 'Тверь')])
    again = await import_files([plain])
    assert (again.files[0].changed, again.files[0].unchanged) == (0, 2)
    assert await windows == [('KRS', 20, 26), ('TVR', None, None)]


async def test_bad_days_for_readings_are_reported(db, tmp_path):
    rows = [('KRS', 'Курск', '26', '20'), ('TVR', 'Тверь', '0', '32'), ('SML', 'Смоленск', '15', '')]
    path = write_csv(tmp_path / 'regions.csv', WINDOW_HEADER, rows)
    half = write_csv(tmp_path / 'half.csv', (*REGIONS_HEADER, 'readings_from'), [('KRS', 'Курск', '20')])

    report = await import_files([path, half])

    by_path = {file.path: file for file in report.files}
    assert by_path[str(path)].errors == [
        f'{path}:2: день начала приёма показаний 26 позже дня окончания 20',
        f'{path}:3: в поле readings_from должно быть целое число от 1 до 31, а не «0»; '
        'в поле readings_to должно быть целое число от 1 до 31, а не «32»',
        f'{path}:4: поля readings_from, readings_to заполняются вместе или остаются пустыми вместе',
    ]
    assert by_path[str(half)].errors == [
        f'{half}:1: столбцы readings_from, readings_to указываются вместе или не указываются совсем'
    ]
    assert await Region.all().count() == 0
