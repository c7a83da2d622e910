"""The submission window: the region's days or PORTAL_READINGS_WINDOW, on the customers' clock, in short months."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from models.billing import Region
from services import config
from services.readings.window import Window, window


def region(first: int | None = None, last: int | None = None) -> Region:
    return Region(code='KRS', name='Курск', readings_from=first, readings_to=last)


@pytest.mark.parametrize(
    ('utc', 'expected'),
    [
        # 23:59 on the 14th in Moscow: not yet
        (datetime(2026, 11, 14, 20, 59, tzinfo=UTC), Window(date(2026, 11, 15), date(2026, 11, 25), False)),
        # midnight of the 15th in Moscow, while UTC still has the 14th
        (datetime(2026, 11, 14, 21, 0, tzinfo=UTC), Window(date(2026, 11, 15), date(2026, 11, 25), True)),
        # the last minute of the 25th in Moscow
        (datetime(2026, 11, 25, 20, 59, tzinfo=UTC), Window(date(2026, 11, 15), date(2026, 11, 25), True)),
        # midnight of the 26th in Moscow: closed, the next one shown
        (datetime(2026, 11, 25, 21, 0, tzinfo=UTC), Window(date(2026, 12, 15), date(2026, 12, 25), False)),
        # after December's: January of the next year
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), Window(date(2027, 1, 15), date(2027, 1, 25), False)),
    ],
)
def test_the_default_window_on_the_customers_clock(fake_clock, utc, expected):
    fake_clock.current = utc
    assert window(region()) == expected


@pytest.mark.parametrize(
    ('first', 'last', 'today', 'expected'),
    [
        (20, 31, date(2026, 2, 28), Window(date(2026, 2, 20), date(2026, 2, 28), True)),
        (20, 31, date(2026, 4, 30), Window(date(2026, 4, 20), date(2026, 4, 30), True)),
        (20, 31, date(2026, 5, 31), Window(date(2026, 5, 20), date(2026, 5, 31), True)),
        # a window past February's end is its last day, not none
        (29, 31, date(2027, 2, 27), Window(date(2027, 2, 28), date(2027, 2, 28), False)),
        (29, 31, date(2028, 2, 29), Window(date(2028, 2, 29), date(2028, 2, 29), True)),
        (29, 31, date(2027, 3, 1), Window(date(2027, 3, 29), date(2027, 3, 31), False)),
        (23, 26, date(2026, 11, 20), Window(date(2026, 11, 23), date(2026, 11, 26), False)),
    ],
)
def test_a_regions_window_in_short_months(portal_env, first, last, today, expected):
    assert window(region(first, last), today) == expected


def test_a_region_with_one_day_only_has_the_default(portal_env):
    assert window(region(23, None), date(2026, 11, 20)).open


def test_the_setting_decides_for_regions_without_their_own(monkeypatch):
    monkeypatch.setenv('PORTAL_READINGS_WINDOW', ' 23 - 26 ')
    config.load()
    assert window(region(), date(2026, 11, 20)) == Window(date(2026, 11, 23), date(2026, 11, 26), False)


@pytest.mark.parametrize('value', ['25-15', '0-10', '15-32', '15', '15–25', 'abc', ''])
def test_a_bad_window_setting_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv('PORTAL_READINGS_WINDOW', value)
    with pytest.raises(ValidationError, match=r'PORTAL_READINGS_WINDOW=.*1 <= FROM <= TO <= 31, e\.g\. 15-25'):
        config.load()
