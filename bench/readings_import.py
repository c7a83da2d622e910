"""Meters and readings import at a big utility's size: 1 million meters, 12 million month-end readings, SQLite.

    .venv/bin/python bench/readings_import.py [--meters N] [--rounds R]

A measurement, not a test: it always exits 0. It writes regions.csv, accounts.csv (one account per meter),
meters.csv (N meters: 60 % two-zone, 30 % one-zone, 10 % three-zone) and readings.csv (12 month-end billing readings
per meter, meters shuffled within a month as billing's journal lists them) from a fixed seed into a temporary
directory (not timed), then in the same run:
  raw    plain sqlite3 loads meters.csv and readings.csv into equivalent tables: csv.reader, executemany, one
         transaction per file, the unique and lookup indexes created after loading (no checks of any kind);
  ours   services.billing.imports.import_files of the same two files into a fresh migrated database that already
         holds the regions and accounts, what `python main.py import` runs (every row checked against its meter,
         repeated readings found, merged by (meter, date, source)); goal: rows/s ≥ 0.5 × raw.
Each loader runs in a freshly spawned process (bench/link.py's helpers), so each peak RSS is its own. The temporary
directory is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.link import REGIONS, _in_fresh_process, _load, _remove_database, mark, peak_rss_mb  # noqa: E402
from services import config, db  # noqa: E402

RATIO_GOAL = 0.5
SEED = 20261202
MONTHS = 12
TIMED = ('meters', 'readings')

RAW_SCHEMA = """
CREATE TABLE meter (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, account VARCHAR(32) NOT NULL,
    serial VARCHAR(64) NOT NULL, zones SMALLINT NOT NULL, digits SMALLINT NOT NULL, decimals SMALLINT NOT NULL,
    ratio INT NOT NULL, installed DATE, verify_by DATE, smart INT NOT NULL, removed DATE);
CREATE TABLE reading (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, meter_id INT NOT NULL, date DATE NOT NULL,
    t1 VARCHAR(40) NOT NULL, t2 VARCHAR(40), t3 VARCHAR(40), source VARCHAR(10) NOT NULL, status VARCHAR(9) NOT NULL);
"""


def account_number(index: int) -> str:
    return f'{REGIONS[index % len(REGIONS)][2]}{index:010d}'


def _write(path: Path, header: tuple[str, ...], rows: Any) -> None:
    with path.open('w', encoding='utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def generate(folder: Path, meters: int, today: date) -> None:
    rng = random.Random(SEED)
    _write(folder / 'regions.csv', ('code', 'name'), ((code, name) for code, name, _, _ in REGIONS))
    _write(
        folder / 'accounts.csv',
        ('number', 'region', 'surname', 'address'),
        ((account_number(i), REGIONS[i % len(REGIONS)][0], 'Семёнов', f'г. Курск, д. {i}') for i in range(meters)),
    )
    zones = [1 if i % 10 < 3 else 3 if i % 10 == 9 else 2 for i in range(meters)]
    _write(
        folder / 'meters.csv',
        ('account', 'serial', 'zones', 'digits', 'decimals', 'ratio', 'installed', 'verify_by', 'smart', 'removed'),
        (
            (account_number(i), f'M{i:09d}', zones[i], 6, i % 2, 1, '2020-01-01', '2036-01-01', i % 7 == 0, '')
            for i in range(meters)
        ),
    )
    registers = [[rng.randrange(1000, 50_000) for _ in range(zones[i])] for i in range(meters)]
    order = list(range(meters))
    month_end = today.replace(day=1)
    ends = []
    for _ in range(MONTHS):
        month_end -= timedelta(days=1)
        ends.append(month_end.isoformat())
        month_end = month_end.replace(day=1)
    with (folder / 'readings.csv').open('w', encoding='utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(('account', 'serial', 'date', 't1', 't2', 't3', 'source', 'status'))
        for end in reversed(ends):
            rng.shuffle(order)
            for i in order:
                register = registers[i]
                for zone in range(len(register)):
                    register[zone] += rng.randrange(50, 400)
                values = [f'{value}.5' if i % 2 else str(value) for value in register] + [''] * (3 - len(register))
                writer.writerow((account_number(i), f'M{i:09d}', end, *values, 'billing', 'accepted'))


def _reader(path: Path) -> Any:
    rows = csv.reader(path.open(encoding='utf-8', newline=''))
    next(rows)
    return rows


def raw_load(folder: str, path: str) -> dict[str, Any]:
    """A careful raw loader: trusts the files, one transaction per file, indexes after loading."""
    source = Path(folder)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute('PRAGMA journal_mode=WAL')
    connection.executescript(RAW_SCHEMA)
    times: dict[str, float] = {}
    started = time.perf_counter()
    connection.execute('BEGIN')
    connection.executemany(
        'INSERT INTO meter (account, serial, zones, digits, decimals, ratio, installed, verify_by, smart, removed) '
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        (
            (*row[:6], row[6] or None, row[7] or None, row[8] == 'True', row[9] or None)
            for row in _reader(source / 'meters.csv')
        ),
    )
    connection.execute('CREATE UNIQUE INDEX meter_key ON meter (account, serial)')
    connection.execute('COMMIT')
    meters = {(account, serial): meter_id for meter_id, account, serial in connection.execute(
        'SELECT id, account, serial FROM meter'
    )}  # fmt: skip
    times['meters'] = time.perf_counter() - started

    started = time.perf_counter()
    connection.execute('BEGIN')
    connection.executemany(
        'INSERT INTO reading (meter_id, date, t1, t2, t3, source, status) VALUES (?, ?, ?, ?, ?, ?, ?)',
        (
            (meters[account, serial], day, t1, t2 or None, t3 or None, source, status)
            for account, serial, day, t1, t2, t3, source, status in _reader(source / 'readings.csv')
        ),
    )
    connection.execute('CREATE INDEX reading_meter_date ON reading (meter_id, date)')
    connection.execute('COMMIT')
    times['readings'] = time.perf_counter() - started
    connection.close()
    return {'times': times, 'rss': peak_rss_mb()}


def our_import(folder: str, url: str) -> dict[str, Any]:
    """services.billing.imports.import_files: the regions and accounts untimed, then each timed file alone."""
    from cli.imports import file_summary, report_lines
    from services.billing.imports import import_files

    async def run() -> dict[str, Any]:
        await db.open_database(url)
        times: dict[str, float] = {}
        lines: list[str] = []
        try:
            for names in (('regions', 'accounts'), *((name,) for name in TIMED)):
                started = time.perf_counter()
                report = await import_files([Path(folder) / f'{name}.csv' for name in names])
                times[names[0]] = time.perf_counter() - started
                if report.exit_code:
                    raise RuntimeError('; '.join(report_lines(report)[:5]))
                lines.extend(file_summary(file) for file in report.files)
        finally:
            await db.close_database()
        return {'times': {name: times[name] for name in TIMED}, 'rss': peak_rss_mb(), 'lines': lines}

    config.load(demo=True, database_url=url)
    return asyncio.run(run())


def run(args: argparse.Namespace, folder: Path) -> None:
    total_started = time.perf_counter()
    generated = time.perf_counter()
    generate(folder, args.meters, date.today())
    rows = {name: sum(1 for _ in _reader(folder / f'{name}.csv')) for name in TIMED}
    print(
        f'SQLite {sqlite3.sqlite_version}; {rows["meters"]:,} meters, {rows["readings"]:,} readings; '
        f'rounds={args.rounds}; {os.cpu_count()} CPUs, load average {_load()}'
    )
    sizes = ', '.join(f'{name}.csv {(folder / f"{name}.csv").stat().st_size / 1e6:.0f} MB' for name in TIMED)
    print(f'  CSV files written in {time.perf_counter() - generated:.1f} s (not timed): {sizes}')
    raw_path, our_path = folder / 'raw.sqlite3', folder / 'portal.sqlite3'
    our_url = f'sqlite://{our_path}'
    raws, ours = [], []
    for index in range(args.rounds):
        _remove_database(raw_path)
        _remove_database(our_path)
        loaders = [(raw_load, str(raw_path)), (our_import, our_url)]
        results = {
            function.__name__: _in_fresh_process(function, str(folder), path)
            for function, path in (loaders[::-1] if index % 2 else loaders)  # alternate who goes first
        }
        raw, our = results['raw_load'], results['our_import']
        raws.append(raw)
        ours.append(our)
        steps = '  '.join(f'{kind} {raw["times"][kind]:.1f}/{our["times"][kind]:.1f} s' for kind in TIMED)
        print(f'  round {index + 1}: (raw/ours: {steps}); peak RSS raw {raw["rss"]:.0f} MB, ours {our["rss"]:.0f} MB')
    for line in ours[-1]['lines']:
        print(f'    {line}')
    total = sum(rows.values())
    raw_rate = statistics.median(total / sum(raw['times'].values()) for raw in raws)
    our_rate = statistics.median(total / sum(our['times'].values()) for our in ours)
    ratio = our_rate / raw_rate
    reading_ratio = statistics.median(
        raw['times']['readings'] / our['times']['readings'] for raw, our in zip(raws, ours, strict=True)
    )
    summary = [
        ('raw sqlite3 executemany, rows/s', f'{raw_rate:,.0f}', ''),
        ('import_files, rows/s', f'{our_rate:,.0f}', ''),
        ('ratio ours/raw', f'{ratio:.2f}', f'goal ≥ {RATIO_GOAL}  {mark(ratio >= RATIO_GOAL)}'),
        ('  readings.csv alone', f'{reading_ratio:.2f}', ''),
        (
            'peak RSS import_files / raw loader',
            f'{max(our["rss"] for our in ours):.0f} / {max(raw["rss"] for raw in raws):.0f} MB',
            '',
        ),
        ('whole run', f'{time.perf_counter() - total_started:.0f} s', ''),
    ]
    print(f'\nSummary (medians of the rounds; load average now {_load()})')
    for label, value, goal in summary:
        print(f'  {label:<44} {value:>22}   {goal}'.rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--meters', type=int, default=1_000_000, help='meters (default 1,000,000); readings: 12×')
    parser.add_argument('--rounds', type=int, default=1, help='alternating raw/ours imports (default 1)')
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix='bench-readings-'))
    try:
        config.load(demo=True, database_url=f'sqlite://{folder}/portal.sqlite3')
        run(args, folder)
    except Exception as error:  # a measurement: report, never fail the caller
        print(f'bench/readings_import.py: aborted: {type(error).__name__}: {error}', file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
