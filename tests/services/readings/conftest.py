"""The customer the readings tests start from: «ivanov» holding Семёнов's account in Курск, with its two-zone meter
(five integer digits, one fractional), on the fake clock's day: 20 November 2026, inside the default window."""

from __future__ import annotations

import pytest

from models.billing import Account
from models.cabinet import Cabinet
from models.readings import Meter
from tests.support.factories import NUMBER, make_account, make_cabinet, make_meter


@pytest.fixture
async def account(db, fake_clock) -> Account:
    return await make_account()


@pytest.fixture
async def cabinet(account) -> Cabinet:
    return await make_cabinet('ivanov', accounts=[NUMBER])


@pytest.fixture
async def meter(account, cabinet) -> Meter:
    return await make_meter(account, decimals=1)
