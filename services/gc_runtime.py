"""The server's garbage collector: how it is tuned for many open pages, and an opt-in log of its pauses.

CPython's cyclic collector stops the event loop while it runs, and a full (gen2) collection walks every tracked object
in the process. Each open overview page holds tens of thousands of them (elements, their props dicts, closures, the
socket's state), so with a thousand customers on the portal a full collection stalls every customer's clicks and page
loads for seconds (docs/operator.md «Capacity of one process», bench/capacity.py measures it).
"""

from __future__ import annotations

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


#: gc.set_threshold(gen0, gen1, gen2). CPython's default (700, 10, 10) runs a young collection every 700 new container
#: objects; with 400 customers on the overview (about 3,700 tracked objects each, 1.5 M in all) its full collections
#: paused the server for 0.4–0.8 s (1.3 s during churn). 20,000 young objects make young collections rarer (each
#: 20–70 ms on a loaded 2-core box). The last value stays CPython's 10 on purpose: with 1,000 no full collection ran
#: any more (longest pause 0.27 s, gen1), but the pages of departed customers are cyclic garbage that only a full
#: collection frees, and RSS after churn grew 1.53× (bench/capacity.py, 400 customers). CPython still runs a full one
#: only when the long-lived heap has grown by a quarter since the last.
THRESHOLDS = (20_000, 10, 10)
_tuned = False


def tune_gc(*, log_pauses: bool = False) -> None:
    """Called once by `main.serve()` before the server starts: thresholds now, and once the server has started (the
    database open, every page module imported) a last full collection and `gc.freeze()`, which moves the ~140,000
    objects of imports and start-up out of every later collection's scan; they live as long as the process anyway.
    Measured with bench/capacity.py (bench/README.md)."""
    global _tuned
    if _tuned:  # NiceGUI's `user` test fixture runs main.py again for every test in one process
        return
    _tuned = True
    from nicegui import app

    gc.set_threshold(*THRESHOLDS)
    app.on_startup(_freeze_startup_objects)
    if log_pauses:
        PauseLog().install()


def _freeze_startup_objects() -> None:
    gc.collect()
    gc.freeze()
    log.info('gc: %d start-up objects frozen, thresholds %s', gc.get_freeze_count(), gc.get_threshold())


class PauseLog:
    """Told of every collection by the one timing hook (services/metrics.py, which also feeds /metrics). Pauses of
    SLOW_PAUSE_MS or more are logged one by one as `gc pause gen2 812.4 ms collected=1234 at=1733550000.123`
    (wall-clock end, for tools lining them up with their own clock), and every SUMMARY_SECONDS the longest pause of the
    interval and the collections per generation.

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

    def _pause(self, generation: int, seconds: float, collected: int) -> None:
        ms = seconds * 1000
        self._counts[generation] += 1
        if ms > self._longest[0]:
            self._longest = (ms, generation)
        if ms >= SLOW_PAUSE_MS:
            self._slow.append((generation, ms, collected, time.time()))

    def _writer(self) -> None:
        next_summary = time.monotonic() + SUMMARY_SECONDS
        while True:
            time.sleep(1.0)
            while self._slow:
                generation, ms, collected, at = self._slow.popleft()
                log.info('gc pause gen%d %.1f ms collected=%d at=%.3f', generation, ms, collected, at)
            if time.monotonic() >= next_summary:
                next_summary += SUMMARY_SECONDS
                (ms, generation), self._longest = self._longest, (0.0, -1)
                counts, self._counts = self._counts, [0, 0, 0]
                log.info(
                    'gc longest pause %.1f ms (gen%d) in %.0f s; collections gen0/gen1/gen2 %d/%d/%d',
                    ms, generation, SUMMARY_SECONDS, *counts,
                )  # fmt: skip
