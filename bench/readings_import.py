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
Each loader runs in a freshly spawned process (bench/common.py's helpers), so each peak RSS is its own. The temporary
directory is deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.link import REGIONS, account_number  # noqa: E402
from services import config  # noqa: E402

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


def raw_load(folder: str, path: str) -> dict[str, Any]:
    """A careful raw loader: trusts the files, one transaction per file, indexes after loading."""
    source = Path(folder)
    connection = common.raw_database(path, RAW_SCHEMA)
    times: dict[str, float] = {}
    with common.timed(times, 'meters'):
        common.load_file(
            connection,
            'INSERT INTO meter (account, serial, zones, digits, decimals, ratio, installed, verify_by, smart, removed) '
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (
                (*row[:6], row[6] or None, row[7] or None, row[8] == 'True', row[9] or None)
                for row in common.read_rows(source / 'meters.csv')
            ),
            'CREATE UNIQUE INDEX meter_key ON meter (account, serial)',
        )
        meters = {(account, serial): meter_id for meter_id, account, serial in connection.execute(
            'SELECT id, account, serial FROM meter'
        )}  # fmt: skip
    with common.timed(times, 'readings'):
        common.load_file(
            connection,
            'INSERT INTO reading (meter_id, date, t1, t2, t3, source, status) VALUES (?, ?, ?, ?, ?, ?, ?)',
            (
                (meters[account, serial], day, t1, t2 or None, t3 or None, source, status)
                for account, serial, day, t1, t2, t3, source, status in common.read_rows(source / 'readings.csv')
            ),
            'CREATE INDEX reading_meter_date ON reading (meter_id, date)',
        )
    connection.close()
    return {'times': times, 'rss': common.peak_rss_mb()}


def run(args: argparse.Namespace, folder: Path) -> None:
    total_started = time.perf_counter()
    config.load(demo=True, database_url=f'sqlite://{folder}/portal.sqlite3')
    generated = time.perf_counter()
    generate(folder, args.meters, date.today())
    rows = {name: sum(1 for _ in common.read_rows(folder / f'{name}.csv')) for name in TIMED}
    print(
        f'SQLite {sqlite3.sqlite_version}; {rows["meters"]:,} meters, {rows["readings"]:,} readings; '
        f'rounds={args.rounds}; {os.cpu_count()} CPUs, load average {common.load_average()}'
    )
    common.print_written(folder, TIMED, generated)
    # ours takes the regions and accounts first, untimed: the meters and readings refer to them
    raws, ours = common.compare_imports(
        args.rounds, folder, raw_load, TIMED, untimed=('regions', 'accounts'), shown=TIMED
    )
    summary = [*common.import_rates(raws, ours, sum(rows.values()), 'readings'), *common.peak_rss(raws, ours)]
    common.print_summary(summary, total_started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--meters', type=int, default=1_000_000, help='meters (default 1,000,000); readings: 12×')
    parser.add_argument('--rounds', type=int, default=1, help='alternating raw/ours imports (default 1)')
    return common.run_bench('bench/readings_import.py', 'bench-readings-', parser, run)


if __name__ == '__main__':
    sys.exit(main())
