"""What the benchmarks share: the raw sqlite3 loader's steps, our import timed file by file, each loader in a freshly
spawned process, the summary table and the run around a measurement.

Scripts import it as bench.common after putting the repository root on sys.path. The portal's modules are imported
where they are used: bench/page_objects.py sets the portal's environment before they load.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import multiprocessing
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

RATIO_GOAL = 0.5  # our import's rows/s against the raw loader's
Summary = list[tuple[str, str, str]]  # label, value, goal


def mark(ok: bool) -> str:
    return 'PASS' if ok else 'FAIL'


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load_average() -> str:
    return ' '.join(f'{value:.1f}' for value in os.getloadavg())


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    # spawn, not fork: a forked child would start with this process's memory and report it as its own peak
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn')) as pool:
        return pool.submit(function, *args).result()


def remove_database(path: Path) -> None:
    for suffix in ('', '-wal', '-shm'):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@contextmanager
def timed(times: dict[str, float], name: str) -> Iterator[None]:
    """Puts the block's wall seconds into times[name]."""
    started = time.perf_counter()
    yield
    times[name] = time.perf_counter() - started


# --- the raw sqlite3 loaders --------------------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[list[str]]:
    """A CSV file's rows after its header."""
    rows = csv.reader(path.open(encoding='utf-8', newline=''))
    next(rows)
    return rows


def raw_database(path: str, schema: str) -> sqlite3.Connection:
    """A new database for a raw loader, which begins and commits its own transactions."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute('PRAGMA journal_mode=WAL')  # as the portal's database
    connection.executescript(schema)
    return connection


def load_file(connection: sqlite3.Connection, insert: str, rows: Iterable[Sequence[Any]], *indexes: str) -> None:
    """One file the careful raw way: one transaction, executemany, the indexes created after the rows."""
    connection.execute('BEGIN')
    connection.executemany(insert, rows)
    for index in indexes:
        connection.execute(index)
    connection.execute('COMMIT')


# --- our import ---------------------------------------------------------------------------------------------------


def our_import(folder: str, url: str, names: Sequence[str], untimed: Sequence[str] = ()) -> dict[str, Any]:
    """services.billing.imports.import_files (what `python main.py import` runs) into a fresh migrated database: the
    untimed files first in one call, then each of `names` alone to time it (it reads the same as one call)."""
    from cli.imports import file_summary, report_lines
    from services import config, db
    from services.billing.imports import import_files

    def summaries(report: Any) -> list[str]:
        if report.exit_code:
            raise RuntimeError('; '.join(report_lines(report)[:5]))
        return [file_summary(file) for file in report.files]

    async def run() -> dict[str, Any]:
        await db.open_database(url)
        times: dict[str, float] = {}
        lines: list[str] = []
        try:
            if untimed:
                lines += summaries(await import_files([Path(folder) / f'{name}.csv' for name in untimed]))
            for name in names:
                with timed(times, name):
                    report = await import_files([Path(folder) / f'{name}.csv'])
                lines += summaries(report)
        finally:
            await db.close_database()
        return {'times': times, 'rss': peak_rss_mb(), 'lines': lines}

    config.load(demo=True, database_url=url)
    return asyncio.run(run())


# --- raw against ours ---------------------------------------------------------------------------------------------


def print_written(folder: Path, names: Iterable[str], started: float) -> None:
    sizes = ', '.join(f'{name}.csv {(folder / f"{name}.csv").stat().st_size / 1e6:.0f} MB' for name in names)
    print(f'  CSV files written in {time.perf_counter() - started:.1f} s (not timed): {sizes}')


def compare_imports(
    rounds: int,
    folder: Path,
    raw_load: Callable[[str, str], dict[str, Any]],
    names: Sequence[str],
    *,
    untimed: Sequence[str] = (),
    shown: Sequence[str],
    totals: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """raw_load(folder, path) and our_import of the CSVs in folder, each round on fresh databases, each loader in a
    fresh process; prints each round (the times of the `shown` files; with `totals` the whole times and their ratio
    first) and our import's file summaries of the last. The raw and our results of every round."""
    raw_path, our_path = folder / 'raw.sqlite3', folder / 'portal.sqlite3'
    raw_loader = partial(raw_load, str(folder), str(raw_path))
    our_loader = partial(our_import, str(folder), f'sqlite://{our_path}', names, untimed)
    raws, ours = [], []
    for index in range(rounds):
        remove_database(raw_path)
        remove_database(our_path)
        if index % 2:  # alternate which goes first, so drift in machine load hits both alike
            our = in_fresh_process(our_loader)
            raw = in_fresh_process(raw_loader)
        else:
            raw = in_fresh_process(raw_loader)
            our = in_fresh_process(our_loader)
        raws.append(raw)
        ours.append(our)
        steps = '  '.join(f'{name} {raw["times"][name]:.1f}/{our["times"][name]:.1f} s' for name in shown)
        figures = f'(raw/ours: {steps}); peak RSS raw {raw["rss"]:.0f} MB, ours {our["rss"]:.0f} MB'
        if totals:
            raw_seconds, our_seconds = sum(raw['times'].values()), sum(our['times'].values())
            ratio = raw_seconds / our_seconds
            figures = f'raw {raw_seconds:.1f} s, ours {our_seconds:.1f} s, ratio {ratio:.2f}  {figures}'
        print(f'  round {index + 1}: {figures}')
    for line in ours[-1]['lines']:
        print(f'    {line}')
    return raws, ours


def import_rates(raws: list[dict[str, Any]], ours: list[dict[str, Any]], rows: int, alone: str) -> Summary:
    """The summary's rows/s of both (medians of the rounds), their ratio, and the ratio of the `alone` file alone."""
    raw_rate = statistics.median(rows / sum(raw['times'].values()) for raw in raws)
    our_rate = statistics.median(rows / sum(our['times'].values()) for our in ours)
    ratio = our_rate / raw_rate
    alone_ratio = statistics.median(
        raw['times'][alone] / our['times'][alone] for raw, our in zip(raws, ours, strict=True)
    )
    return [
        ('raw sqlite3 executemany, rows/s', f'{raw_rate:,.0f}', ''),
        ('import_files, rows/s', f'{our_rate:,.0f}', ''),
        ('ratio ours/raw', f'{ratio:.2f}', f'goal ≥ {RATIO_GOAL}  {mark(ratio >= RATIO_GOAL)}'),
        (f'  {alone}.csv alone', f'{alone_ratio:.2f}', ''),
    ]


def peak_rss(raws: list[dict[str, Any]], ours: list[dict[str, Any]]) -> Summary:
    maxima = f'{max(our["rss"] for our in ours):.0f} / {max(raw["rss"] for raw in raws):.0f} MB'
    return [('peak RSS import_files / raw loader', maxima, '')]


# --- the run ------------------------------------------------------------------------------------------------------


def print_summary(summary: Summary, started: float, widths: tuple[int, int] = (44, 22)) -> None:
    """The summary table, the whole run's time (since `started`) last."""
    summary = [*summary, ('whole run', f'{time.perf_counter() - started:.0f} s', '')]
    label_width, value_width = widths
    print(f'\nSummary (medians of the rounds; load average now {load_average()})')
    for label, value, goal in summary:
        print(f'  {label:<{label_width}} {value:>{value_width}}   {goal}'.rstrip())


def run_bench(
    script: str,
    prefix: str,
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace, Path], None],
    *,
    trace: bool = False,
) -> int:
    """run(the parsed options, folder) in a temporary folder deleted afterwards. A measurement: it reports a failure
    (with `trace` its traceback as well) and never fails the caller, so the exit status is always 0."""
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        run(args, folder)
    except Exception as error:
        if trace:
            traceback.print_exc()
        print(f'{script}: aborted: {type(error).__name__}: {error}', file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0
