"""Page stories run main.py in NiceGUI's simulated browser (`user` fixture) against the test's database; their steps
are in tests/support/stories.py."""

from __future__ import annotations

import pytest

from services.billing import imports
from tests.support.billing import write_billing_files


@pytest.fixture
async def billing(tmp_path, fake_clock) -> None:
    """The sample billing data, imported as an operator would; 'today' is 2026-11-20 (fake_clock)."""
    await imports.import_files([str(path) for path in write_billing_files(tmp_path).values()])
