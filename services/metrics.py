"""What /metrics reports (Prometheus): the metric objects the portal's layers count into, the outbox gauges read at
scrape time and the garbage collector's pauses. prometheus-client's default registry is per process: each portal
process is scraped on its own port."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from tortoise.functions import Count, Min

from models.outbox import OutboxMessage, OutboxState
from services import clock

log = logging.getLogger(__name__)

#: request latencies: a page build takes tens of milliseconds, a login's password hash about half a second
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: a young generation's collection takes microseconds, a full one over a large heap tens of milliseconds
GC_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0)
#: the methods a label may name; anything else a client sends is `other`, so a scanner cannot grow the series
METHODS = frozenset({'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'})
#: how long one reading of the outbox serves scrapes (several Prometheus servers may scrape each process)
OUTBOX_CACHE_SECONDS = 5.0

HTTP_REQUESTS = Counter(
    'portal_http_requests_total', 'HTTP requests answered, by method and status class', ['method', 'status']
)
HTTP_LATENCY = Histogram(
    'portal_http_request_duration_seconds', 'Time to answer an HTTP request', ['method'], buckets=LATENCY_BUCKETS
)
PAGE_BUILD = Histogram(
    'portal_page_build_seconds', 'Time to build and answer a page (GET of a NiceGUI page)', ['page'],
    buckets=LATENCY_BUCKETS,
)  # fmt: skip
CLIENTS = Gauge('portal_clients', 'NiceGUI clients (open pages) this process holds')
LOGINS = Counter('portal_logins_total', 'Login attempts by outcome', ['outcome'])
LOCKOUTS = Counter('portal_lockouts_total', 'Failed logins that left the login locked out from that IP')
MESSAGES_SENT = Counter('portal_outbox_sent_total', 'Emails and SMS delivered', ['channel'])
MESSAGES_RETRIED = Counter(
    'portal_outbox_retries_total', 'Delivery attempts that failed for now and will be retried', ['channel']
)
MESSAGES_FAILED = Counter('portal_outbox_failed_total', 'Emails and SMS that failed for good', ['channel'])
OUTBOX_WAITING = Gauge('portal_outbox_waiting', 'Messages waiting for delivery (due or retried later)', ['channel'])
OUTBOX_OLDEST = Gauge('portal_outbox_oldest_waiting_seconds', 'Age of the oldest message waiting for delivery')
GC_PAUSE = Histogram(
    'portal_gc_pause_seconds', "Python's garbage collections, by generation", ['generation'], buckets=GC_BUCKETS
)


def method_label(method: str) -> str:
    return method if method in METHODS else 'other'


def status_label(status: int) -> str:
    return f'{status // 100}xx'


#: told of each collection: its generation, its pause in seconds, the objects it collected and the CPU seconds the
#: collecting thread used meanwhile (far less than the pause: the thread waited for a core or a lock, not the collector)
GcListener = Callable[[int, float, int, float], None]


class _GcTimer:
    """The one `gc.callbacks` hook: each collection's pause into GC_PAUSE and to its listeners (the pause log of
    services/gc_runtime.py). It runs in the collecting thread, inside the collection: listeners only record."""

    def __init__(self) -> None:
        self._started = 0.0
        self._cpu_started = 0.0
        self.listeners: list[GcListener] = []

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == 'start':
            self._started = time.perf_counter()
            self._cpu_started = time.thread_time()
            return
        if not self._started:
            return
        seconds = time.perf_counter() - self._started
        cpu = time.thread_time() - self._cpu_started
        GC_PAUSE.labels(str(info['generation'])).observe(seconds)
        for listener in self.listeners:
            listener(info['generation'], seconds, info['collected'], cpu)


_gc_timer = _GcTimer()


def watch_gc(listener: GcListener | None = None) -> None:
    """Time the garbage collector from now on (one hook per process, however often it is called); `listener` is told
    of every collection too."""
    if _gc_timer not in gc.callbacks:
        gc.callbacks.append(_gc_timer)
    if listener is not None and listener not in _gc_timer.listeners:
        _gc_timer.listeners.append(listener)


def unwatch_gc(listener: GcListener) -> None:
    """`listener` is told of no more collections."""
    if listener in _gc_timer.listeners:
        _gc_timer.listeners.remove(listener)


class _OutboxGauges:
    """The outbox gauges, read with one query at most every OUTBOX_CACHE_SECONDS, however many scrapes come."""

    def __init__(self) -> None:
        self._read_at = float('-inf')
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._read_at < OUTBOX_CACHE_SECONDS:
                return
            rows = (
                await OutboxMessage.filter(state=OutboxState.PENDING)
                .annotate(count=Count('id'), oldest=Min('created_at'))
                .group_by('channel')
                .values_list('channel', 'count', 'oldest')
            )
            OUTBOX_WAITING.clear()
            oldest: list[datetime] = []
            for channel, count, created_at in rows:
                OUTBOX_WAITING.labels(channel).set(count)
                oldest.append(_as_datetime(created_at))
            OUTBOX_OLDEST.set((clock.now() - min(oldest)).total_seconds() if oldest else 0)
            self._read_at = time.monotonic()


def _as_datetime(value: datetime | str) -> datetime:
    # an aggregate comes back as SQLite stored it (text), or as a datetime from PostgreSQL
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


_outbox_gauges = _OutboxGauges()


async def exposition() -> tuple[bytes, str]:
    """This process's metrics in Prometheus' text format, and its content type."""
    try:
        await _outbox_gauges.refresh()
    except Exception:
        # the process's own counters still tell what happened; /readyz says that the database is down
        log.warning('metrics: the outbox could not be read', exc_info=True)
    return generate_latest(), CONTENT_TYPE_LATEST
