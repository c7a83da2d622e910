"""Billing import and the payment-sum proof at a big utility's size: 1 million accounts, 6 million payments, SQLite.

    .venv/bin/python bench/link.py [--accounts N] [--rounds R] [--proofs P]

A measurement, not a test: it always exits 0. It writes regions.csv, accounts.csv (N accounts in 5 regions) and
payments.csv (6 × N payments over the last 12 months, amounts with kopecks) from a fixed seed into a temporary
directory (not timed), then in the same run:
  raw    plain sqlite3 loads the same CSVs into equivalent tables: csv.reader, executemany, one transaction per file,
         the unique and lookup indexes created after loading, sqlite3's defaults otherwise (no foreign-key checks);
  ours   services.billing.imports.import_files into a fresh migrated database, what `python main.py import` runs
         (checks every row, idempotent upserts, foreign keys on); goal: rows/s ≥ 0.5 × raw;
  proof  services.accounts.linking.proof_matches for P random accounts (default 2000), half with a real payment sum
         of the last 6 months, half with a wrong one, each call timed; goal: p95 ≤ 5 ms.
Every loader runs in a freshly spawned process, so each peak RSS is that loader's own. With --rounds R the loaders
alternate R times and the summary takes medians. The temporary directory is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services import clock, config, db  # noqa: E402

RATIO_GOAL = 0.5
P95_GOAL_MS = 5.0
SEED = 20261122
PAYMENTS_PER_ACCOUNT = 6
#: (code, name, account number prefix, lowest postal index)
REGIONS = (
    ('KRS', 'Курск', '46', 305000),
    ('MRM', 'Мурманск', '51', 183001),
    ('SML', 'Смоленск', '67', 214000),
    ('TVR', 'Тверь', '69', 170000),
    ('NNV', 'Нижний Новгород', '52', 603000),
)
SURNAMES = ('Семёнов', 'Иванова', 'Кузнецов', 'Смирнова', 'Попов', 'Васильева', 'Петров', 'Соколова', 'Фёдорова')
STREETS = ('ул. Ленина', 'ул. Радищева', 'пр-т Победы', 'ул. Советская', 'ул. Кирова', 'ул. Большая Покровская')
FILES = ('regions.csv', 'accounts.csv', 'payments.csv')

RAW_SCHEMA = """
CREATE TABLE region (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, code VARCHAR(32) NOT NULL,
    name VARCHAR(200) NOT NULL);
CREATE TABLE account (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, number VARCHAR(32) NOT NULL,
    surname VARCHAR(200) NOT NULL, address TEXT NOT NULL, email VARCHAR(254),
    region_id INT NOT NULL REFERENCES region (id) ON DELETE CASCADE);
CREATE TABLE payment (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, date DATE NOT NULL, amount VARCHAR(40) NOT NULL,
    seq SMALLINT NOT NULL, account_id INT NOT NULL REFERENCES account (id) ON DELETE CASCADE);
"""


def mark(ok: bool) -> str:
    return 'PASS' if ok else 'FAIL'


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def account_number(index: int) -> str:
    return f'{REGIONS[index % len(REGIONS)][2]}{index:010d}'


# --- the files ----------------------------------------------------------------------------------------------------


def generate(folder: Path, accounts: int, today: date) -> None:
    """The three CSVs, the same for the same N and day.

    Each account pays in 6 consecutive 30-day slots of the last 12 (where the run starts is random per account), so
    about half of the accounts have a payment in the last 6 months. Payments come slot by slot, accounts shuffled
    within a slot, as a billing system's payment journal would list them.
    """
    rng = random.Random(SEED)
    with (folder / 'regions.csv').open('w', encoding='utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(('code', 'name'))
        writer.writerows((code, name) for code, name, _, _ in REGIONS)
    with (folder / 'accounts.csv').open('w', encoding='utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(('number', 'region', 'surname', 'address', 'email'))
        for index in range(accounts):
            code, city, _, postal = REGIONS[index % len(REGIONS)]
            address = (
                f'{postal + rng.randrange(40)}, г. {city}, {rng.choice(STREETS)}, '
                f'д. {rng.randrange(1, 120)}, кв. {rng.randrange(1, 300)}'
            )
            email = f'client{index}@example.com' if index % 3 == 0 else ''
            writer.writerow((account_number(index), code, rng.choice(SURNAMES), address, email))
    first_slot = bytes(rng.randrange(12) for _ in range(accounts))
    order = list(range(accounts))
    with (folder / 'payments.csv').open('w', encoding='utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(('account', 'date', 'amount'))
        for slot in range(12):
            rng.shuffle(order)
            newest = today - timedelta(days=(11 - slot) * 30)
            days = [(newest - timedelta(days=back)).isoformat() for back in range(30)]
            for index in order:
                if (slot - first_slot[index]) % 12 < PAYMENTS_PER_ACCOUNT:
                    kopecks = rng.randrange(10_000, 1_000_000)
                    writer.writerow(
                        (account_number(index), days[rng.randrange(30)], f'{kopecks // 100}.{kopecks % 100:02d}')
                    )


# --- (a) raw sqlite3 ----------------------------------------------------------------------------------------------


def _reader(path: Path) -> Any:
    file = path.open(encoding='utf-8', newline='')
    rows = csv.reader(file)
    next(rows)
    return rows


def raw_load(folder: str, path: str) -> dict[str, Any]:
    """A careful raw loader: trusts the file, one transaction per file, indexes after loading."""
    source = Path(folder)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute('PRAGMA journal_mode=WAL')  # as the portal's database
    connection.executescript(RAW_SCHEMA)
    times: dict[str, float] = {}
    started = time.perf_counter()
    connection.execute('BEGIN')
    connection.executemany('INSERT INTO region (code, name) VALUES (?, ?)', _reader(source / 'regions.csv'))
    connection.execute('CREATE UNIQUE INDEX region_code ON region (code)')
    connection.execute('COMMIT')
    regions = dict(connection.execute('SELECT code, id FROM region'))
    times['regions'] = time.perf_counter() - started

    started = time.perf_counter()
    connection.execute('BEGIN')
    connection.executemany(
        'INSERT INTO account (number, region_id, surname, address, email) VALUES (?, ?, ?, ?, ?)',
        (
            (number, regions[region], surname, address, email or None)
            for number, region, surname, address, email in _reader(source / 'accounts.csv')
        ),
    )
    connection.execute('CREATE UNIQUE INDEX account_number ON account (number)')
    connection.execute('COMMIT')
    accounts = dict(connection.execute('SELECT number, id FROM account'))
    times['accounts'] = time.perf_counter() - started

    started = time.perf_counter()
    connection.execute('BEGIN')
    # the generated files repeat no (account, date, amount): seq is 1 throughout
    connection.executemany(
        'INSERT INTO payment (account_id, date, amount, seq) VALUES (?, ?, ?, 1)',
        ((accounts[number], day, amount) for number, day, amount in _reader(source / 'payments.csv')),
    )
    connection.execute('CREATE UNIQUE INDEX payment_key ON payment (account_id, date, amount, seq)')
    connection.execute('CREATE INDEX payment_account_date ON payment (account_id, date)')
    connection.execute('COMMIT')
    times['payments'] = time.perf_counter() - started
    connection.close()
    return {'times': times, 'rss': peak_rss_mb()}


# --- (b) our import -----------------------------------------------------------------------------------------------


def our_import(folder: str, url: str) -> dict[str, Any]:
    """services.billing.imports.import_files, a file at a time to time each (it reads the same as one call)."""
    from cli.imports import file_summary, report_lines
    from services.billing.imports import import_files

    async def run() -> dict[str, Any]:
        await db.open_database(url)
        times: dict[str, float] = {}
        lines: list[str] = []
        try:
            for name in FILES:
                started = time.perf_counter()
                report = await import_files([Path(folder) / name])
                times[name.removesuffix('.csv')] = time.perf_counter() - started
                if report.exit_code:
                    raise RuntimeError('; '.join(report_lines(report)))
                lines.append(file_summary(report.files[0]))
        finally:
            await db.close_database()
        return {'times': times, 'rss': peak_rss_mb(), 'lines': lines}

    config.load(demo=True, database_url=url)
    return asyncio.run(run())


# --- (c) the proof ------------------------------------------------------------------------------------------------


def proof_checks(url: str, accounts: int, proofs: int) -> dict[str, Any]:
    """Time proof_matches for accounts picked at random: half with a real recent payment sum, half with a wrong one."""
    from models.billing import Account, Payment
    from services.accounts.linking import PAYMENT_MONTHS, proof_matches

    async def run() -> dict[str, Any]:
        await db.open_database(url)
        try:
            rng = random.Random(SEED + 1)
            # a payment certainly inside the window whatever the calendar: 5 whole months rather than 6
            recent = clock.today() - timedelta(days=31 * (PAYMENT_MONTHS - 1))
            cases: list[tuple[Account, str, bool]] = []
            for index in rng.sample(range(accounts), min(accounts, proofs * 3)):
                account = await Account.get(number=account_number(index))
                if len(cases) % 2 == 0:
                    amount = (
                        await Payment.filter(account_id=account.id, date__gte=recent)
                        .first()
                        .values_list('amount', flat=True)
                    )
                    if amount is None:  # this account paid only earlier in the year
                        continue
                    cases.append((account, str(amount), True))
                else:  # the files' amounts start at 100.00
                    cases.append((account, f'{rng.randrange(1, 100)}.{rng.randrange(100):02d}', False))
                if len(cases) == proofs:
                    break
            rng.shuffle(cases)
            for account, proof, _ in cases[:50]:  # warm-up: connection, statement cache
                await proof_matches(account, proof)
            timings, wrong = [], 0
            for account, proof, expected in cases:
                started = time.perf_counter()
                matches = await proof_matches(account, proof)
                timings.append((time.perf_counter() - started) * 1000)
                wrong += matches != expected
        finally:
            await db.close_database()
        return {'timings': timings, 'wrong': wrong}

    config.load(demo=True, database_url=url)
    return asyncio.run(run())


# --- the run ------------------------------------------------------------------------------------------------------


def _load() -> str:
    return ' '.join(f'{value:.1f}' for value in os.getloadavg())


def _in_fresh_process(function: Any, *args: Any) -> Any:
    # spawn, not fork: a forked child would start with this process's memory and report it as its own peak
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn')) as pool:
        return pool.submit(function, *args).result()


def _remove_database(path: Path) -> None:
    for suffix in ('', '-wal', '-shm'):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    total_started = time.perf_counter()
    accounts, payments = args.accounts, args.accounts * PAYMENTS_PER_ACCOUNT
    rows = len(REGIONS) + accounts + payments
    print(
        f'SQLite {sqlite3.sqlite_version}; {accounts:,} accounts, {payments:,} payments, {rows:,} rows; '
        f'rounds={args.rounds}; {os.cpu_count()} CPUs, load average {_load()}'
    )
    started = time.perf_counter()
    generate(folder, accounts, clock.today())
    sizes = ', '.join(f'{name} {(folder / name).stat().st_size / 1e6:.0f} MB' for name in FILES)
    print(f'  CSV files written in {time.perf_counter() - started:.1f} s (not timed): {sizes}')

    raw_path, our_path = folder / 'raw.sqlite3', folder / 'portal.sqlite3'
    our_url = f'sqlite://{our_path}'
    raws, ours = [], []
    for index in range(args.rounds):
        _remove_database(raw_path)
        _remove_database(our_path)
        if index % 2:  # alternate which goes first, so drift in machine load hits both alike
            our = _in_fresh_process(our_import, str(folder), our_url)
            raw = _in_fresh_process(raw_load, str(folder), str(raw_path))
        else:
            raw = _in_fresh_process(raw_load, str(folder), str(raw_path))
            our = _in_fresh_process(our_import, str(folder), our_url)
        raws.append(raw)
        ours.append(our)
        raw_seconds, our_seconds = sum(raw['times'].values()), sum(our['times'].values())
        steps = '  '.join(
            f'{kind} {raw["times"][kind]:.1f}/{our["times"][kind]:.1f} s' for kind in ('accounts', 'payments')
        )
        print(
            f'  round {index + 1}: raw {raw_seconds:.1f} s, ours {our_seconds:.1f} s, '
            f'ratio {raw_seconds / our_seconds:.2f}  (raw/ours: {steps}); '
            f'peak RSS raw {raw["rss"]:.0f} MB, ours {our["rss"]:.0f} MB'
        )
    for line in ours[-1]['lines']:
        print(f'    {line}')

    proof = _in_fresh_process(proof_checks, our_url, accounts, args.proofs)
    timings = proof['timings']
    cuts = statistics.quantiles(timings, n=100, method='inclusive')
    p50, p95, p99 = cuts[49], cuts[94], cuts[98]

    raw_rate = statistics.median(rows / sum(raw['times'].values()) for raw in raws)
    our_rate = statistics.median(rows / sum(our['times'].values()) for our in ours)
    ratio = our_rate / raw_rate
    payment_ratio = statistics.median(
        raw['times']['payments'] / our['times']['payments'] for raw, our in zip(raws, ours, strict=True)
    )
    summary = [
        ('raw sqlite3 executemany, rows/s', f'{raw_rate:,.0f}', ''),
        ('import_files, rows/s', f'{our_rate:,.0f}', ''),
        ('ratio ours/raw', f'{ratio:.2f}', f'goal ≥ {RATIO_GOAL}  {mark(ratio >= RATIO_GOAL)}'),
        ('  payments.csv alone', f'{payment_ratio:.2f}', ''),
        (
            f'proof_matches p50 / p95 / p99 ({len(timings)} calls)',
            f'{p50:.2f} / {p95:.2f} / {p99:.2f} ms',
            f'goal p95 ≤ {P95_GOAL_MS:.0f} ms  {mark(p95 <= P95_GOAL_MS)}',
        ),
        ('  answers as expected', f'{len(timings) - proof["wrong"]}/{len(timings)}', mark(not proof['wrong'])),
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
    parser.add_argument('--accounts', type=int, default=1_000_000, help='accounts (default 1,000,000); payments: 6×')
    parser.add_argument('--rounds', type=int, default=1, help='alternating raw/ours imports (default 1)')
    parser.add_argument('--proofs', type=int, default=2000, help='proof checks timed (default 2000)')
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix='bench-link-'))
    try:
        config.load(demo=True, database_url=f'sqlite://{folder}/portal.sqlite3')  # clock.today() reads the timezone
        run(args, folder)
    except Exception as error:  # a measurement: report, never fail the caller
        print(f'bench/link.py: aborted: {type(error).__name__}: {error}', file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
