"""The Freezer: survivors of a young collection are frozen, closed pages are counted towards one thaw per turnover."""

from __future__ import annotations

import asyncio
import gc

import pytest

from services import gc_runtime, metrics
from services.gc_runtime import THAW_MIN, Freezer


class Page:
    """Stands for an open page's objects: a reference cycle, as NiceGUI's elements leave some."""

    def __init__(self) -> None:
        self.me = self


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_survivors_are_frozen_after_a_young_collection_and_a_turnover_thaws_them():
    freezer = Freezer()
    try:
        freezer.start()
        pages = [Page() for _ in range(100)]
        assert sum(type(thing) is Page for thing in gc.get_objects()) == 100
        gc.collect(1)  # a young collection: the pages survive it
        await settle()
        # frozen: in no generation a collection walks (gc.get_objects lists those), still alive and tracked
        assert not any(type(thing) is Page for thing in gc.get_objects())
        assert all(gc.is_tracked(page) for page in pages)

        # the pages close; their cycles stay frozen until as many pages closed as THAW_MIN
        del pages
        for _ in range(THAW_MIN - 1):
            freezer.page_closed(open_pages=10)
        gc.collect(1)
        await settle()
        assert any(type(thing) is Page for thing in gc.get_objects()) is False  # frozen: not even listed
        freezer.page_closed(open_pages=10)
        gc.collect(1)
        await settle()
        gc.unfreeze()
        assert not [thing for thing in gc.get_objects() if type(thing) is Page]  # the thaw collected them
    finally:
        freezer.stop()
        gc.unfreeze()


def test_page_closed_is_harmless_before_the_server_tunes_the_collector():
    gc_runtime.page_closed(open_pages=3)  # the `user` fixture's pages close without a Freezer


@pytest.mark.filterwarnings('error::pytest.PytestUnraisableExceptionWarning')
def test_a_collection_after_the_event_loop_closed_raises_nothing():
    freezer = Freezer()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(asyncio.sleep(0))
    freezer._loop = loop  # as start() would have it, and the app's loop is gone without a shutdown
    loop.close()
    try:
        metrics.watch_gc(freezer._collected)
        gc.collect(1)  # the collector reports to the freezer: an exception here would be raised in any code
        gc.collect(2)
    finally:
        freezer.stop()


def test_a_slow_pause_is_logged_with_the_cpu_its_thread_used_and_the_bench_reads_the_line(caplog):
    from bench.capacity import GC_LINE

    pauses = gc_runtime.PauseLog()
    pauses._pause(1, 0.4651, 2401, 0.0802)  # what the collector's hook tells it (services/metrics.py)
    pauses._pause(0, 0.005, 10, 0.005)  # under SLOW_PAUSE_MS: counted, not logged
    with caplog.at_level('INFO', logger='portal.gc'):
        pauses.write_slow()
    [line] = [record.getMessage() for record in caplog.records]
    assert line.startswith('gc pause gen1 465.1 ms collected=2401 at=')
    assert line.endswith(' cpu=80.2 ms thread=MainThread')
    [(generation, ms, _)] = GC_LINE.findall(line)
    assert (generation, ms) == ('1', '465.1')
