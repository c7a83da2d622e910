"""The console's staff tests run on the fake clock (20 November 2026, 10:00 UTC): TOTP codes are computed for it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
async def _database_and_clock(db, fake_clock) -> None:
    pass
