"""Real-browser tests: Debian's Chromium driven by Playwright against `python main.py` run as a server (the fixtures
are in tests/support/browser_fixtures.py, which the tests of attacks use too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import accessibility
from tests.support.browser import ARTIFACTS


@pytest.fixture(scope='session', autouse=True)
def axe_summary() -> Iterator[None]:
    yield
    accessibility.write_summary(ARTIFACTS)
