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
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from services import clock, config, db  # noqa: E402

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
#: the CSV files (NAME.csv), in the order they load
FILES = ('regions', 'accounts', 'payments')

RAW_SCHEMA = """
CREATE TABLE region (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, code VARCHAR(32) NOT NULL,
    name VARCHAR(200) NOT NULL);
CREATE TABLE account (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, number VARCHAR(32) NOT NULL,
    surname VARCHAR(200) NOT NULL, address TEXT NOT NULL, email VARCHAR(254),
    region_id INT NOT NULL REFERENCES region (id) ON DELETE CASCADE);
CREATE TABLE payment (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, date DATE NOT NULL, amount VARCHAR(40) NOT NULL,
    seq SMALLINT NOT NULL, account_id INT NOT NULL REFERENCES account (id) ON DELETE CASCADE);
"""


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


def raw_load(folder: str, path: str) -> dict[str, Any]:
    """A careful raw loader: trusts the file, one transaction per file, indexes after loading."""
    source = Path(folder)
    connection = common.raw_database(path, RAW_SCHEMA)
    times: dict[str, float] = {}
    with common.timed(times, 'regions'):
        common.load_file(
            connection,
            'INSERT INTO region (code, name) VALUES (?, ?)',
            common.read_rows(source / 'regions.csv'),
            'CREATE UNIQUE INDEX region_code ON region (code)',
        )
        regions = dict(connection.execute('SELECT code, id FROM region'))
    with common.timed(times, 'accounts'):
        common.load_file(
            connection,
            'INSERT INTO account (number, region_id, surname, address, email) VALUES (?, ?, ?, ?, ?)',
            (
                (number, regions[region], surname, address, email or None)
                for number, region, surname, address, email in common.read_rows(source / 'accounts.csv')
            ),
            'CREATE UNIQUE INDEX account_number ON account (number)',
        )
        accounts = dict(connection.execute('SELECT number, id FROM account'))
    with common.timed(times, 'payments'):
        # the generated files repeat no (account, date, amount): seq is 1 throughout
        common.load_file(
            connection,
            'INSERT INTO payment (account_id, date, amount, seq) VALUES (?, ?, ?, 1)',
            ((accounts[number], day, amount) for number, day, amount in common.read_rows(source / 'payments.csv')),
            'CREATE UNIQUE INDEX payment_key ON payment (account_id, date, amount, seq)',
            'CREATE INDEX payment_account_date ON payment (account_id, date)',
        )
    connection.close()
    return {'times': times, 'rss': common.peak_rss_mb()}


# --- (b) the proof ------------------------------------------------------------------------------------------------


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


def run(args: argparse.Namespace, folder: Path) -> None:
    total_started = time.perf_counter()
    our_url = f'sqlite://{folder}/portal.sqlite3'  # where compare_imports leaves our import
    config.load(demo=True, database_url=our_url)  # clock.today() reads the timezone
    accounts, payments = args.accounts, args.accounts * PAYMENTS_PER_ACCOUNT
    rows = len(REGIONS) + accounts + payments
    print(
        f'SQLite {sqlite3.sqlite_version}; {accounts:,} accounts, {payments:,} payments, {rows:,} rows; '
        f'rounds={args.rounds}; {os.cpu_count()} CPUs, load average {common.load_average()}'
    )
    started = time.perf_counter()
    generate(folder, accounts, clock.today())
    common.print_written(folder, FILES, started)

    raws, ours = common.compare_imports(
        args.rounds, folder, raw_load, FILES, shown=('accounts', 'payments'), totals=True
    )
    proof = common.in_fresh_process(proof_checks, our_url, accounts, args.proofs)
    timings = proof['timings']
    cuts = statistics.quantiles(timings, n=100, method='inclusive')
    p50, p95, p99 = cuts[49], cuts[94], cuts[98]
    summary = [
        *common.import_rates(raws, ours, rows, 'payments'),
        (
            f'proof_matches p50 / p95 / p99 ({len(timings)} calls)',
            f'{p50:.2f} / {p95:.2f} / {p99:.2f} ms',
            f'goal p95 ≤ {P95_GOAL_MS:.0f} ms  {common.mark(p95 <= P95_GOAL_MS)}',
        ),
        ('  answers as expected', f'{len(timings) - proof["wrong"]}/{len(timings)}', common.mark(not proof['wrong'])),
        *common.peak_rss(raws, ours),
    ]
    common.print_summary(summary, total_started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--accounts', type=int, default=1_000_000, help='accounts (default 1,000,000); payments: 6×')
    parser.add_argument('--rounds', type=int, default=1, help='alternating raw/ours imports (default 1)')
    parser.add_argument('--proofs', type=int, default=2000, help='proof checks timed (default 2000)')
    return common.run_bench('bench/link.py', 'bench-link-', parser, run)


if __name__ == '__main__':
    sys.exit(main())
