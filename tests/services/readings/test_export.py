"""The month's customer readings exported for billing (docs/operator.md, readings-export): each exactly once, a
killed run losing and doubling nothing, and billing's verdict coming back through readings.csv to the customer."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.readings import Reading, ReadingExport, ReadingSource, ReadingStatus
from services.billing.imports import import_files
from services.readings.export import HEADER, ExportRefused, export_readings
from services.readings.history import reading_history
from services.readings.status import readings_status
from tests.support.billing import READINGS_HEADER, write_csv
from tests.support.factories import NUMBER, SERIAL, add_customer_reading, add_reading, make_meter

PERIOD = '2026-11'
SENT = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding='utf-8', newline='') as file:
        header, *rows = csv.reader(file)
    assert tuple(header) == HEADER
    return rows


async def statuses() -> dict[int, tuple[ReadingStatus, int | None]]:
    return {reading.id: (reading.status, reading.export_id) for reading in await Reading.all()}


class CrashAfter:
    """A progress watcher that kills the export, as a SIGKILL would, once `rows` rows are written."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.written = 0

    def step(self, description: str, total: int | None) -> None:
        pass

    def show(self, completed: int) -> None:
        pass

    def advance(self, steps: int) -> None:
        self.written += steps
        if self.written >= self.rows:
            raise KeyboardInterrupt


async def test_exports_the_months_live_customer_readings_and_a_second_run_nothing(meter, tmp_path):
    single = await make_meter(meter.account, 'СЕ101-77', zones=1, digits=6, decimals=2)
    day_night = await add_customer_reading(meter, '2026-11-20', '12610.5', '4100', submitted_at=SENT)
    one_zone = await add_customer_reading(single, '2026-11-16', '300.25')
    replaced = await add_customer_reading(meter, '2026-11-17', '12600', '4090', superseded=True)
    october = await add_customer_reading(meter, '2026-10-20', '12400', '4000')
    billing = await add_reading(meter, '2026-11-01', '12500', '4050')

    result = await export_readings(PERIOD, out=tmp_path / 'billing.csv')

    assert (result.rows, result.path) == (2, tmp_path / 'billing.csv')
    assert rows_of(result.path) == [
        [NUMBER, SERIAL, '2026-11-20', '12610.5', '4100', '', '2026-11-18T07:30:00+00:00', 'web'],
        [NUMBER, 'СЕ101-77', '2026-11-16', '300.25', '', '', '2026-11-20T10:00:00+00:00', 'web'],
    ]
    assert await statuses() == {
        day_night.id: (ReadingStatus.EXPORTED, result.export_id),
        one_zone.id: (ReadingStatus.EXPORTED, result.export_id),
        replaced.id: (ReadingStatus.SUBMITTED, None),
        october.id: (ReadingStatus.SUBMITTED, None),
        billing.id: (ReadingStatus.ACCEPTED, None),
    }
    export = await ReadingExport.get(id=result.export_id)
    assert (export.period, export.rows, export.finished_at is not None) == (PERIOD, 2, True)

    again = await export_readings(PERIOD, out=tmp_path / 'second.csv')

    assert again.rows == 0 and again.export_id != result.export_id
    assert rows_of(again.path) == []
    assert (await Reading.get(id=day_night.id)).export_id == result.export_id


async def test_without_out_the_file_is_named_by_period_and_export_id(meter, tmp_path, monkeypatch):
    folder = tmp_path / 'exports'
    folder.mkdir()
    monkeypatch.chdir(folder)
    await add_customer_reading(meter, '2026-11-20', '12610.5', '4100')

    result = await export_readings(PERIOD)

    assert result.path == Path(f'readings-{PERIOD}-{result.export_id}.csv')
    assert len(rows_of(folder / result.path)) == 1
    assert [path.name for path in folder.iterdir()] == [result.path.name]  # no .part left behind


async def test_a_reading_submitted_after_an_export_goes_in_the_next_one(meter, tmp_path, fake_clock):
    first = await add_customer_reading(meter, '2026-11-20', '12610.5', '4100')
    before = await export_readings(PERIOD, out=tmp_path / 'a.csv')
    fake_clock.advance(days=1)
    # the customer corrected the value the next day: the window replaces the first reading
    await Reading.filter(id=first.id).update(superseded=True)
    correction = await add_customer_reading(meter, '2026-11-21', '12611', '4101')

    after = await export_readings(PERIOD, out=tmp_path / 'b.csv')

    assert [row[2:4] for row in rows_of(after.path)] == [['2026-11-21', '12611']]
    assert await statuses() == {
        first.id: (ReadingStatus.EXPORTED, before.export_id),
        correction.id: (ReadingStatus.EXPORTED, after.export_id),
    }


async def test_again_resends_what_billing_has_not_answered_and_never_a_replaced_reading(meter, tmp_path):
    single = await make_meter(meter.account, 'СЕ101-77', zones=1, digits=6)
    answered = await add_customer_reading(single, '2026-11-15', '310')
    waiting = await add_customer_reading(meter, '2026-11-20', '12610.5', '4100')
    replaced = await add_customer_reading(meter, '2026-11-19', '12600', '4090', superseded=True)
    first = await export_readings(PERIOD, out=tmp_path / 'a.csv')
    await Reading.filter(id=answered.id).update(status=ReadingStatus.ACCEPTED)  # billing's verdict came back

    result = await export_readings(PERIOD, out=tmp_path / 'b.csv', again=True)

    assert first.rows == 2
    assert [row[1] for row in rows_of(result.path)] == [SERIAL]
    assert await statuses() == {
        answered.id: (ReadingStatus.ACCEPTED, first.export_id),
        waiting.id: (ReadingStatus.EXPORTED, result.export_id),
        replaced.id: (ReadingStatus.SUBMITTED, None),
    }


async def test_a_run_killed_midway_marks_nothing_and_the_next_run_sends_every_reading_once(meter, tmp_path):
    serials = [f'M-{index}' for index in range(5)]
    for serial in serials:
        await add_customer_reading(await make_meter(meter.account, serial, zones=1), '2026-11-20', '100')
    folder = tmp_path / 'exports'
    folder.mkdir()
    target = folder / 'billing.csv'

    with pytest.raises(KeyboardInterrupt):
        await export_readings(PERIOD, out=target, batch=2, progress=CrashAfter(4))

    assert list(folder.iterdir()) == []  # the incomplete file never looks complete
    assert {status for status, _ in (await statuses()).values()} == {ReadingStatus.SUBMITTED}
    assert await ReadingExport.filter(finished_at__isnull=True).count() == 1
    assert (await readings_status(PERIOD)).unfinished == 1

    resumed = await export_readings(PERIOD, out=target, batch=2)

    assert [row[1] for row in rows_of(target)] == serials
    assert {value for value in (await statuses()).values()} == {(ReadingStatus.EXPORTED, resumed.export_id)}
    assert (await export_readings(PERIOD, out=folder / 'more.csv', batch=2)).rows == 0


@pytest.mark.parametrize('folder', ['missing/billing.csv', '.'])
async def test_an_unwritable_file_is_refused_and_nothing_is_marked(meter, tmp_path, folder):
    reading = await add_customer_reading(meter, '2026-11-20', '12610.5', '4100')
    target = tmp_path / folder

    with pytest.raises(ExportRefused) as refused:
        await export_readings(PERIOD, out=target)

    assert refused.value.message.startswith(f'Не удалось записать {target}: ')
    assert refused.value.message.endswith('. Ничего не выгружено.')
    assert await statuses() == {reading.id: (ReadingStatus.SUBMITTED, None)}
    assert await ReadingExport.all().count() == 0


async def test_a_period_that_is_not_a_month_is_refused(db):
    with pytest.raises(ValueError, match='Период указывается как ГГГГ-ММ, например 2026-10, а указано «2026-13»'):
        await export_readings('2026-13')
    with pytest.raises(ValueError, match='«ноябрь»'):
        await readings_status('ноябрь')


async def test_status_counts_the_months_customer_readings_by_where_they_stand(meter, tmp_path):
    await add_customer_reading(meter, '2026-11-16', '12500', '4000', superseded=True)
    await add_customer_reading(meter, '2026-11-17', '12501', '4001', status=ReadingStatus.ACCEPTED)
    await add_customer_reading(meter, '2026-11-18', '12502', '4002', status=ReadingStatus.REJECTED, reason='нет')
    await add_customer_reading(meter, '2026-11-19', '12503', '4003')
    await add_customer_reading(meter, '2026-10-19', '12400', '3900')  # another month
    await add_reading(meter, '2026-11-01', '12450', '3950')  # billing's own
    export = await export_readings(PERIOD, out=tmp_path / 'a.csv')
    await add_customer_reading(meter, '2026-11-20', '12504', '4004')

    status = await readings_status(PERIOD)

    assert status.counts == {
        ReadingStatus.SUBMITTED: 1,
        ReadingStatus.EXPORTED: 1,
        ReadingStatus.ACCEPTED: 1,
        ReadingStatus.REJECTED: 1,
    }
    assert (status.total, status.superseded, status.unfinished) == (4, 1, 0)
    assert [(run.id, run.rows) for run in status.exports] == [(export.export_id, 1)]


async def test_billings_verdict_on_the_export_reaches_the_status_and_the_customers_history(meter, cabinet, tmp_path):
    single = await make_meter(meter.account, 'СЕ101-77', zones=1, digits=6, decimals=2)
    await add_customer_reading(meter, '2026-11-20', '12610.5', '4100')
    await add_customer_reading(single, '2026-11-16', '300.25')
    exported = await export_readings(PERIOD, out=tmp_path / 'export.csv')
    # billing answers in readings.csv: the exported rows with source customer, a verdict and for a rejection why
    verdicts = {SERIAL: ('rejected', 'Показание меньше предыдущего'), 'СЕ101-77': ('accepted', '')}
    answer = [
        (account, serial, day, t1, t2, t3, 'customer', *verdicts[serial])
        for account, serial, day, t1, t2, t3, _, _ in rows_of(exported.path)
    ]
    path = write_csv(tmp_path / 'readings.csv', (*READINGS_HEADER, 'reason'), answer)

    report = await import_files([path])

    assert (report.exit_code, report.files[0].added, report.files[0].changed) == (0, 0, 2)
    status = await readings_status(PERIOD)
    assert (status.counts[ReadingStatus.ACCEPTED], status.counts[ReadingStatus.REJECTED]) == (1, 1)
    assert status.counts[ReadingStatus.EXPORTED] == status.counts[ReadingStatus.SUBMITTED] == 0
    history = await reading_history(cabinet, NUMBER, SERIAL)
    [row] = [row for row in history.rows if row.source == ReadingSource.CUSTOMER]
    assert (row.status, row.reason) == (ReadingStatus.REJECTED, 'Показание меньше предыдущего')

    again = await import_files([path])

    assert (again.files[0].added, again.files[0].changed, again.files[0].unchanged) == (0, 0, 2)
