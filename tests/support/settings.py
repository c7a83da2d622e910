"""Settings changed the way an operator changes them: PORTAL_* variables, then a reload."""

from __future__ import annotations

import pytest

from services import config


def configure(monkeypatch: pytest.MonkeyPatch, **values: object) -> config.Settings:
    """PORTAL_<NAME> for each of `values` (undone after the test), and the settings loaded again from them."""
    for key, value in values.items():
        monkeypatch.setenv(f'PORTAL_{key.upper()}', str(value))
    return config.load()
