"""`python main.py …` run as an operator runs it: a subprocess in the project folder with this test's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT


def run_main(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """The command's exit code, stdout and stderr, run in `cwd` (the project folder unless told); `env` adds to (or
    overrides) the test's PORTAL_* settings."""
    return subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
