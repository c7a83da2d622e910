"""`python main.py readings-export` and `readings-status` as an operator runs them, in Russian and in English."""

from __future__ import annotations

import csv

import pytest

from models.readings import Reading, ReadingStatus
from tests.support.commands import run_main as run
from tests.support.factories import NUMBER, SERIAL, add_customer_reading, make_account, make_meter

PERIOD = '2026-11'
RUSSIAN = {'LC_ALL': 'ru_RU.UTF-8'}
ENGLISH = {'LC_ALL': 'en_US.UTF-8'}


@pytest.fixture
async def readings(db) -> list[Reading]:
    """Two customer readings of November waiting for export, and one the customer replaced."""
    account = await make_account()
    meter = await make_meter(account, decimals=1)
    single = await make_meter(account, 'СЕ101-77', zones=1)
    await add_customer_reading(meter, '2026-11-17', '12600', '4090', superseded=True)
    return [
        await add_customer_reading(meter, '2026-11-20', '12610.5', '4100'),
        await add_customer_reading(single, '2026-11-21', '310'),
    ]


def counts(output: str) -> dict[str, str]:
    """The status table's «name  number» lines."""
    lines = [line.rsplit(maxsplit=1) for line in output.splitlines() if line.startswith('  ')]
    return {name.strip(): number for name, number in lines}


def test_help_lists_the_readings_commands():
    done = run('--help', **ENGLISH)
    assert 'readings-export' in done.stdout and 'readings-status' in done.stdout
    done = run('readings-export', '--help', **RUSSIAN)
    text = ' '.join(done.stdout.split())  # argparse wraps the help
    assert '--again' in text and 'readings-ГГГГ-ММ-<номер выгрузки>.csv в текущем каталоге' in text


async def test_export_then_status_in_russian(readings, tmp_path):
    out = tmp_path / 'billing.csv'

    done = run('readings-export', PERIOD, '--out', str(out), **RUSSIAN)

    assert done.returncode == 0, done.stderr
    assert done.stdout == f'Выгрузка № 1 за ноябрь 2026: 2 показания записаны в {out}.\n'
    with out.open(encoding='utf-8', newline='') as file:
        assert [row[:4] for row in csv.reader(file)] == [
            ['account', 'serial', 'date', 't1'],
            [NUMBER, SERIAL, '2026-11-20', '12610.5'],
            [NUMBER, 'СЕ101-77', '2026-11-21', '310'],
        ]
    assert {reading.status for reading in await Reading.filter(superseded=False)} == {ReadingStatus.EXPORTED}

    status = run('readings-status', PERIOD, **RUSSIAN)

    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0] == 'Показания клиентов за ноябрь 2026 (2026-11): всего 2'
    assert counts(status.stdout) == {
        'ждут выгрузки': '0',
        'выгружены в биллинг': '2',
        'приняты': '0',
        'отклонены': '0',
        'заменены (не в итоге)': '1',
    }
    assert lines[-1].startswith('1 выгрузка за месяц; последняя — № 1, ')
    assert lines[-1].endswith(', строк: 2.')


async def test_a_second_export_writes_nothing_new_and_status_tells_what_waits_in_english(readings, tmp_path):
    assert run('readings-export', PERIOD, '--out', str(tmp_path / 'a.csv'), **ENGLISH).returncode == 0
    await add_customer_reading(readings[0].meter, '2026-11-22', '12620', '4110')

    status = run('readings-status', PERIOD, **ENGLISH)

    assert counts(status.stdout)['waiting for export'] == '1'
    assert 'Waiting for export: 1 — run readings-export 2026-11.' in status.stdout
    done = run('readings-export', PERIOD, '--out', str(tmp_path / 'b.csv'), **ENGLISH)
    assert done.stdout == f'Export 2 for November 2026: 1 reading written to {tmp_path / "b.csv"}.\n'
    done = run('readings-export', PERIOD, '--out', str(tmp_path / 'c.csv'), **ENGLISH)
    assert done.stdout == f'Export 3 for November 2026: 0 readings written to {tmp_path / "c.csv"}.\n'


async def test_without_out_the_file_lands_in_the_working_folder(readings, tmp_path):
    folder = tmp_path / 'exports'
    folder.mkdir()

    done = run('readings-export', PERIOD, cwd=folder, **RUSSIAN)

    assert done.returncode == 0, done.stderr
    assert done.stdout == f'Выгрузка № 1 за ноябрь 2026: 2 показания записаны в readings-{PERIOD}-1.csv.\n'
    assert [path.name for path in folder.iterdir()] == [f'readings-{PERIOD}-1.csv']


@pytest.mark.parametrize('command', ['readings-export', 'readings-status'])
@pytest.mark.parametrize(
    ('env', 'message'),
    [
        (RUSSIAN, 'Период указывается как ГГГГ-ММ, например 2026-10, а указано «2026-13»'),
        (ENGLISH, 'The period is written as YYYY-MM, for example 2026-10, but “2026-13” was given'),
    ],
)
def test_a_period_that_is_not_a_month_is_refused(db, command, env, message):
    done = run(command, '2026-13', **env)
    assert done.returncode == 2
    assert message in done.stdout


async def test_an_unwritable_file_is_refused_and_nothing_is_marked(readings, tmp_path):
    out = tmp_path / 'no-such-folder' / 'billing.csv'

    done = run('readings-export', PERIOD, '--out', str(out), **ENGLISH)

    assert done.returncode == 2
    assert done.stdout == f'Cannot write {out}: No such file or directory. Nothing was exported.\n'
    assert {reading.status for reading in await Reading.all()} == {ReadingStatus.SUBMITTED}
