"""The server's garbage collector: how it is tuned for many open pages, and an opt-in log of its pauses.

CPython's cyclic collector stops the event loop while it runs, and a full (gen2) collection walks every tracked object
in the process. Each open overview page holds about a thousand of them (elements, their props dicts, closures, the
socket's state), so with thousands of customers on the portal a full collection would stall every customer's clicks
and page loads for seconds (docs/operator.md «Capacity of one process», bench/capacity.py measures it): the Freezer
keeps the open pages out of the collections.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import threading
import time

from services import metrics

log = logging.getLogger('portal.gc')

#: pauses at least this long are logged one by one with PORTAL_GC_LOG (milliseconds)
SLOW_PAUSE_MS = 20.0
#: how often the log gets the longest pause of the interval (seconds)
SUMMARY_SECONDS = 60.0


#: gc.set_threshold(gen0, gen1, gen2). A young (gen1) collection walks at most about gen0 × gen1 objects, and with
#: the Freezer below nothing older is walked but at a thaw: 5,000 × 4 keeps them near 50 ms on a loaded 2-core box
#: (bench/capacity.py, 400 customers: longest 52–61 ms; 10,000 × 5: 114–125 ms; (20,000, 10, 10) without the
#: Freezer: 150–360 ms in gen1 and 0.7 s in churn). CPython's default is (700, 10, 10). The young generation is
#: larger than gen0 × gen1 suggests: CPython counts allocations minus deallocations, frozen objects' included, so with
#: 800 customers a gen1 collection came every ~9 s and walked ~95,000 objects (50–90 ms of CPU, 2026-12-07). Lower
#: thresholds, (1,000, 2, 10), kept those pauses under 51 ms but the clicks' p95 went from 7–11 ms to 138–151 ms.
THRESHOLDS = (5_000, 4, 10)
#: a thaw (one full collection of everything) once this many pages have closed since the last, or THAW_PER_OPEN
#: times as many as are open now if more: what a visit leaves in reference cycles is freed about once per turnover of
#: the customers, each of whom closes two pages (the login page and the last). The pages themselves go by reference
#: counting (pages/shell/teardown.py); the cycles are the servers' own, some 500 objects a visit: each socket's in
#: uvicorn's wsproto and engine.io, each request's in the Starlette middlewares NiceGUI adds
THAW_MIN = 500
THAW_PER_OPEN = 2
_tuned = False
_freezer: Freezer | None = None


def tune_gc(*, log_pauses: bool = False) -> None:
    """Called once by `main.serve()` before the server starts: thresholds now, and once the server has started (the
    database open, every page module imported) a last full collection, `gc.freeze()` of the ~140,000 objects of
    imports and start-up, and the Freezer from then on. Measured with bench/capacity.py (bench/README.md)."""
    global _tuned, _freezer
    if _tuned:  # NiceGUI's `user` test fixture runs main.py again for every test in one process
        return
    _tuned = True
    from nicegui import app

    gc.set_threshold(*THRESHOLDS)
    _freezer = Freezer()
    app.on_startup(_freezer.start)
    app.on_shutdown(_freezer.stop)
    if log_pauses:
        PauseLog().install()


def leave_untuned() -> None:
    """For counting objects (bench/page_objects.py): the server that starts next keeps CPython's collector as it is,
    freezing nothing that the count should see."""
    global _tuned
    _tuned = True


def page_closed(open_pages: int) -> None:
    """A page was deleted (pages/shell/teardown.py), `open_pages` are left: counted towards the next thaw."""
    if _freezer is not None:
        _freezer.page_closed(open_pages)


class Freezer:
    """Keeps the open pages out of every collection. An open page's elements live as long as its tab, so whatever
    survives a young collection is frozen right after it (`gc.freeze()`): no later collection walks it, and every
    pause stays as short as a young collection's however many customers are on the portal (a full collection walked
    them all: seconds with a thousand customers). Frozen objects are still freed by reference counting, which is how a
    closed page goes (pages/shell/teardown.py); the little a closed page leaves in reference cycles waits for a thaw:
    everything unfrozen and collected once, then frozen again — one long pause per turnover of the customers
    (THAW_MIN, THAW_PER_OPEN) instead of one every time the heap grows by a quarter."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._closed = 0
        self._open = 0

    def start(self) -> None:
        gc.collect()
        gc.freeze()
        log.info('gc: %d start-up objects frozen, thresholds %s', gc.get_freeze_count(), gc.get_threshold())
        self._loop = asyncio.get_running_loop()
        metrics.watch_gc(self._collected)

    def stop(self) -> None:
        """At shutdown: the event loop is closing, nothing is frozen any more."""
        metrics.unwatch_gc(self._collected)
        self._loop = None

    def page_closed(self, open_pages: int) -> None:
        self._closed += 1
        self._open = open_pages

    def _collected(self, generation: int, _seconds: float, _collected: int, _cpu: float) -> None:
        # inside the collection, maybe in another thread (aiosqlite's): freeze after it, on the event loop. Nothing
        # may raise here (an exception inside a collection surfaces in whatever code it interrupted), and the loop
        # may be closing without a shutdown having stopped us (NiceGUI's test fixtures start the app again and again)
        loop = self._loop
        if generation < 1 or self._scheduled or loop is None or loop.is_closed():
            return
        self._scheduled = True
        try:
            loop.call_soon_threadsafe(self._freeze)
        except RuntimeError:  # closed meanwhile
            self._loop = None

    def _freeze(self) -> None:
        self._scheduled = False
        if self._closed >= max(THAW_MIN, THAW_PER_OPEN * self._open):
            closed, self._closed = self._closed, 0
            started = time.perf_counter()
            gc.unfreeze()
            collected = gc.collect()
            log.info(
                'gc: thawed after %d closed pages (%d open): %d objects collected in %.0f ms',
                closed, self._open, collected, (time.perf_counter() - started) * 1000,
            )  # fmt: skip
        gc.freeze()


class PauseLog:
    """Told of every collection by the one timing hook (services/metrics.py, which also feeds /metrics). Pauses of
    SLOW_PAUSE_MS or more are logged one by one as `gc pause gen2 812.4 ms collected=1234 at=1733550000.123 cpu=790.2
    ms thread=MainThread` (wall-clock end, for tools lining them up with their own clock; the CPU time the collecting
    thread used, which tells a collector's work from a thread that waited for a core; the thread whose allocation set
    it off), and every SUMMARY_SECONDS the longest pause of the interval and the collections per generation.

    Being told only appends to a deque: logging inside the collector could re-enter a handler that the
    collection interrupted. A daemon thread writes the lines."""

    def __init__(self) -> None:
        self._slow: collections.deque[tuple[int, float, int, float]] = collections.deque(maxlen=10_000)
        self._longest = (0.0, -1)
        self._counts = [0, 0, 0]

    def install(self) -> None:
        metrics.watch_gc(self._pause)
        threading.Thread(target=self._writer, name='gc-pause-log', daemon=True).start()
        log.info('gc pause log on: thresholds %s, %d objects frozen', gc.get_threshold(), gc.get_freeze_count())

    def _pause(self, generation: int, seconds: float, collected: int, cpu: float) -> None:
        ms = seconds * 1000
        self._counts[generation] += 1
        if ms > self._longest[0]:
            self._longest = (ms, generation)
        if ms >= SLOW_PAUSE_MS:
            thread = threading.current_thread().name
            self._slow.append((generation, ms, collected, time.time(), cpu * 1000, thread))

    def write_slow(self) -> None:
        """The lines of the slow pauses told since the last call."""
        while self._slow:
            generation, ms, collected, at, cpu_ms, thread = self._slow.popleft()
            log.info(
                'gc pause gen%d %.1f ms collected=%d at=%.3f cpu=%.1f ms thread=%s',
                generation, ms, collected, at, cpu_ms, thread,
            )  # fmt: skip

    def _writer(self) -> None:
        next_summary = time.monotonic() + SUMMARY_SECONDS
        while True:
            time.sleep(1.0)
            self.write_slow()
            if time.monotonic() >= next_summary:
                next_summary += SUMMARY_SECONDS
                (ms, generation), self._longest = self._longest, (0.0, -1)
                counts, self._counts = self._counts, [0, 0, 0]
                log.info(
                    'gc longest pause %.1f ms (gen%d) in %.0f s; collections gen0/gen1/gen2 %d/%d/%d; %d frozen',
                    ms, generation, SUMMARY_SECONDS, *counts, gc.get_freeze_count(),
                )  # fmt: skip
