"""`readings-status`: where a month's customer readings stand between the portal and billing, and its exports."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from models.readings import Reading, ReadingExport, ReadingSource, ReadingStatus
from services.readings.export import check_period, period_days


@dataclass(frozen=True)
class ReadingsStatus:
    period: str
    #: the customer readings that count (not superseded) by status
    counts: dict[ReadingStatus, int]
    #: replaced by a later submission of the same window: never exported, kept for the history
    superseded: int
    #: finished runs of `readings-export` for the month, newest first
    exports: list[ReadingExport]
    #: runs that did not finish (killed): their files are incomplete, their readings go with the next run
    unfinished: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def readings_status(period: str) -> ReadingsStatus:
    """The month's customer readings (their `date` in it) by status; ValueError for a period that is no month."""
    check_period(period)
    first, after = period_days(period)
    grouped = (
        await Reading.filter(source=ReadingSource.CUSTOMER, date__gte=first, date__lt=after)
        .annotate(count=Count('id'))
        .group_by('status', 'superseded')
        .values_list('status', 'superseded', 'count')
    )
    counts = dict.fromkeys(ReadingStatus, 0)
    superseded = 0
    for status, replaced, count in grouped:
        if replaced:
            superseded += count
        else:
            counts[ReadingStatus(status)] += count
    exports = await ReadingExport.filter(period=period, finished_at__isnull=False).order_by('-id')
    unfinished = await ReadingExport.filter(period=period, finished_at__isnull=True).count()
    return ReadingsStatus(period, counts, superseded, exports, unfinished)
