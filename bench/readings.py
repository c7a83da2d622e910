"""The operator's and the customer's side of meter readings at a big utility's size: the month's export for billing,
and the service work behind the meters page. SQLite.

    .venv/bin/python bench/readings.py [--readings N] [--rounds R] [--builds B]

A measurement, not a test: it always exits 0. Into a freshly migrated database it writes with plain sqlite3 (not
timed) N meters on N accounts (60 % two-zone, 30 % one-zone, 10 % three-zone), each with two month-end billing
readings before the period and one customer reading in it waiting for export (a tenth of the meters also with an
earlier reading the customer replaced, which must not go). Then, in the same run:
  export  raw: plain sqlite3 SELECT of the same rows (the same joins and filter) through csv.writer, then one UPDATE
          marking them exported; ours: services.readings.export.export_readings, what `python main.py
          readings-export` runs (batches pinned to the export id, the file renamed into place, marked at the end).
          The two alternate who goes first; the statuses are reset between runs (not timed). Goal: ours ≤ 60 s for
          500,000 readings, and its ratio to raw printed.
  page    services.readings.meters.meter_cards plus history.reading_history(months=24) of each meter, for an account
          with 3 meters (1, 2 and 3 zones) and 24 months of billing and customer readings, B times in a row in this
          big database: p50/p95 per page (goal p95 ≤ 50 ms).
The temporary directory is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sqlite3
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import load_average, mark, print_summary, run_bench  # noqa: E402
from services import config, db  # noqa: E402

EXPORT_GOAL_S = 60.0
PAGE_P95_GOAL_MS = 50.0
PAGE_ACCOUNT = '469999999999'
HISTORY_MONTHS = 24
CUSTOMER = 'customer'
#: the raw baseline's SELECT: what the export writes, in the same order
RAW_SELECT = (
    'SELECT a.number, m.serial, r.date, r.t1, r.t2, r.t3, r.submitted_at, r.channel FROM reading AS r '
    'JOIN meter AS m ON m.id = r.meter_id JOIN account AS a ON a.id = m.account_id '
    "WHERE r.source = 'customer' AND NOT r.superseded AND r.date >= ? AND r.date < ? AND r.status = 'submitted' "
    'ORDER BY r.id'
)


def month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def zones_of(index: int) -> int:
    return 1 if index % 10 < 3 else 3 if index % 10 == 9 else 2


def values(zones: int, base: int) -> tuple[str, str | None, str | None]:
    registers = [str(base + 1000 * zone) for zone in range(zones)] + [None] * (3 - zones)
    return registers[0], registers[1], registers[2]  # type: ignore[return-value]


def generate(path: Path, meters: int, period_start: date) -> int:
    """The bulk data with plain sqlite3; the number of customer readings the export must write."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute('BEGIN')
    connection.execute("INSERT INTO region (code, name) VALUES ('KRS', 'Курск')")
    region = connection.execute('SELECT id FROM region').fetchone()[0]
    connection.executemany(
        'INSERT INTO account (id, number, surname, address, region_id) VALUES (?, ?, ?, ?, ?)',
        ((i + 1, f'46{i:010d}', 'Семёнов', f'г. Курск, д. {i}', region) for i in range(meters)),
    )
    connection.executemany(
        'INSERT INTO meter (id, serial, zones, digits, decimals, ratio, smart, account_id) '
        'VALUES (?, ?, ?, 6, 1, 1, 0, ?)',
        ((i + 1, f'M{i:09d}', zones_of(i), i + 1) for i in range(meters)),
    )
    earlier = [month_start(period_start, 2) - timedelta(days=1), period_start - timedelta(days=1)]
    for number, day in enumerate(earlier):
        connection.executemany(
            'INSERT INTO reading (meter_id, date, t1, t2, t3, source, status, reason, channel, superseded) '
            "VALUES (?, ?, ?, ?, ?, 'billing', 'accepted', '', '', 0)",
            ((i + 1, day.isoformat(), *values(zones_of(i), 10_000 + 200 * number)) for i in range(meters)),
        )
    sent = datetime.combine(period_start.replace(day=20), datetime.min.time(), UTC)
    customer = (
        'INSERT INTO reading (meter_id, date, t1, t2, t3, source, status, reason, submitted_at, channel, superseded) '
        "VALUES (?, ?, ?, ?, ?, 'customer', 'submitted', '', ?, 'web', ?)"
    )
    connection.executemany(
        customer,
        (
            (i + 1, (period_start + timedelta(days=15)).isoformat(), *values(zones_of(i), 10_390), str(sent), 1)
            for i in range(0, meters, 10)
        ),
    )
    connection.executemany(
        customer,
        (
            (i + 1, (period_start + timedelta(days=19)).isoformat(), *values(zones_of(i), 10_400 + i % 50),
             str(sent + timedelta(seconds=i)), 0)
            for i in range(meters)
        ),
    )  # fmt: skip
    connection.execute('COMMIT')
    connection.close()
    return meters


def add_page_account(path: Path, today: date) -> None:
    """The meters page's account: 3 meters, a month-end billing reading and a customer reading every month for 24."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute('BEGIN')
    now = str(datetime.now(UTC))
    connection.execute(
        'INSERT INTO cabinet (login, login_key, password_hash, state, created_at, password_changed_at) '
        "VALUES ('bench', 'bench', 'not-used', 'active', ?, ?)",
        (now, now),
    )
    cabinet = connection.execute("SELECT id FROM cabinet WHERE login = 'bench'").fetchone()[0]
    connection.execute(
        'INSERT INTO account (number, surname, address, region_id) VALUES (?, ?, ?, 1)',
        (PAGE_ACCOUNT, 'Семёнов', 'г. Курск, ул. Ленина, д. 1'),
    )
    account = connection.execute('SELECT id FROM account WHERE number = ?', (PAGE_ACCOUNT,)).fetchone()[0]
    connection.execute(
        "INSERT INTO link (proof, linked_at, account_id, cabinet_id) VALUES ('payment', ?, ?, ?)",
        (now, account, cabinet),
    )
    for zones in (1, 2, 3):
        connection.execute(
            'INSERT INTO meter (serial, zones, digits, decimals, ratio, smart, account_id) '
            'VALUES (?, ?, 6, 1, 1, 0, ?)',
            (f'PAGE-{zones}', zones, account),
        )
        meter = connection.execute('SELECT id FROM meter WHERE serial = ?', (f'PAGE-{zones}',)).fetchone()[0]
        for back in range(HISTORY_MONTHS, 0, -1):
            end = month_start(today, back - 1) - timedelta(days=1)
            base = 20_000 + 300 * (HISTORY_MONTHS - back)
            connection.execute(
                'INSERT INTO reading (meter_id, date, t1, t2, t3, source, status, reason, channel, superseded) '
                "VALUES (?, ?, ?, ?, ?, 'billing', 'accepted', '', '', 0)",
                (meter, end.isoformat(), *values(zones, base)),
            )
            connection.execute(
                'INSERT INTO reading (meter_id, date, t1, t2, t3, source, status, reason, submitted_at, channel, '
                "superseded) VALUES (?, ?, ?, ?, ?, 'customer', 'accepted', '', ?, 'web', 0)",
                (meter, (end - timedelta(days=8)).isoformat(), *values(zones, base - 100), now),
            )
    connection.execute('COMMIT')
    connection.close()


def reset(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(
        "UPDATE reading SET status = 'submitted', export_id = NULL WHERE source = 'customer' AND status = 'exported'"
    )
    connection.close()


def raw_export(path: Path, period_start: date, out: Path) -> tuple[float, int]:
    """The same job by hand: one SELECT through csv.writer, then one UPDATE."""
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    after = month_start(period_start, -1)
    bounds = (period_start.isoformat(), after.isoformat())
    with out.open('w', encoding='utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(('account', 'serial', 'date', 't1', 't2', 't3', 'submitted_at', 'channel'))
        cursor = connection.execute(RAW_SELECT, bounds)
        rows = 0
        while batch := cursor.fetchmany(10_000):
            writer.writerows(batch)
            rows += len(batch)
    connection.execute(
        "UPDATE reading SET status = 'exported' WHERE source = 'customer' AND NOT superseded AND date >= ? "
        "AND date < ? AND status = 'submitted'",
        bounds,
    )
    connection.close()
    return time.perf_counter() - started, rows


async def our_export(period: str, out: Path) -> tuple[float, int]:
    from services.readings.export import export_readings

    started = time.perf_counter()
    result = await export_readings(period, out=out)
    return time.perf_counter() - started, result.rows


async def page_builds(builds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds per page build: on a shared box the wall time waits for the CPU as well."""
    from models.cabinet import Cabinet
    from services.readings import history, meters

    cabinet = await Cabinet.get(login='bench')
    walls, cpus = [], []
    for _ in range(builds):
        started, cpu = time.perf_counter(), time.process_time()
        cards = await meters.meter_cards(cabinet, PAGE_ACCOUNT)
        for card in cards:
            await history.reading_history(cabinet, PAGE_ACCOUNT, card.serial, months=HISTORY_MONTHS)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    if len(cards) != 3:
        raise RuntimeError(f'the page account has {len(cards)} meters, not 3')
    return walls, cpus


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(args: argparse.Namespace, path: Path, folder: Path, period: str, start: date) -> dict[str, Any]:
    raws, ours = [], []
    for index in range(args.rounds):
        order = ('raw', 'ours') if index % 2 == 0 else ('ours', 'raw')
        for who in order:
            reset(path)
            if who == 'raw':
                raws.append(raw_export(path, start, folder / 'raw.csv'))
            else:
                await db.open_database(f'sqlite://{path}')
                try:
                    ours.append(await our_export(period, folder / 'ours.csv'))
                finally:
                    await db.close_database()
            print(f'  round {index + 1} {who}: {(raws if who == "raw" else ours)[-1][0]:.1f} s')
    await db.open_database(f'sqlite://{path}')
    try:
        pages = await page_builds(args.builds)
    finally:
        await db.close_database()
    return {'raw': raws, 'ours': ours, 'pages': pages}


def run(args: argparse.Namespace, folder: Path) -> None:
    total_started = time.perf_counter()
    path = folder / 'portal.sqlite3'
    config.load(demo=True, database_url=f'sqlite://{path}')
    asyncio.run(db.migrate_database(f'sqlite://{path}'))
    today = date.today()
    start = month_start(today, 1)
    period = f'{start:%Y-%m}'
    generated = time.perf_counter()
    expected = generate(path, args.readings, start)
    add_page_account(path, today)
    size = path.stat().st_size / 1e6
    print(
        f'SQLite {sqlite3.sqlite_version}; {args.readings:,} meters, {expected:,} customer readings of {period} to '
        f'export among {args.readings * 3 + args.readings // 10 + 144:,} readings ({size:.0f} MB); '
        f'{os.cpu_count()} CPUs, load average {load_average()}'
    )
    print(f'  data written in {time.perf_counter() - generated:.1f} s (not timed)')
    found = asyncio.run(measure(args, path, folder, period, start))
    raw_time = statistics.median(seconds for seconds, _ in found['raw'])
    our_time = statistics.median(seconds for seconds, _ in found['ours'])
    rows = {rows for _, rows in found['raw'] + found['ours']}
    same = (folder / 'raw.csv').read_bytes().count(b'\n') == (folder / 'ours.csv').read_bytes().count(b'\n')
    walls, cpus = found['pages']
    p50, p95 = (percentile(walls, share) * 1000 for share in (0.5, 0.95))
    cpu50, cpu95 = (percentile(cpus, share) * 1000 for share in (0.5, 0.95))
    page_goal = f'goal ≤ {PAGE_P95_GOAL_MS:.0f} ms  {mark(p95 <= PAGE_P95_GOAL_MS)}'
    summary = [
        ('rows written (raw and ours, every round)', ', '.join(f'{count:,}' for count in sorted(rows)),
         mark(rows == {expected} and same)),
        ('raw sqlite3 SELECT + csv.writer + UPDATE', f'{raw_time:.1f} s', ''),
        ('export_readings', f'{our_time:.1f} s', f'goal ≤ {EXPORT_GOAL_S:.0f} s  {mark(our_time <= EXPORT_GOAL_S)}'),
        ('ratio raw/ours (time)', f'{raw_time / our_time:.2f}', ''),
        (f'meters page, 3 meters × {HISTORY_MONTHS} months: p50', f'{p50:.1f} ms', ''),
        (f'  p95 of {args.builds}', f'{p95:.1f} ms', page_goal),
        ('  CPU of this process per page: p50 / p95', f'{cpu50:.1f} / {cpu95:.1f} ms', ''),
    ]  # fmt: skip
    print_summary(summary, total_started, widths=(48, 14))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--readings', type=int, default=500_000, help='customer readings to export (default 500,000)')
    parser.add_argument('--rounds', type=int, default=1, help='alternating raw/ours exports (default 1)')
    parser.add_argument('--builds', type=int, default=200, help='meters page builds (default 200)')
    return run_bench('bench/readings.py', 'bench-readings-export-', parser, run)


if __name__ == '__main__':
    sys.exit(main())
